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
from scipy import stats


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
        return bool(self.p_value < alpha)  # False when p is NaN


def tost(x, y=None, low: float = -0.05, high: float = 0.05, paired: bool = False) -> TOSTResult:
    """Equivalence test of mean(x) (one sample), mean(x − y) (paired) or mean(x) − mean(y)
    (Welch) against the margin [low, high]."""
    x = np.asarray(x, float)
    if low >= high:
        raise ValueError("need low < high")
    if y is None or paired:
        d = x if y is None else x - np.asarray(y, float)
        n = len(d)
        est, se, df = d.mean(), d.std(ddof=1) / np.sqrt(n), n - 1
    else:
        y = np.asarray(y, float)
        vx, vy = x.var(ddof=1) / len(x), y.var(ddof=1) / len(y)
        est, se = x.mean() - y.mean(), np.sqrt(vx + vy)
        df = (vx + vy) ** 2 / (vx**2 / (len(x) - 1) + vy**2 / (len(y) - 1))
    if se == 0:  # no variation: the t statistic is undefined, so no p-value (and no equivalence claim)
        p_lo = p_hi = float("nan")
    else:
        p_lo = float(stats.t.sf((est - low) / se, df))  # H0: mean <= low
        p_hi = float(stats.t.cdf((est - high) / se, df))  # H0: mean >= high
    return TOSTResult(float(est), low, high, max(p_lo, p_hi), p_lo, p_hi, float(df))
