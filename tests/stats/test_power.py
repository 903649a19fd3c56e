import numpy as np
from scipy import stats

from neuronstats.stats.power import min_detectable_difference


def test_mdd_matches_the_normal_formula_and_simulated_power():
    n, p0 = 100, 0.5
    mdd = min_detectable_difference(n, p0)
    # Cohen's h: (z_{1-a} + z_{power}) / sqrt(n) = 0.2487 -> p1 = sin^2(asin(sqrt(.5)) - h/2)
    h = (stats.norm.ppf(0.95) + stats.norm.ppf(0.8)) / np.sqrt(n)
    assert abs(mdd - (p0 - np.sin(np.arcsin(np.sqrt(p0)) - h / 2) ** 2)) < 1e-6
    # simulated: a one-sided binomial test at n detects a drop of mdd about 80 % of the time
    rng = np.random.default_rng(0)
    k = rng.binomial(n, p0 - mdd, 4000)
    power = np.mean(stats.binom.cdf(k, n, p0) <= 0.05)
    assert 0.70 <= power <= 0.85  # discreteness of the exact test costs a little
    assert min_detectable_difference(400) < mdd < min_detectable_difference(25)
    assert np.isnan(min_detectable_difference(1))
