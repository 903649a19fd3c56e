import numpy as np
import pingouin as pg
import pytest

from neuronstats.stats.effects import cohens_d, hedges_g, pp_difference, tost


def test_effect_sizes():
    assert pp_difference(0.107, 0.9) == pytest.approx(-79.3)
    x, y = np.array([1.0, 2, 3, 4, 5]), np.array([3.0, 4, 5, 6, 7])
    sd = np.sqrt((x.var(ddof=1) + y.var(ddof=1)) / 2)
    assert cohens_d(x, y) == pytest.approx(-2 / sd)
    n = 10
    assert hedges_g(x, y) == pytest.approx(-2 / sd * (1 - 3 / (4 * n - 9)), rel=1e-3)


def test_tost_agrees_with_pingouin():
    rng = np.random.default_rng(0)
    x, y = rng.normal(0, 1, 30), rng.normal(0.1, 1, 30)
    ours = tost(x, y, low=-0.5, high=0.5, paired=True)
    ref = pg.tost(x, y, bound=0.5, paired=True)
    assert ours.p_value == pytest.approx(float(ref["pval"].iloc[0]), rel=1e-6)
    ours = tost(x, y, low=-0.5, high=0.5)
    ref = pg.tost(x, y, bound=0.5, paired=False, correction=True)
    assert ours.p_value == pytest.approx(float(ref["pval"].iloc[0]), rel=1e-6)


def test_tost_is_calibrated_at_the_margin():
    """A true mean exactly at the margin must be declared equivalent at most alpha of the time."""
    rng = np.random.default_rng(1)
    # the other bound is far away, so the test is exactly one one-sided t-test at the margin
    rej = [tost(rng.normal(0.1, 1, 40), low=-10, high=0.1).equivalent() for _ in range(3000)]
    assert 0.03 <= np.mean(rej) <= 0.07, np.mean(rej)
    inside = [tost(rng.normal(0.0, 0.05, 40), low=-0.1, high=0.1).equivalent() for _ in range(200)]
    assert np.mean(inside) > 0.95  # power when the truth is well inside


def test_tost_without_variation_gives_a_clear_answer():
    """Seeds that agree exactly: equivalent (p = 0) strictly inside the margin, not (p = 1)
    on or outside it, never NaN — the limit of statsmodels' p as the spread shrinks."""
    assert tost(np.zeros(5), low=-0.1, high=0.1).p_value == 0.0
    assert tost(np.full(5, 0.1), low=-0.1, high=0.1).p_value == 1.0
    assert tost(np.full(5, -0.3), low=-0.1, high=0.1).p_value == 1.0
    assert tost(np.ones(3), np.ones(3), low=-0.1, high=0.1).p_value == 0.0
    assert tost(np.ones(3), np.ones(3) + 0.5, low=-0.1, high=0.1, paired=True).p_value == 1.0
    rng = np.random.default_rng(0)
    for sd in (1e-3, 1e-6):  # the limit, approached by statsmodels itself
        assert tost(0.05 + rng.normal(0, sd, 5), low=-0.1, high=0.1).p_value < 1e-3
        assert tost(0.15 + rng.normal(0, sd, 5), low=-0.1, high=0.1).p_value > 0.999
