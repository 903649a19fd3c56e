import numpy as np
import pytest

from neuronstats.stats.controls import random_control_test, random_neuron_sets


def test_random_sets_exclude_tested_set_and_are_uniform():
    S = np.array([0, 1, 2, 3])
    sets = random_neuron_sets(20, 4, n_sets=4000, exclude=S, seed=0)
    assert sets.shape == (4000, 4)
    assert not np.isin(sets, S).any()
    assert all(len(set(r)) == 4 for r in sets[:200])
    freq = np.bincount(sets.ravel(), minlength=20)[4:] / sets.size
    assert np.allclose(freq, 1 / 16, atol=0.01)
    with pytest.raises(ValueError, match="cannot draw"):
        random_neuron_sets(5, 4, exclude=[0, 1])


def test_control_test_summary():
    res = random_control_test(0.9, np.linspace(0, 0.5, 200))
    assert res.p_value == pytest.approx(1 / 201)
    assert res.null_mean == pytest.approx(0.25)
    assert res.effect_vs_control == pytest.approx(0.65)
    lo, hi = res.control_band
    assert 0 < lo < hi < 0.5


def test_control_test_is_calibrated_when_the_set_is_not_special():
    rng = np.random.default_rng(0)
    rej = [random_control_test(rng.normal(), rng.normal(size=200)).p_value <= 0.05 for _ in range(2000)]
    assert 0.03 <= np.mean(rej) <= 0.07
