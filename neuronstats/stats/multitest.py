"""Multiple-comparison correction within families of stats rows (statsmodels)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from statsmodels.stats.multitest import multipletests

METHODS = {"holm": "holm", "bh": "fdr_bh", "fdr_bh": "fdr_bh", "bonferroni": "bonferroni", "none": None}
FAMILY = ("dataset", "cell", "finding", "test")


def adjust(p_values, method: str = "holm", alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """(adjusted p, reject) for one family; NaN p-values are left out and stay NaN."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {sorted(METHODS)}, got {method!r}")
    p = np.asarray(p_values, dtype=float)
    adj = np.full_like(p, np.nan)
    rej = np.zeros(len(p), dtype=bool)
    ok = ~np.isnan(p)
    if ok.any():
        if METHODS[method] is None:
            adj[ok] = p[ok]
            rej[ok] = p[ok] <= alpha
        else:
            rej[ok], adj[ok], _, _ = multipletests(p[ok], alpha=alpha, method=METHODS[method])
    return adj, rej


def in_direction(table: pd.DataFrame) -> pd.Series:
    """Whether each row's estimate lies on its ``alternative``'s side of its control
    (``null_mean``, or 0 where the row has none, as a difference has): always true for
    two-sided and equivalence rows."""
    alt = table.get("alternative", pd.Series("two-sided", index=table.index)).fillna("two-sided")
    ref = table["null_mean"].where(table["null_mean"].notna(), 0.0)
    up, down = table["estimate"] > ref, table["estimate"] < ref
    return (~alt.isin(["greater", "less"])) | ((alt == "greater") & up) | ((alt == "less") & down)


def correct(table: pd.DataFrame, method: str = "holm", family=FAMILY) -> pd.DataFrame:
    """Fill ``p_adjusted``, ``correction`` and ``reject`` of a stats table, correcting
    within each family (by default: one test of one finding for one dataset × cell,
    across its units — tokens, positions or k). Each family uses its rows' ``alpha``.
    p-values are two-sided; ``reject`` is true only where the adjusted p is below alpha
    *and* the estimate lies on the side of the row's ``alternative`` (a significant
    effect in the other direction is not a rejection of this row's null in its claimed
    direction: it stays visible in the estimate, CI and p)."""
    out = table.copy()
    out["p_adjusted"] = np.nan
    out["reject"] = None
    for _, idx in out.groupby(list(family), sort=False).groups.items():
        alphas = out.loc[idx, "alpha"].unique()
        if len(alphas) != 1:
            raise ValueError(f"family {_} mixes alpha levels {alphas}")
        adj, rej = adjust(out.loc[idx, "p_value"].to_numpy(), method, float(alphas[0]))
        out.loc[idx, "p_adjusted"] = adj
        ok = in_direction(out.loc[idx]).to_numpy()
        out.loc[idx, "reject"] = [bool(r and d) if not np.isnan(a) else None for r, a, d in zip(rej, adj, ok)]
        out.loc[idx, "correction"] = f"{method} (m={int((~np.isnan(adj)).sum())})"
    return out
