import math

import pytest

from neuronstats.stats.row import COLUMNS, rows_to_frame, stats_row


def test_row_fills_defaults_and_keeps_schema_order():
    r = stats_row(dataset="lyrics", cell="gru", finding="storing", test="zero at T-1", statistic="accuracy",
                  estimate=0.1, ci_low=0.05, ci_high=0.2, p_value=0.01, n_seeds=5)
    assert list(r) == list(COLUMNS)
    assert r["alpha"] == 0.05 and math.isnan(r["p_adjusted"]) and r["notes"] == "" and r["n_null"] == 0
    df = rows_to_frame([r, r])
    assert list(df.columns) == list(COLUMNS) and len(df) == 2


@pytest.mark.parametrize("bad, match", [
    ({"pvalue": 0.1}, "unknown"),
    ({"p_value": 1.5}, "outside"),
    ({"ci_low": 2.0, "ci_high": 1.0}, "ci_low"),
    ({"alpha": 0.0}, "alpha"),
    ({"estimate": None}, "lacks"),
])
def test_row_rejects_malformed_fields(bad, match):
    base = dict(dataset="d", cell="gru", finding="f", test="t", statistic="s", estimate=1.0)
    with pytest.raises(ValueError, match=match):
        stats_row(**{**base, **bad})
