"""Seed-level inference: the unit of replication is the trained model (the seed).

A finding measures a statistic per seed (a rate over that seed's test examples, a probe
accuracy) and, for a test, a control per seed (the mean over random-neuron sets, or over
label permutations). The claim "this model family has the mechanism" is about seeds, so

* the test is a one-sample t-test over seeds of ``d_s = statistic_s − control_s`` (two-
  sided: a significant effect in the unexpected direction is reported as such);
* its standard error: with independent examples per seed, the spread of ``d_s`` between
  seeds already holds each seed's sampling error, so ``SE² = s²_d/S``; with every seed
  scored on the *same* test examples (``shared=True``) that spread misses the examples'
  sampling error, and the crossed two-way estimate ``Var = σ²_seed/S + σ²_item/n +
  σ²_res/(S·n) = (MS_seed + MS_item − MS_res)/(S·n)`` is used (Satterthwaite df);
* the CI of the statistic is ``control mean + t·SE`` around the difference, so the CI
  excludes the control mean exactly when p < 1 − level: a rejection never has a CI that
  contains its null;
* 0/1 outcomes use the Agresti–Coull variance ``p̃(1−p̃)/n`` with ``p̃ = (k+2)/(n+4)``,
  so rates at 0 or 1 do not collapse to a zero-width interval.

scipy's ``ttest_1samp`` computes the same t-test from the seed means alone; this module
is kept because it adds the shared-examples (crossed) term and the rate floor, which scipy's
test has no input for. With one seed the between-seed term is absent (and said so);
the degrees of freedom are then those of a normal interval.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass
class SeedTest:
    estimate: float  # mean over seeds of the per-seed statistic
    ci_low: float
    ci_high: float
    null_mean: float  # mean over seeds of the per-seed control (NaN: no test)
    p_value: float  # two-sided, seed-level (NaN: no test)
    se: float
    df: float
    n_seeds: int
    n_examples: int
    note: str = ""

    @property
    def difference(self) -> float:
        return self.estimate - self.null_mean


def _rate_floor(v: np.ndarray) -> float:
    """For a seed's 0/1 outcomes, the Agresti–Coull variance of its rate (never zero);
    0 for other values. Only a floor: the spread between seeds already carries each
    seed's sampling error (and a paired control cancels much of it)."""
    n = len(v)
    if n < 2 or not np.isin(v, (0.0, 1.0)).all():
        return 0.0
    p = (v.sum() + 2) / (n + 4)
    return float(p * (1 - p) / n)


def _crossed_var(X: np.ndarray) -> tuple[float, float]:
    """Var of the grand mean of an (S seeds × n shared items) table, two-way random
    effects without replication (method of moments), and its Satterthwaite df."""
    S, n = X.shape
    grand = X.mean()
    ms_seed = n * ((X.mean(1) - grand) ** 2).sum() / max(S - 1, 1)
    ms_item = S * ((X.mean(0) - grand) ** 2).sum() / max(n - 1, 1)
    resid = X - X.mean(1, keepdims=True) - X.mean(0, keepdims=True) + grand
    ms_res = (resid**2).sum() / max((S - 1) * (n - 1), 1)
    total = ms_seed + ms_item - ms_res
    if total <= ms_seed:
        return float(ms_seed / (S * n)), float(S - 1)
    df = total**2 / (ms_seed**2 / (S - 1) + ms_item**2 / (n - 1) + ms_res**2 / ((S - 1) * (n - 1)))
    return float(total / (S * n)), float(max(S - 1, df))


def seed_test(per_seed_values, per_seed_null=None, level: float = 0.95, bounds=(0.0, 1.0),
              shared: bool = False) -> SeedTest:
    """Seed-level estimate, CI and (with ``per_seed_null``) two-sided test. ``shared``:
    every seed's per-example values are on the same examples, in the same order (for a
    test, so are the null's: per-example control values)."""
    vals = [np.atleast_1d(np.asarray(v, float)) for v in per_seed_values]
    keep = [i for i, v in enumerate(vals) if len(v)]
    vals = [vals[i] for i in keep]
    S = len(vals)
    if S == 0:
        raise ValueError("no seed has values")
    means = np.array([v.mean() for v in vals])
    within = np.array([_rate_floor(v) for v in vals])
    if per_seed_null is not None:
        nulls = [np.atleast_1d(np.asarray(per_seed_null[i], float)) for i in keep]
        cmeans = np.array([c.mean() for c in nulls])
    else:
        cmeans = np.zeros(S)
    d = means - cmeans
    between = d.var(ddof=1) / S if S > 1 else 0.0
    df = float(S - 1) if S > 1 else np.inf
    if shared and S > 1 and len({len(v) for v in vals}) == 1 and len(vals[0]) > 1:
        X = np.stack(vals)
        if per_seed_null is not None and all(len(c) == X.shape[1] for c in nulls):
            X = X - np.stack(nulls)
        crossed, crossed_df = _crossed_var(X)
        if crossed > between:
            between, df = crossed, crossed_df
    se = float(np.sqrt(max(between, within.mean() / S)))
    q = stats.t.ppf(0.5 + level / 2, df)
    center = float(cmeans.mean())
    lo, hi = float(d.mean() - q * se), float(d.mean() + q * se)
    note = "" if S > 1 else "one seed: the CI has no between-seed term"
    p = float("nan")
    if per_seed_null is not None:
        if abs(d.mean()) <= 1e-12:
            p = 1.0
        elif se > 1e-12 * abs(d.mean()):
            p = float(2 * stats.t.sf(abs(d.mean()) / se, df))
        else:  # every seed and example agree exactly: the difference is known without error
            p = 0.0 if d.mean() != 0 else 1.0
            note = (note + "; no variation at all: p is 0 or 1 exactly").strip("; ")
    else:
        center = 0.0
    ci_low, ci_high = center + lo, center + hi
    if bounds is not None:
        ci_low, ci_high = float(np.clip(ci_low, *bounds)), float(np.clip(ci_high, *bounds))
    return SeedTest(float(means.mean()), ci_low, ci_high, float(cmeans.mean()) if per_seed_null is not None
                    else float("nan"), p, se, df, S, int(sum(len(v) for v in vals)), note)
