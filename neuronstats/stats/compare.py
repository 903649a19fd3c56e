"""GRU vs LSTM: the difference of per-seed measurements, its multi-bootstrap CI, an
exact permutation p over seed labels, and Hedges' g."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from neuronstats.stats.bootstrap import multi_bootstrap_diff
from neuronstats.stats.effects import hedges_g
from neuronstats.stats.pvalues import null_pvalue


@dataclass
class CellComparison:
    difference: float  # mean(A seeds) − mean(B seeds)
    ci_low: float
    ci_high: float
    p_value: float  # permutation over seed labels, two-sided
    n_null: int
    null_mean: float
    null_ci_high: float
    hedges_g: float
    n_a: int
    n_b: int

def seed_label_permutation(a, b, alternative: str = "two-sided", max_exact: int = 20000, n_perm: int = 9999,
                           seed: int = 0) -> tuple[float, np.ndarray]:
    """Permutation p for mean(a) − mean(b) over the assignment of seeds to the two cells:
    all C(n_a + n_b, n_a) splits when there are at most ``max_exact``, else random ones."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    pooled = np.concatenate([a, b])
    n, k = len(pooled), len(a)
    obs = a.mean() - b.mean()
    total = pooled.sum()

    if math.comb(n, k) <= max_exact:  # exact: the null enumerates every split, the observed included
        combos = np.array(list(itertools.combinations(range(n), k)))
        sa = pooled[combos].sum(1)
        null = sa / k - (total - sa) / (n - k)
        eps = 1e-12 * max(1.0, abs(obs))
        if alternative == "greater":
            p = np.mean(null >= obs - eps)
        elif alternative == "less":
            p = np.mean(null <= obs + eps)
        else:  # the split null is symmetric about 0 only for equal sizes; use distance from its mean
            p = np.mean(np.abs(null - null.mean()) >= abs(obs - null.mean()) - eps)
        return float(p), null
    rng = np.random.default_rng(seed)
    idx = np.argsort(rng.random((n_perm, n)), axis=1)[:, :k]
    sa = pooled[idx].sum(1)
    null = sa / k - (total - sa) / (n - k)
    return float(null_pvalue(obs, null, alternative)), null

def compare_cells(seed_values_a, seed_values_b, n_boot: int = 1000, seed: int = 0) -> CellComparison:
    """``seed_values_*``: one array of per-example measurements per seed (or one number
    per seed). The permutation test and Hedges' g use the per-seed means (the seed is
    the unit of replication); the CI is the unpaired multi-bootstrap."""
    a = [np.atleast_1d(np.asarray(v, float)) for v in seed_values_a]
    b = [np.atleast_1d(np.asarray(v, float)) for v in seed_values_b]
    ma, mb = np.array([v.mean() for v in a]), np.array([v.mean() for v in b])
    ci = multi_bootstrap_diff(a, b, n_boot=n_boot, seed=seed)
    p, null = seed_label_permutation(ma, mb, seed=seed)
    g = hedges_g(ma, mb) if (ma.std() + mb.std()) > 0 else float("nan")
    return CellComparison(float(ma.mean() - mb.mean()), ci.ci_low, ci.ci_high, p, len(null),
                          float(null.mean()), float(np.quantile(null, 0.95)), g, len(a), len(b))
