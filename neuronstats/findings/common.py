"""Seed-combined tests shared by every finding.

Every finding measures something per seed (a rate over that seed's examples, a probe
accuracy) and has a control per seed (random-neuron sets, label permutations). The
study's statistic is the mean over seeds; the test is seed-level: a two-sided t-test
over seeds of (statistic − control), and the CI comes from the same standard error
(:mod:`neuronstats.stats.seedlevel`). Neuron sets are selected on one half of the test
examples and tested on the other (:class:`~neuronstats.findings.context.Context`).
"""

from __future__ import annotations

import dataclasses
import logging
import time

import numpy as np
from scipy import stats

from neuronstats.stages.candidates import probe_test
from neuronstats.stages.neuronset import find
from neuronstats.stages.verify import verify
from neuronstats.stats.effects import hedges_g, pp_difference
from neuronstats.stats.row import NullTestResult, stats_row
from neuronstats.stats.seedlevel import pooled_seed_test, seed_test


def _one_sided(st, alternative: str) -> float:
    """The one-sided p of a two-sided seed test in the claimed direction (the two-sided p
    for a two-sided claim)."""
    if alternative not in ("greater", "less") or np.isnan(st.p_value):
        return st.p_value
    right = (st.difference > 0) if alternative == "greater" else (st.difference < 0)
    return st.p_value / 2 if right else 1 - st.p_value / 2


