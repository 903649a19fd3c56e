import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.multitest import multipletests

from neuronstats.stats.multitest import adjust, correct
from neuronstats.stats.row import rows_to_frame


def test_adjust_matches_statsmodels_and_skips_nan():
    p = np.array([0.01, 0.04, np.nan, 0.03, 0.2])
    adj, rej = adjust(p, "holm")
    ref_rej, ref_adj, _, _ = multipletests(p[~np.isnan(p)], method="holm")
    assert np.allclose(adj[~np.isnan(p)], ref_adj) and np.isnan(adj[2])
    assert list(rej[~np.isnan(p)]) == list(ref_rej)
    adj_bh, _ = adjust(p, "bh")
    assert np.allclose(adj_bh[~np.isnan(p)], multipletests(p[~np.isnan(p)], method="fdr_bh")[1])
    with pytest.raises(ValueError):
        adjust(p, "sidak-ish")


def test_correct_works_within_families():
    base = dict(dataset="lyrics", cell="gru", finding="storing", statistic="acc", estimate=0.1)
    rows = [dict(base, test="zero", unit=f"tok{i}", p_value=p) for i, p in enumerate([0.01, 0.02, 0.03])]
    rows += [dict(base, test="previous", unit="tok0", p_value=0.03)]
    out = correct(rows_to_frame(rows))
    fam = out[out.test == "zero"]
    assert np.allclose(fam.p_adjusted, [0.03, 0.04, 0.04])
    assert out[out.test == "previous"].p_adjusted.iloc[0] == pytest.approx(0.03)
    assert set(out.correction) == {"holm (m=3)", "holm (m=1)"}
    assert out.reject.tolist() == [True, True, True, True]


def test_correct_on_an_empty_table():
    assert correct(pd.DataFrame(rows_to_frame([]))).empty


@pytest.mark.slow
def test_holm_controls_familywise_error_under_global_null():
    """Slow only because statsmodels' multipletests calls gc.collect() on every call."""
    rng = np.random.default_rng(0)
    any_rej = [adjust(rng.uniform(size=10), "holm")[1].any() for _ in range(2000)]
    assert 0.03 <= np.mean(any_rej) <= 0.07  # exact FWER here: 1 - (1 - 0.05/10)^10 = 0.049
