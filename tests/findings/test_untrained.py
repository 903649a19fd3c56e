"""An untrained (randomly initialised) model has no findings to make: its positioning is
not significant, and the findings' random-set tests, applied to a set that is itself
random, reject at about the nominal rate on its real (correlated) states. (Controls that
exclude the tested set fail this: 9 % rejections for sets of 8 of 48 neurons.)"""

import numpy as np
import pytest

from neuronstats.data.cache import prepare
from neuronstats.findings.common import combined_test
from neuronstats.findings.counting import drop_slope, monotonicity
from neuronstats.findings.positioning import positioning_tests
from neuronstats.findings.storing import stability
from neuronstats.microscope.record import record
from neuronstats.model.train import heldout_examples, untrained_models
from neuronstats.stats.controls import control_sets
from tests.conftest import learnable_config


def _untrained(seeds=(0, 1)):
    cfg = learnable_config()
    ds = prepare(cfg.data)
    return untrained_models(cfg, len(ds.vocab), seeds), heldout_examples(ds, cfg)


def test_untrained_positioning_is_not_significant():
    models, ex = _untrained()
    row = positioning_tests("synthetic", "gru", models, ex, n_null=199)[0].to_row()
    assert row["p_value"] > 0.05 and row["estimate"] < 0.05


@pytest.mark.slow
def test_random_set_tests_on_untrained_states_reject_at_nominal_rate():
    models, ex = _untrained()
    recs = [record(m, ex.subset(np.arange(300))) for m in models]
    H, size, n_sets, draws = models[0].hidden, 8, 99, 300
    ex_idx = np.arange(300)
    signed = [monotonicity(r, ex_idx) for r in recs]
    rng = np.random.default_rng(0)
    p = {"monotone": [], "drop": [], "stable": []}
    for _ in range(draws):
        vals = {k: ([], []) for k in p}
        for s, rec in enumerate(recs):
            S = np.sort(rng.choice(H, size, replace=False))  # the "found" set: random, i.e. H0 holds
            sets = control_sets(H, S, n_sets, seed=int(rng.integers(2**31)))  # the package's control policy
            rho = np.abs(signed[s])
            vals["monotone"][0].append(rho[:, S].mean(1))
            vals["monotone"][1].append(np.array([rho[:, row].mean() for row in sets]))
            slopes = drop_slope(rec, ex_idx, [S] + list(sets), signed[s])
            vals["drop"][0].append(slopes[0])
            vals["drop"][1].append(slopes[1:])
            sd = stability(rec, ex_idx, [S] + list(sets))
            vals["stable"][0].append(sd[0])
            vals["stable"][1].append(sd[1:].mean(1))
        for k, alt in (("monotone", "greater"), ("drop", "less"), ("stable", "less")):
            row = combined_test(dataset="u", cell="gru", finding="f", test=k, test_id=f"f.{k}", unit="u", statistic="s",
                                per_seed_values=vals[k][0], per_seed_null=vals[k][1], alternative=alt,
                                bounds=None).to_row()
            p[k].append(row["p_value"])
    for k, ps in p.items():
        rate = np.mean(np.array(ps) <= 0.05)
        assert 0.02 <= rate <= 0.085, (k, rate)  # 300 draws: SD of the rate 0.013
