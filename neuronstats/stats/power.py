"""Power: the smallest change a rate test can detect with the examples a unit has.

Used to state, in every token-level table, what the minimum number of examples per unit
buys: the minimum detectable difference (MDD) of a rate from a reference rate ``p0``
with a one-sided level-α test and the given power, for ``n`` independent examples
(normal approximation on Cohen's h, via statsmodels' ``NormalIndPower`` with a single
sample).
"""

from __future__ import annotations

import numpy as np
from statsmodels.stats.power import NormalIndPower


def min_detectable_difference(n: int, p0: float = 0.5, alpha: float = 0.05, power: float = 0.8) -> float:
    """Smallest |p1 − p0| (proportion) detected with probability ``power`` by a one-sided
    level-``alpha`` test of a rate from ``n`` examples, p1 below p0 (a drop)."""
    if n < 2:
        return float("nan")
    h = NormalIndPower().solve_power(nobs1=n, alpha=alpha, power=power, ratio=0, alternative="larger")
    phi0 = 2 * np.arcsin(np.sqrt(p0))
    p1 = np.sin(max(phi0 - h, 0.0) / 2) ** 2
    return float(p0 - p1)
