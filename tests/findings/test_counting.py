"""Counting statistics against recordings with planted counting neurons (ground truth)."""

import numpy as np

from neuronstats.findings.common import combined_test
from neuronstats.findings.counting import curves_by_T, drop_slope, monotonicity, rate_vs_T
from neuronstats.stats.controls import random_neuron_sets
from tests.findings.planted import planted_recording

COUNTERS = [0, 1, 2, 3, 4]


def _mono_row(recs, S_per_seed, n_sets=99):
    vals, nulls = [], []
    for s, (rec, S) in enumerate(zip(recs, S_per_seed)):
        rho = np.abs(monotonicity(rec, np.arange(rec.n)))
        sets = random_neuron_sets(rec.dec_h.shape[2], len(S), n_sets, exclude=S, seed=s)
        vals.append(rho[:, S].mean(1))
        nulls.append(np.array([rho[:, row].mean() for row in sets]))
    return combined_test(dataset="planted", cell="gru", finding="counting", test="monotone", test_id="counting.x",
                         unit="all", statistic="mean |rho|", per_seed_values=vals, per_seed_null=nulls).to_row()


def test_planted_counters_are_monotone_beyond_random_sets():
    recs = [planted_recording(seed=s) for s in (0, 1)]
    row = _mono_row(recs, [COUNTERS, COUNTERS])
    assert row["estimate"] > 0.99 and row["p_value"] <= 0.02
    # the same neurons without planted counters: nothing to find
    flat = [planted_recording(seed=s, counters=()) for s in (0, 1)]
    row = _mono_row(flat, [COUNTERS, COUNTERS])
    assert row["estimate"] < 0.5 and row["p_value"] > 0.05


def test_planted_drop_at_t0_grows_with_T():
    rec = planted_recording()
    ex = np.arange(rec.n)
    rho = monotonicity(rec, ex)
    sets = random_neuron_sets(40, 5, 99, exclude=COUNTERS)
    slopes = drop_slope(rec, ex, [COUNTERS] + list(sets), rho)
    assert abs(slopes[0] - (-0.1)) < 1e-5  # value at t = 0 is -0.1 T, rising towards T
    assert (slopes[1:] > slopes[0]).all()


def test_rate_vs_T_separates_constant_from_T_dependent_rates():
    ex = np.arange(300)
    rec = planted_recording()
    r, n = rate_vs_T(rec, ex, COUNTERS, monotonicity(rec, ex))
    assert abs(r) < 1e-4 and n == 300  # rate 0.1 per step for every T
    rec = planted_recording(rate="by_T")
    r, _ = rate_vs_T(rec, ex, COUNTERS, monotonicity(rec, ex))
    assert r < -0.1  # rate 1/T falls with T


def test_curves_by_T_recover_the_planted_values():
    rec = planted_recording()
    ex = np.arange(rec.n)
    curves = curves_by_T(rec, ex, COUNTERS, monotonicity(rec, ex))
    assert set(curves) == {str(T) for T in np.unique(rec.T)}
    for T, d in curves.items():
        np.testing.assert_allclose(d["mean"], 0.1 * (np.arange(int(T)) - int(T)), atol=1e-6)
        assert d["n"] == (rec.T[:, 0] == int(T)).sum()