def combined_test(*, dataset, cell, finding, test, test_id, unit, statistic, per_seed_values, per_seed_null=None,
                  alternative="greater", alpha=0.05, ci_method="seed_t", notes="",
                  effect="pp", n_examples=None, bounds=(0.0, 1.0), index=None, index_control=None,
                  second=None) -> NullTestResult:
    """One test from per-seed arrays of per-example values (or one value per seed)
    and, optionally, per-seed control draws (random-neuron sets, label permutations).

    Inference is seed-level (:func:`neuronstats.stats.seedlevel.seed_test`): p is a
    two-sided t-test over seeds of (statistic − control), with a standard error that also
    carries the examples' and the control draws' sampling error, and the CI is built
    from the same standard error, so a row never rejects while its CI contains the null
    mean. ``alternative`` is the direction the paper claims; ``null_ci_high`` is the
    control's 95 % bound on that side. The result's ``seed_effects`` are per seed the
    statistic minus its control (or the statistic, without a control), for GRU-vs-LSTM
    comparisons of each cell's own effect.
    ``test_id`` is the test's stable id (the claims ledger and the reports match on it);
    ``paper_value`` is left empty: the paper's numbers are joined on ``test_id`` by the
    clients (:func:`neuronstats.paper.with_paper_values`); statistics do not know the paper.

    ``index``: per seed, the example id of each per-example value (seeds scored on
    subsets of the same test examples: the CI then carries the examples' shared
    sampling error, :func:`~neuronstats.stats.seedlevel.seed_test`), and
    ``index_control`` each of those examples' control value. ``second``: a second
    test that must also reject (an intersection–union test), as ``(per-seed values,
    per-seed null)``; the row reports the test whose one-sided p in the claimed direction
    is the larger, its control expressed on the first statistic's scale (the estimate
    stays the first statistic; the effect and CI width are the binding test's).
    A row whose control already sits at the bound it would have to pass (e.g. random
    sets zeroed give 0 % and the claim is "less") cannot reject by construction: it
    has no p and says "not testable"."""
    vals = [np.atleast_1d(np.asarray(v, float)) for v in per_seed_values]
    seeds = [i for i, v in enumerate(vals) if len(v)]
    if not seeds:
        return NullTestResult(stats_row(
            dataset=dataset, cell=cell, finding=finding, test=test, test_id=test_id, unit=unit, statistic=statistic,
            estimate=float("nan"), alpha=alpha, n_seeds=0,
            notes=(notes + "; no seed with data").strip("; ")))
    vals = [vals[i] for i in seeds]
    idx = None if index is None else [np.asarray(index[i]) for i in seeds]
    ictl = None if index_control is None else [np.asarray(index_control[i], float) for i in seeds]
    nulls = None if per_seed_null is None else [np.asarray(per_seed_null[i], float) for i in seeds]
    st = seed_test(vals, nulls, bounds=bounds, index=idx, index_control=ictl)
    ctrl = [0.0] * len(vals) if nulls is None else [float(c.mean()) for c in nulls]
    effects = tuple(float(v.mean()) - c for v, c in zip(vals, ctrl))
    binding = ""
    if second is not None and nulls is not None:
        vals_b = [np.atleast_1d(np.asarray(second[0][i], float)) for i in seeds]
        nulls_b = [np.asarray(second[1][i], float) for i in seeds]
        st_b = seed_test(vals_b, nulls_b, bounds=None)
        if _one_sided(st_b, alternative) > _one_sided(st, alternative):
            shift = st.estimate - st_b.estimate  # B's control on A's scale: the estimate minus B's effect
            lo, hi = st_b.ci_low + shift, st_b.ci_high + shift
            if bounds is not None:
                lo, hi = float(np.clip(lo, *bounds)), float(np.clip(hi, *bounds))
            st = dataclasses.replace(st_b, estimate=st.estimate, ci_low=lo, ci_high=hi,
                                     null_mean=st_b.null_mean + shift)
            effects = tuple(float(v.mean() - c.mean()) for v, c in zip(vals_b, nulls_b))
            nulls = [c + (v.mean() - vb.mean()) for c, v, vb in zip(nulls_b, vals, vals_b)]
            binding = "the second test binds (its control shown on the first statistic's scale)"
        else:
            binding = "the first test binds"
    fields = dict(ci_low=st.ci_low, ci_high=st.ci_high)
    how = ("seed-level t-test of (statistic - control) per seed, two-sided p; SE = seeds + "
           + ("examples (crossed: seeds share test examples) + " if idx is not None else "examples + ")
           + f"control draws; rejects only in the claimed direction: {alternative}")
    if nulls is not None:
        n = min(len(x) for x in nulls)
        null = np.mean([x[:n] for x in nulls], axis=0)
        q = 0.05 if alternative == "less" else 0.95
        fields.update(null_mean=st.null_mean, null_ci_high=float(np.quantile(null, q)), n_null=n,
                      p_value=st.p_value, alternative=alternative)
        room = _room(st.null_mean, alternative, bounds)
        if room is not None and room < 0.005:
            fields["p_value"] = None
            notes = "; ".join(x for x in (notes, f"not testable: the control already sits at {st.null_mean:.3g}, at "
                                                 f"the bound that a '{alternative}' effect would have to pass") if x)
        if effect == "pp":
            fields.update(effect_size=pp_difference(st.estimate, st.null_mean), effect_size_kind="pp vs null mean")
        elif effect == "g":
            seed_means = [v.mean() for v in vals]
            seed_null = [np.mean(x) for x in nulls]
            fields.update(effect_size=hedges_g(seed_means, seed_null, paired=True),
                          effect_size_kind="Hedges' g vs null (seeds)")
        power = ""
        if np.isfinite(st.se) and st.se > 0:
            df = st.df if np.isfinite(st.df) else 1e6
            mde = (stats.t.ppf(0.975, df) + stats.t.ppf(0.80, df)) * st.se
            power = f"power: this test detects a difference of about {mde:.3g} from the control with 80 % power"
        notes = "; ".join(x for x in (notes, how, binding, power, st.note) if x)
    elif len({round(float(v.mean()), 12) for v in vals}) == 1 and all(np.ptp(v) == 0 for v in vals):
        fields = dict(ci_low=None, ci_high=None)  # a deterministic quantity: no interval to draw
        notes = "; ".join(x for x in (notes, f"deterministic: the same value in every seed ({len(vals)})") if x)
    else:
        notes = "; ".join(x for x in (notes, "CI: seeds + examples", st.note) if x)
    return NullTestResult(stats_row(dataset=dataset, cell=cell, finding=finding, test=test, test_id=test_id,
                                    unit=unit, statistic=statistic, estimate=st.estimate,
                                    alpha=alpha, n_seeds=st.n_seeds,
                                    n_examples=n_examples if n_examples is not None else st.n_examples, notes=notes,
                                    **fields), effects)


def _room(null_mean: float, alternative: str, bounds) -> float | None:
    """How far the statistic could move past its control in the claimed direction, within
    ``bounds`` (None: unbounded on that side)."""
    if bounds is None or alternative not in ("greater", "less"):
        return None
    lo, hi = bounds
    if alternative == "less":
        return None if lo is None else null_mean - lo
    return None if hi is None else hi - null_mean


