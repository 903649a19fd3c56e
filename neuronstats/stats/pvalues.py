"""p-values from a null distribution (Phipson & Smyth 2010: never exactly zero)."""

from __future__ import annotations

import numpy as np

ALTERNATIVES = ("greater", "less", "two-sided")


def null_pvalue(observed, null, alternative: str = "greater") -> np.ndarray:
    """p = (1 + #{null ≥ observed}) / (1 + n_null), along the last axis of ``null``.

    ``less`` counts null ≤ observed; ``two-sided`` is 2·min(greater, less), capped at 1.
    ``observed`` broadcasts against ``null[..., 0]``.
    """
    if alternative not in ALTERNATIVES:
        raise ValueError(f"alternative must be one of {ALTERNATIVES}, got {alternative!r}")
    null = np.asarray(null, dtype=float)
    obs = np.asarray(observed, dtype=float)[..., None]
    n = null.shape[-1]
    eps = 1e-12 * np.maximum(1.0, np.abs(obs))  # ties within float error count as ties
    ge = (1 + (null >= obs - eps).sum(-1)) / (1 + n)
    le = (1 + (null <= obs + eps).sum(-1)) / (1 + n)
    if alternative == "greater":
        return ge
    if alternative == "less":
        return le
    return np.minimum(1.0, 2 * np.minimum(ge, le))
