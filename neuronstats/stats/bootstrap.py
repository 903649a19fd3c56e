"""Across seeds: the multi-bootstrap (Sellam et al. 2021, MultiBERTs).

Each replicate resamples seeds with replacement, then the examples of each drawn seed
with replacement; it averages within seed, then across seeds. A resampled mean of a
seed is ``counts · values / n_s`` with multinomial counts over its distinct values
(exact, and instant for 0/1 outcomes), else one gather of resampled indices; there
is no Python loop per replicate.

``method="percentile"`` is the MultiBERTs interval. With few seeds (5) and seed-to-seed
variation that dominates example noise it undercovers (the calibration tests measure
how much), because resampling 5 values cannot show a t₄ tail. ``method="t"`` keeps the
multi-bootstrap standard error but widens it by √(S/(S−1)) and uses the t quantile
with S − 1 degrees of freedom; it is the default where it matters (few seeds).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import stats


@dataclass
class BootstrapCI:
    estimate: float
    ci_low: float
    ci_high: float
    replicates: np.ndarray = field(repr=False)
    n_seeds: int
    n_examples: int
    method: str
    level: float


def _as_seed_arrays(values) -> list[np.ndarray]:
    arrs = [np.asarray(v, dtype=float).ravel() for v in values]
    if len(arrs) < 2:
        raise ValueError("the multi-bootstrap needs at least two seeds")
    if any(len(a) == 0 for a in arrs):
        raise ValueError("every seed needs at least one example")
    return arrs


def _replicate_means(arrs, n_boot: int, rng) -> np.ndarray:
    """(n_boot,) multi-bootstrap replicates of the mean-of-seed-means."""
    S = len(arrs)
    picks = rng.integers(S, size=(n_boot, S))
    means = np.empty((n_boot, S))
    for s, x in enumerate(arrs):
        where = np.nonzero(picks == s)
        k = len(where[0])
        if k == 0:
            continue
        n = len(x)
        vals, freq = np.unique(x, return_counts=True)
        if len(vals) <= 64:  # few distinct values (0/1 outcomes): multinomial over values
            means[where] = rng.multinomial(n, freq / n, size=k) @ vals / n
        else:
            means[where] = x[rng.integers(n, size=(k, n))].mean(1)
    return means.mean(1)


def _interval(est, reps, S, method, level):
    a = (1 - level) / 2
    if method == "percentile":
        lo, hi = np.quantile(reps, [a, 1 - a])
    elif method == "t":
        se = reps.std(ddof=1) * np.sqrt(S / (S - 1))
        q = stats.t.ppf(1 - a, df=S - 1)
        lo, hi = est - q * se, est + q * se
    else:
        raise ValueError(f"method must be 'percentile' or 't', got {method!r}")
    return float(lo), float(hi)


def multi_bootstrap(values, n_boot: int = 1000, level: float = 0.95, method: str = "t",
                    seed: int = 0) -> BootstrapCI:
    """CI for the mean over seeds of per-seed means.

    ``values``: one array per seed (per-example measurements: 0/1 outcomes, effects, …).
    For a paired comparison within each seed (same examples under two conditions),
    pass the per-example differences.
    """
    arrs = _as_seed_arrays(values)
    est = float(np.mean([a.mean() for a in arrs]))
    reps = _replicate_means(arrs, n_boot, np.random.default_rng(seed))
    lo, hi = _interval(est, reps, len(arrs), method, level)
    return BootstrapCI(est, lo, hi, reps, len(arrs), sum(len(a) for a in arrs), method, level)


def multi_bootstrap_diff(values_a, values_b, n_boot: int = 1000, level: float = 0.95, method: str = "t",
                         seed: int = 0) -> BootstrapCI:
    """Unpaired: CI for mean(A) − mean(B) where A and B are independent sets of seeds
    (e.g. GRU seeds vs LSTM seeds); each side is multi-bootstrapped independently."""
    a, b = _as_seed_arrays(values_a), _as_seed_arrays(values_b)
    rng = np.random.default_rng(seed)
    est = float(np.mean([x.mean() for x in a]) - np.mean([x.mean() for x in b]))
    ra, rb = _replicate_means(a, n_boot, rng), _replicate_means(b, n_boot, rng)
    reps = ra - rb
    if method == "t":  # Welch-style: combine the two sides' corrected variances
        va = ra.var(ddof=1) * len(a) / (len(a) - 1)
        vb = rb.var(ddof=1) * len(b) / (len(b) - 1)
        se = np.sqrt(va + vb)
        df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1)) if va + vb > 0 else len(a) + len(b) - 2
        q = stats.t.ppf(1 - (1 - level) / 2, df=df)
        lo, hi = est - q * se, est + q * se
    else:
        lo, hi = _interval(est, reps, len(a) + len(b), method, level)
    return BootstrapCI(est, float(lo), float(hi), reps, len(a) + len(b), sum(map(len, a + b)), method, level)