def pooled_test(*, dataset, cell, finding, test, test_id, statistic, units_data, alternative="greater",
                alpha=0.05, ci_method="seed_t", notes="", bounds=(0.0, 1.0), has_null=True) -> NullTestResult | None:
    """A token-level claim judged on one estimate: per seed the mean over its tokens of
    the statistic (and of its control), then the seed-level CI and test
    (:func:`~neuronstats.stats.seedlevel.pooled_seed_test`, crossed SE where the seeds
    share examples). ``units_data``: per token a dict (``values``, ``null``, optional
    ``index``, ``index_control``), each per seed. Its own test (``test`` + " (pooled
    over tokens)"), so its own correction family. None without data."""
    units_data = [u for u in units_data if any(v is not None and len(np.atleast_1d(v)) for v in u["values"])]
    if not units_data:
        return None
    del ci_method  # one CI method: the seed-level t interval
    st, d = pooled_seed_test(units_data, bounds=bounds)
    unit = f"pooled: {len(units_data)} tokens"
    fields = dict(ci_low=st.ci_low, ci_high=st.ci_high)
    if has_null:
        n_null = min((len(np.atleast_1d(x)) for u in units_data for x in u["null"] if x is not None), default=0)
        fields.update(null_mean=st.null_mean, p_value=st.p_value, alternative=alternative, n_null=n_null,
                      effect_size=pp_difference(st.estimate, st.null_mean) if bounds == (0.0, 1.0) else None,
                      effect_size_kind="pp vs null mean" if bounds == (0.0, 1.0) else "")
        room = _room(st.null_mean, alternative, bounds)
        if room is not None and room < 0.005:
            fields["p_value"] = None
            notes = "; ".join(x for x in (notes, "not testable: the control already sits at the bound") if x)
    how = (f"{st.note} (two-sided p, rejects only in the claimed direction: {alternative}); SE = seeds + "
           "examples shared by the seeds (crossed), with Satterthwaite df" if has_null else
           st.note + "; CI: seeds + shared examples")
    return NullTestResult(stats_row(dataset=dataset, cell=cell, finding=finding, test=test + " (pooled over tokens)",
                                    test_id=test_id, unit=unit, statistic=statistic, estimate=st.estimate,
                                    alpha=alpha,
                                    n_seeds=st.n_seeds, notes="; ".join(x for x in (notes, how) if x), **fields),
                          tuple(float(x) for x in d))


def each_unit(ctx, finding: str, tokens):
    """The tokens of a token-level finding, one at a time, logging progress (a long
    finding reports how far it is through logging, which the CLI shows and Dask
    workers keep in their logs)."""
    log = logging.getLogger("neuronstats.findings")
    start = time.perf_counter()
    for i, tok in enumerate(tokens):
        yield tok
        log.info("%s %s %s: %s done (%d/%d, %.0f s)", ctx.dataset, ctx.cell, finding, ctx.unit_name(tok), i + 1,
                 len(tokens), time.perf_counter() - start)


def frequent_tokens(recs, n_units: int, min_examples: int, mask=None) -> tuple[list[int], str]:
    """The ``n_units`` most frequent positioned tokens that have at least
    ``min_examples`` correctly positioned examples in every seed; and a note saying so."""
    mask = np.ones(len(recs[0].w), bool) if mask is None else mask
    w = recs[0].w[mask, 0]
    tokens, counts = np.unique(w, return_counts=True)
    order = tokens[np.argsort(-counts, kind="stable")]
    keep, dropped = [], 0
    for tok in order:
        if all(((r.w[:, 0] == tok) & r.correct & mask).sum() >= min_examples for r in recs):
            keep.append(int(tok))
        else:
            dropped += 1
        if len(keep) == n_units:
            break
    note = (f"units: the {len(keep)} most frequent positioned tokens with >= {min_examples} correctly "
            f"positioned test examples in every seed (paper: 50 tokens; {dropped} of the {dropped + len(keep)} "
            f"tokens examined in frequency order had fewer)")
    return keep, note


def units(ctx, tokens=None) -> tuple[list[int], str]:
    """The token units of a token-level finding, and the note saying how they were chosen."""
    if tokens is None:
        tokens, note = frequent_tokens(ctx.recs, ctx.cfg.n_units, ctx.cfg.min_examples, ctx.test_mask)
        return tokens, note + "; " + ctx.split_note
    return list(tokens), "units: given tokens; " + ctx.split_note


