"""Random-neuron controls: is intervening on set S special, or would any |S| neurons do?

The sets are drawn here; their effects are computed by the intervention engine and
come back as a plain array, so this module never touches a model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from neuronstats.stats.permutation import PermutationResult
from neuronstats.stats.pvalues import null_pvalue


def random_neuron_sets(n_neurons: int, size: int, n_sets: int = 200, exclude=None, seed: int = 0) -> np.ndarray:
    """(n_sets, size) sorted neuron ids, each row drawn uniformly without replacement
    from the neurons not in ``exclude`` (pass the tested set S to exclude it)."""
    pool = np.setdiff1d(np.arange(n_neurons), np.asarray(exclude if exclude is not None else [], dtype=int))
    if size > len(pool):
        raise ValueError(f"cannot draw {size} neurons from {len(pool)} available")
    rng = np.random.default_rng(seed)
    keys = rng.random((n_sets, len(pool)))
    return np.sort(pool[np.argsort(keys, axis=1)[:, :size]], axis=1)


def control_sets(n_neurons: int, tested, n_sets: int = 200, seed: int = 0) -> np.ndarray:
    """The random-neuron control sets for a tested set: ``n_sets`` sets of ``len(tested)``
    neurons drawn uniformly from *all* neurons (the tested ones included).

    Not excluding the tested set is deliberate: then a set chosen at random is exchangeable
    with its controls and the control p-value is exact. Excluding it is not: on an untrained
    GRU's states (h = 48, sets of 8), random sets tested against controls drawn from the
    other neurons were rejected at α = 0.05 in 9 % of 400 draws (monotonicity) instead of
    5 % (``tests/findings/test_untrained.py`` checks the rate with this function)."""
    return random_neuron_sets(n_neurons, len(tested), n_sets, exclude=None, seed=seed)


@dataclass
class ControlTest(PermutationResult):
    """Observed effect of S (``statistic``) against the effects of random sets of |S|
    neurons (``null``)."""

    excluded_tested_set: bool = False

    @property
    def observed(self) -> float:
        return self.statistic

    @property
    def control(self) -> np.ndarray:
        return self.null

    @property
    def control_band(self) -> tuple[float, float]:
        """The central 95 % of the random-set effects."""
        lo, hi = np.quantile(self.null, [0.025, 0.975])
        return float(lo), float(hi)

    @property
    def effect_vs_control(self) -> float:
        """Observed minus the mean random-set effect (e.g. percentage points)."""
        return self.statistic - self.null_mean


def random_control_test(observed: float, control_effects, alternative: str = "greater",
                        excluded_tested_set: bool = False) -> ControlTest:
    """p = (1 + #{control ≥ observed}) / (1 + n) (``alternative='greater'``: S's effect is
    larger than random sets'); ``less`` and ``two-sided`` as in :func:`null_pvalue`."""
    control = np.asarray(control_effects, dtype=float)
    if control.ndim != 1 or len(control) == 0:
        raise ValueError("control_effects must be a non-empty 1-d array")
    return ControlTest(float(observed), control, float(null_pvalue(observed, control, alternative)), alternative,
                       excluded_tested_set=excluded_tested_set)
