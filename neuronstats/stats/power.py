"""Power: the smallest change a rate test can detect with the examples a unit has.

Used to state, in every token-level table, what the minimum number of examples per unit
buys: the minimum detectable difference (MDD) of a rate from a reference rate ``p0``
with a one-sided level-α test and the given power, for ``n`` independent examples
(normal approximation on Cohen's h, via statsmodels' ``NormalIndPower`` with a single
sample).
"""

from __future__ import annotations

import numpy as np
from scipy import stats
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


def claim_rule_power(effect: float, se: float, n_seeds: int = 5, untrained_effect: float | None = None,
                     untrained_se: float | None = None, direction: str = "greater", alpha: float = 0.05,
                     n_sim: int = 4000, seed: int = 0) -> dict:
    """How often the ledger's rule calls a claim supported when the mechanism is there
    with the effect seen: simulated studies of ``n_seeds`` seeds whose per-seed effects
    (statistic minus control) are N(``effect``, (``se``·√n_seeds)²), tested as the rows
    are (seed-level t-test, two-sided p, rejection only in ``direction``); where the
    untrained baseline is given, the trained effects must also beat the untrained ones
    (Welch over seeds, same side). Returns ``{"row": power of the row alone, "claim":
    power of the whole rule}``."""
    rng = np.random.default_rng(seed)
    sd = se * np.sqrt(n_seeds)
    sign = 1.0 if direction == "greater" else -1.0
    d = rng.normal(effect, sd, (n_sim, n_seeds))
    t = d.mean(1) / (d.std(1, ddof=1) / np.sqrt(n_seeds))
    row = (2 * stats.t.sf(np.abs(t), n_seeds - 1) <= alpha) & (sign * t > 0)
    claim = row.copy()
    if untrained_effect is not None and untrained_se is not None:
        u = rng.normal(untrained_effect, untrained_se * np.sqrt(n_seeds), (n_sim, n_seeds))
        welch = stats.ttest_ind(d, u, axis=1, equal_var=False)
        claim &= (welch.pvalue <= alpha) & (sign * welch.statistic > 0)
    return {"row": float(row.mean()), "claim": float(claim.mean())}