def one_set_per_seed(ctx, hypothesis, ks):
    """Stages 1–2 for ``hypothesis`` on each seed, then its built-in verifications for
    each k on the seed's correctly positioned examples. Returns (probe accuracies, probe
    nulls, {k: (per-seed outcome arrays, per-seed random-set rates)}, [(NeuronSet,
    examples) per seed]); each k's entry holds per seed the outcomes, the random sets'
    rates, the outcomes' example ids and each example's rate over the random sets."""
    probe, probe_null, per_seed = [], [], []
    by_k = {k: ([], [], [], []) for k in ks}  # per seed: outcomes, random-set rates, example ids, their controls
    for s, model in enumerate(ctx.models):
        ns = find(model, ctx.selection_rec(s), hypothesis, n_perm=ctx.cfg.n_perm, seed=ctx.cfg.seed + s)
        probe.append(ns.stage1["heldout_accuracy"])
        probe_null.append(ns.probe_null)
        idx = ctx.correct_subset(s)
        for r in verify(model, ctx.ex.subset(idx), ns.neurons, hypothesis.name, n_sets=ctx.cfg.n_sets,
                        seed=ctx.cfg.seed + s, clean_correct=np.ones(len(idx), bool), ks=ks):
            k = abs(r.verification.outcome.k)
            by_k[k][0].append(r.tested.astype(float))
            by_k[k][1].append(r.control.mean(0))
            by_k[k][2].append(idx[r.examples])
            by_k[k][3].append(r.control.mean(1))
        per_seed.append((ns, idx))
    return probe, probe_null, by_k, per_seed


def probe_second(sets):
    """The second test of an intersection–union probe test, ``(per-seed statistics,
    per-seed nulls)``, or None when the probes had one null (labels constant in an
    example)."""
    b = [getattr(ns, "probe_b", (None, None)) for ns in sets]
    if any(x[1] is None for x in b):
        return None
    return [x[0] for x in b], [x[1] for x in b]


def selectivity_test(kw, finding_id: str, unit: str, sets) -> NullTestResult:
    """Descriptive row: probe accuracy minus its accuracy on a Hewitt–Liang control task
    (each token type given a random label), per seed; seed-level CI, no test."""
    return combined_test(**kw, test="probe selectivity (task minus control task)", test_id=f"{finding_id}.selectivity",
                         unit=unit, statistic="balanced-accuracy difference",
                         per_seed_values=[ns.stage1["selectivity"] for ns in sets], bounds=(-1.0, 1.0),
                         n_examples=sum(ns.stage1["n_examples"] for ns in sets),
                         notes="descriptive; control task: each token type gets a random label (Hewitt & Liang "
                               "2019); high selectivity: the probe reads the states, not the token identity")


def cell_state_probe_tests(ctx, hypothesis, kw, test: str, test_id: str, unit: str,
                           note: str = "") -> list[NullTestResult]:
    """LSTM only: the same stage-1 probe as on h, on the cell state c (the paper analyses h;
    c is where an LSTM may keep what a GRU keeps in h). One test, or none for a GRU."""
    if "c" not in ctx.models[0].state_names:  # only a cell with a cell state (LSTM) has a c to probe
        return []
    acc, null, acc_b, null_b, n_ex = [], [], [], [], 0
    for s, rec in enumerate(ctx.recs):
        X, y, groups, t, _types = hypothesis.data(rec, which="c")
        if len(np.unique(y)) < 2:
            continue
        res, _kind = probe_test(X, y, groups, ctx.cfg.n_perm, ctx.cfg.seed + s, t, rec.T[groups, 0])
        acc.append(res.statistic)
        null.append(res.null)
        acc_b.append(getattr(res, "statistic_b", None))
        null_b.append(getattr(res, "null_b", None))
        n_ex += res.n_groups
    if not acc:
        return []
    second = None if any(x is None for x in null_b) else (acc_b, null_b)
    return [combined_test(**kw, test=test.replace("h_t", "c_t"), test_id=test_id, unit=unit,
                          statistic="held-out balanced accuracy", n_examples=n_ex,
                          per_seed_values=acc, per_seed_null=null, second=second,
                          notes=(note + "; LSTM cell state c, same ridge probe and null as on h").strip("; "))]


def oriented_set_values(rec, examples, neurons, sign, lo: int = 0) -> list[np.ndarray]:
    """Per example: the set's mean *oriented* value (each neuron times ``sign[j]``) at
    t = lo .. T−1."""
    out = []
    for e in examples:
        ts = np.arange(lo, rec.T[e, 0])
        V = rec.at(np.full(len(ts), e), ts)[:, neurons] * sign[neurons]
        out.append(V.mean(1))
    return out


def subset_recording(rec, examples):
    """The recording restricted to ``examples`` (all per-example arrays sliced)."""
    ex = np.asarray(examples)
    cut = {f.name: getattr(rec, f.name)[ex] for f in dataclasses.fields(rec)
           if isinstance(getattr(rec, f.name), np.ndarray)}
    cut["gates"] = {k: v[ex] for k, v in rec.gates.items()}
    return dataclasses.replace(rec, **cut)
