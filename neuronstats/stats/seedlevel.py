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
* with each seed scored on its *own subset* of one shared pool of examples (e.g. the
  examples it positions correctly), ``index`` gives each value's example id; the
  examples' shared effect ``σ²_item`` is then the mean covariance of two seeds' values on
  the examples they have in common, and ``Var = s²_d/S + σ²_item·Σ_e w̄_e²`` (``w̄_e``:
  example e's weight in the grand mean), with Satterthwaite df;
* the CI of the statistic is ``control mean + t·SE`` around the difference, so the CI
  excludes the control mean exactly when p < 1 − level: a rejection never has a CI that
  contains its null;
* 0/1 outcomes use the Agresti–Coull variance ``p̃(1−p̃)/n`` with ``p̃ = (k+2)/(n+4)``,
  so rates at 0 or 1 do not collapse to a zero-width interval.

scipy's ``ttest_1samp`` computes the same t-test from the seed means alone; this module
is kept because it adds the shared-examples (crossed) term and the rate floor, which scipy's
test has no input for. With one model there is no between-seed term: the unit of
inference is then its test examples (:func:`one_model_test`), and a scalar statistic takes
its p from its own null (a permutation p, never 0) and has no interval.
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


def _two_sided_t(t: float, df: float) -> float:
    """Two-sided p of a t statistic, never exactly 0: a p below the smallest positive
    double is reported as that double (it means "smaller than 2.2e-308"), not as certainty."""
    return float(max(2 * stats.t.sf(t, df), np.finfo(float).tiny))


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


def item_variance(per_seed_values, index) -> tuple[float, float]:
    """The shared examples' contribution to the variance of the grand mean (mean over
    seeds of each seed's mean), when seed s has values ``per_seed_values[s]`` on the
    examples ``index[s]`` of one shared pool; and its df (distinct examples − 1).

    σ²_item is the mean, over pairs of seeds, of the covariance of their values on the
    examples both have (weighted by how many); negative estimates count as 0."""
    ids = [np.asarray(i) for i in index]
    vals = [np.asarray(v, float) for v in per_seed_values]
    S = len(vals)
    num = den = 0.0
    for a in range(S):
        for b in range(a + 1, S):
            common, ia, ib = np.intersect1d(ids[a], ids[b], return_indices=True)
            if len(common) < 3:
                continue
            xa, xb = vals[a][ia], vals[b][ib]
            num += ((xa - xa.mean()) * (xb - xb.mean())).sum()
            den += len(common) - 1
    if den == 0:
        return 0.0, np.inf
    sigma2 = max(0.0, num / den)
    pool = np.unique(np.concatenate(ids))
    wbar = np.zeros(len(pool))
    for i in ids:
        np.add.at(wbar, np.searchsorted(pool, i), 1.0 / (len(i) * S))
    return float(sigma2 * (wbar**2).sum()), float(max(len(pool) - 1, 1))


def satterthwaite(v1: float, df1: float, v2: float, df2: float) -> float:
    """Degrees of freedom of the sum of two variance estimates."""
    if v2 <= 0:
        return df1
    if v1 <= 0:
        return df2
    return float((v1 + v2) ** 2 / (v1**2 / df1 + v2**2 / df2))


def seed_test(per_seed_values, per_seed_null=None, level: float = 0.95, bounds=(0.0, 1.0),
              shared: bool = False, index=None, index_control=None) -> SeedTest:
    """Seed-level estimate, CI and (with ``per_seed_null``) two-sided test. ``shared``:
    every seed's per-example values are on the same examples, in the same order (for a
    test, so are the null's: per-example control values). ``index``: per seed, the
    example id of each value (each seed's own subset of one shared pool of examples);
    ``index_control``: per seed, each example's control value (e.g. its mean over the
    random sets), subtracted before the examples' shared variance is estimated."""
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
    if S == 1:
        ictl = None if index_control is None else np.asarray(index_control[keep[0]], float)
        return one_model_test(vals[0], nulls[0] if per_seed_null is not None else None, level, bounds, ictl)
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
    elif index is not None and S > 1:
        ids = [np.asarray(index[i]) for i in keep]
        per_example = vals
        if index_control is not None:
            per_example = [v - np.asarray(index_control[i], float) for v, i in zip(vals, keep)]
        item, item_df = item_variance(per_example, ids)
        df = satterthwaite(between, df, item, item_df)
        between += item
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
            p = _two_sided_t(abs(d.mean()) / se, df)
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


def _pooled_one_model(units, s: int, level: float, bounds) -> tuple[SeedTest, np.ndarray]:
    """:func:`pooled_seed_test` for one model: the mean over units, with the examples of
    each unit as the unit of inference (or, for scalar statistics, a permutation p of the
    mean over units against the mean of their null draws)."""
    vals = [np.atleast_1d(np.asarray(u["values"][s], float)) for u in units
            if s < len(u["values"]) and u["values"][s] is not None and len(np.atleast_1d(u["values"][s]))]
    nulls = [None if u.get("null") is None or u["null"][s] is None else np.atleast_1d(np.asarray(u["null"][s], float))
             for u in units if s < len(u["values"]) and u["values"][s] is not None
             and len(np.atleast_1d(u["values"][s]))]
    K = len(vals)
    est = float(np.mean([v.mean() for v in vals]))
    has_null = all(c is not None for c in nulls)
    center = float(np.mean([c.mean() for c in nulls])) if has_null else 0.0
    if all(len(v) == 1 for v in vals):
        nan = float("nan")
        p = nan
        if has_null and len({len(c) for c in nulls}) == 1 and len(nulls[0]) > 1:
            draws = np.mean(nulls, axis=0)
            n = len(draws)
            p = float(min(1.0, 2 * min((1 + (draws >= est).sum()) / (1 + n), (1 + (draws <= est).sum()) / (1 + n))))
        return (SeedTest(est, nan, nan, center if has_null else nan, p, nan, nan, 1, K,
                         f"one model, pooled over {K} units of scalar statistics: permutation p of their mean; "
                         "no interval"), np.array([est - center]))
    var = sum(max(v.var(ddof=1), _rate_floor(v) * len(v)) / len(v) for v in vals if len(v) > 1) / K**2
    df = max(sum(len(v) - 1 for v in vals), 1)
    se = float(np.sqrt(var))
    d = est - center
    q = stats.t.ppf(0.5 + level / 2, df)
    p = float("nan") if not has_null else (1.0 if abs(d) <= 1e-12 else _two_sided_t(abs(d) / se, df)
                                           if se > 0 else 1.0)
    lo, hi = center + d - q * se, center + d + q * se
    if bounds is not None:
        lo, hi = float(np.clip(lo, *bounds)), float(np.clip(hi, *bounds))
    return (SeedTest(est, float(lo), float(hi), center if has_null else float("nan"), p, se, float(df), 1,
                     int(sum(len(v) for v in vals)),
                     f"one model, pooled over {K} units: the unit of inference is its test examples"),
            np.array([d]))


def one_model_test(values, null=None, level: float = 0.95, bounds=(0.0, 1.0), example_control=None) -> SeedTest:
    """Inference on a single model, where there is no between-seed variation to use: the
    unit of inference is the model's test examples.

    * per-example values: a t interval and test over the examples (each example's own
      control subtracted where given; else the control's mean, with the sampling error of
      that mean added); 0/1 outcomes never get less than the Agresti–Coull variance;
    * one scalar (e.g. a probe's held-out accuracy) against its null draws: p is the
      two-sided permutation p (at least 1/(n+1), never 0), and there is no interval (the
      statistic's examples are inside it; the row says so).
    """
    v = np.atleast_1d(np.asarray(values, float))
    c = None if null is None else np.atleast_1d(np.asarray(null, float))
    center = float(c.mean()) if c is not None else 0.0
    if len(v) == 1:
        nan = float("nan")
        if c is None or len(c) < 2:
            return SeedTest(float(v[0]), nan, nan, center if c is not None else nan, nan, nan, nan, 1, 1,
                            "one model, a scalar statistic: no interval and no test")
        n = len(c)
        upper = (1 + (c >= v[0]).sum()) / (1 + n)
        lower = (1 + (c <= v[0]).sum()) / (1 + n)
        return SeedTest(float(v[0]), nan, nan, center, float(min(1.0, 2 * min(upper, lower))), nan, nan, 1, 1,
                        f"one model, a scalar statistic: two-sided permutation p against its {n} null draws "
                        f"(at least {1 / (1 + n):.2g}); no interval (its examples are inside the statistic)")
    x = v - example_control if example_control is not None and len(example_control) == len(v) else v
    n = len(x)
    var = x.var(ddof=1) / n
    var = max(var, _rate_floor(v))  # 0/1 outcomes: never below the Agresti-Coull variance (0 for other values)
    if c is not None and example_control is None and len(c) > 1:
        var += c.var(ddof=1) / len(c)  # the control's own mean is estimated too
    se = float(np.sqrt(var))
    d = float(x.mean() - (0.0 if example_control is not None else center))
    if example_control is not None:
        center = float(np.mean(example_control))
    q = stats.t.ppf(0.5 + level / 2, n - 1)
    p = float("nan")
    if c is not None:
        p = 1.0 if abs(d) <= 1e-12 else (_two_sided_t(abs(d) / se, n - 1) if se > 0 else 1.0)
    base = center if c is not None else 0.0
    lo, hi = base + d - q * se, base + d + q * se
    if bounds is not None:
        lo, hi = float(np.clip(lo, *bounds)), float(np.clip(hi, *bounds))
    return SeedTest(float(v.mean()), float(lo), float(hi), center if c is not None else float("nan"), p, se,
                    float(n - 1), 1, n, f"one model: the unit of inference is its {n} test examples (t over examples)")


def pooled_seed_test(units, level: float = 0.95, bounds=(0.0, 1.0)) -> tuple[SeedTest, np.ndarray]:
    """One seed-level estimate for a claim made of several units (tokens): per seed, the
    mean over units of (statistic − control); the test is over seeds, and its SE adds
    each unit's shared-examples term (units are on disjoint examples, so their terms add,
    divided by K²). ``units``: per unit a dict with ``values`` and ``null`` (per seed;
    ``None`` or empty where the unit has no data in that seed), and optionally ``index``
    and ``index_control`` (per seed, as in :func:`seed_test`). Returns the test and the
    per-seed effects d_s."""
    n_seeds = max(len(u["values"]) for u in units)
    est, ctl = [[] for _ in range(n_seeds)], [[] for _ in range(n_seeds)]
    item, item_df, K = 0.0, 0.0, 0
    for u in units:
        present = [s for s in range(n_seeds) if s < len(u["values"]) and u["values"][s] is not None
                   and len(np.atleast_1d(u["values"][s]))]
        if not present:
            continue
        K += 1
        for s in present:
            est[s].append(float(np.mean(u["values"][s])))
            ctl[s].append(float(np.mean(u["null"][s])) if u.get("null") is not None and u["null"][s] is not None
                          else 0.0)
        if u.get("index") is not None and len(present) > 1:
            vals = [np.asarray(u["values"][s], float) for s in present]
            if u.get("index_control") is not None:
                vals = [v - np.asarray(u["index_control"][s], float) for v, s in zip(vals, present)]
            v_u, df_u = item_variance(vals, [u["index"][s] for s in present])
            item += v_u
            item_df += df_u if np.isfinite(df_u) else 0.0
    seeds = [s for s in range(n_seeds) if est[s]]
    if not seeds or K == 0:
        raise ValueError("no unit has values in any seed")
    if len(seeds) == 1:
        return _pooled_one_model(units, seeds[0], level, bounds)
    means = np.array([np.mean(est[s]) for s in seeds])
    cmeans = np.array([np.mean(ctl[s]) for s in seeds])
    d = means - cmeans
    S = len(seeds)
    between = d.var(ddof=1) / S if S > 1 else 0.0
    item /= K**2
    df = satterthwaite(between, float(S - 1) if S > 1 else np.inf, item, max(item_df, 1.0))
    se = float(np.sqrt(between + item))
    q = stats.t.ppf(0.5 + level / 2, df)
    center = float(cmeans.mean())
    lo, hi = center + d.mean() - q * se, center + d.mean() + q * se
    if bounds is not None:
        lo, hi = float(np.clip(lo, *bounds)), float(np.clip(hi, *bounds))
    p = 1.0 if abs(d.mean()) <= 1e-12 else (_two_sided_t(abs(d.mean()) / se, df) if se > 0 else 0.0)
    note = f"pooled over {K} units: per seed the mean over units; seed-level test"
    if S == 1:
        note += "; one seed: the CI has no between-seed term"
    return SeedTest(float(means.mean()), float(lo), float(hi), center, p, se, float(df), S, 0, note), d
