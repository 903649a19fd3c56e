"""Effect sizes and equivalence tests.

* :func:`pp_difference` — percentage-point difference of two rates.
* :func:`hedges_g` — standardised mean difference via pingouin.
* :func:`tost` — two one-sided t-tests for "stays the same" claims: H0 is that the mean
  (or mean difference) lies outside [low, high]; rejecting it shows equivalence within
  the stated margin. A non-significant difference test never shows equivalence.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pingouin as pg
from statsmodels.stats.weightstats import DescrStatsW, ttost_ind


def pp_difference(rate, reference) -> float:
    """(rate − reference) in percentage points, rates given as proportions."""
    return 100.0 * (float(rate) - float(reference))


def hedges_g(x, y, paired: bool = False) -> float:
    """Hedges' g (bias-corrected Cohen's d) of x vs y, computed by pingouin."""
    return float(pg.compute_effsize(np.asarray(x, float), np.asarray(y, float), paired=paired, eftype="hedges"))


def cohens_d(x, y, paired: bool = False) -> float:
    return float(pg.compute_effsize(np.asarray(x, float), np.asarray(y, float), paired=paired, eftype="cohen"))


@dataclass
class TOSTResult:
    estimate: float
    low: float
    high: float
    p_value: float  # max of the two one-sided p-values
    p_lower: float
    p_upper: float
    df: float

    def equivalent(self, alpha: float = 0.05) -> bool:
        return bool(self.p_value < alpha)


def tost(x, y=None, low: float = -0.05, high: float = 0.05, paired: bool = False) -> TOSTResult:
    """Equivalence test of mean(x) (one sample), mean(x − y) (paired) or mean(x) − mean(y)
    (Welch) against the margin [low, high]: statsmodels' TOST (``ttost_mean``,
    ``ttost_paired``, ``ttost_ind`` with unequal variances), as a result with the estimate.

    Examples
    --------
    >>> r = tost([0.01, -0.02, 0.00, 0.015], low=-0.05, high=0.05)
    >>> round(r.p_value, 4), r.equivalent()
    (0.004, True)
    >>> tost([0.02] * 4, low=-0.05, high=0.05).p_value  # seeds that agree exactly: a clear answer
    0.0
    """
    x = np.asarray(x, float)
    if low >= high:
        raise ValueError("need low < high")
    if y is None or paired:
        d = x if y is None else x - np.asarray(y, float)
        est, se = d.mean(), d.std(ddof=1) / np.sqrt(len(d))
        if se > 0:
            _, (_, p_lo, df), (_, p_hi, _) = DescrStatsW(d).ttost_mean(low, high)
    else:
        y = np.asarray(y, float)
        est, se = x.mean() - y.mean(), np.sqrt(x.var(ddof=1) / len(x) + y.var(ddof=1) / len(y))
        if se > 0:
            _, (_, p_lo, df), (_, p_hi, _) = ttost_ind(x, y, low, high, usevar="unequal")
    if not se > 0:  # every seed agrees exactly: the t statistics are ±infinite, so each one-sided p is 0 or 1
        # (statsmodels' own limit): equivalent exactly when the common value lies strictly inside the margin
        p_lo, p_hi = float(not est > low), float(not est < high)
        df = float(len(d) - 1 if y is None or paired else len(x) + len(y) - 2)
    return TOSTResult(float(est), low, high, max(float(p_lo), float(p_hi)), float(p_lo), float(p_hi), float(df))
