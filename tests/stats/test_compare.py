import numpy as np
import pytest

from neuronstats.stats.compare import compare_cells, seed_label_permutation


def test_exact_seed_permutation():
    p, null = seed_label_permutation([6, 7, 8, 9, 10], [1, 2, 3, 4, 5])
    assert len(null) == 252 and p == pytest.approx(2 / 252)  # the floor of 5 + 5 seeds
    assert abs(null.mean()) < 1e-12


def test_compare_cells_row():
    rng = np.random.default_rng(0)
    a = [rng.binomial(1, 0.95, 500) for _ in range(5)]
    b = [rng.binomial(1, 0.80, 500) for _ in range(5)]
    c = compare_cells(a, b, n_boot=500)
    assert c.ci_low < c.difference < c.ci_high and 0.1 < c.difference < 0.2
    assert c.p_value < 0.02 and c.hedges_g > 2 and c.n_a == c.n_b == 5


def test_seed_permutation_is_calibrated_under_the_null():
    rng = np.random.default_rng(2)
    rej = [seed_label_permutation(rng.normal(size=5), rng.normal(size=5))[0] <= 0.05 for _ in range(2000)]
    assert 0.03 <= np.mean(rej) <= 0.07, np.mean(rej)


def test_welch_test_of_equal_means_when_spreads_differ():
    """One cell's seeds spread 3x the other's, equal means: the seed-label permutation
    (raw or studentized) over-rejects at 5 + 5 seeds; compare_cells' Welch test does not."""
    rng = np.random.default_rng(3)
    draws = [(rng.normal(0, 3, size=5), rng.normal(0, 1, size=5)) for _ in range(4000)]
    welch = np.mean([compare_cells(list(a), list(b)).p_value <= 0.05 for a, b in draws])
    assert 0.03 <= welch <= 0.07, welch
    perm = np.mean([seed_label_permutation(a, b)[0] <= 0.05 for a, b in draws[:2000]])
    assert perm > welch  # the reason compare_cells does not use it


def test_one_seed_on_a_side_has_no_permutation_null_but_a_row():
    p, null = seed_label_permutation([0.5], [0.1, 0.2, 0.4])
    assert np.isnan(p) and len(null) == 0
    c = compare_cells([[0.5]], [[0.1], [0.2], [0.4]])
    assert c.n_null == 0 and np.isnan(c.null_mean) and c.difference == pytest.approx(0.5 - 0.7 / 3)
