"""Positioning: does the model put w at T *because it was told to*?

H0: the model ignores its control tokens (w, T). Statistic: positioning accuracy (w at
T in the greedy output), averaged over seeds, every seed scored on the same test
examples. Control: each example decoded again (a) with another example's control tokens
and (b) with none, and scored against its *own* (w, T). A model that ignores the
controls but copies the target line often scores as well under (a) and (b) as with its
true controls, so it does not pass; scoring the unchanged outputs against shuffled
(w, T) (:func:`shuffled_null`, kept as a descriptive chance level) would pass it. The
stricter (higher) of the two controls is the null; seed-level test and CI
(:mod:`neuronstats.stats.seedlevel`).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from neuronstats.findings.result import FindingResult
from neuronstats.findings.spec import Finding
from neuronstats.model.decode import greedy_decode, positioned
from neuronstats.stats.effects import pp_difference
from neuronstats.stats.row import NullTestResult, stats_row
from neuronstats.stats.seedlevel import seed_test


def hits_per_seed(models, ex, device="cpu") -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Greedy outputs of each seed's model on the examples → (per-example all-w-at-T hits, outputs)."""
    hits, outs = [], []
    for m in models:
        out = greedy_decode(m, ex, device=device)
        outs.append(out)
        hits.append((out[np.arange(len(ex))[:, None], ex.T - 1] == ex.w).all(1).astype(float))
    return hits, outs


def shuffled_null(outs, ex, n_null: int, seed: int = 0) -> np.ndarray:
    """(n_null,) mean-over-seeds accuracy when example i is scored against (w, T) of π(i)."""
    rng = np.random.default_rng(seed)
    null = np.empty(n_null)
    rows = np.arange(len(ex))[:, None]
    for k in range(n_null):
        p = rng.permutation(len(ex))
        w, T = ex.w[p], ex.T[p]
        null[k] = np.mean([(o[rows, T - 1] == w).all(1).mean() for o in outs])
    return null


def with_controls(ex, donor=None):
    """Examples whose control tokens (the last 2k source tokens) are replaced by those of
    example ``donor[i]``, or removed when ``donor`` is None; targets, w and T unchanged."""
    k = ex.w.shape[1]
    n = len(ex)
    rows = np.arange(n)
    src = ex.src.copy()
    base = ex.src_len - 2 * k  # where the control tokens start
    if donor is None:
        for j in range(2 * k):
            src[rows, base + j] = 0
        return dataclasses.replace(ex, src=src, src_len=base.copy())
    donor = np.asarray(donor)
    dbase = ex.src_len[donor] - 2 * k
    for j in range(2 * k):
        src[rows, base + j] = ex.src[donor, dbase + j]
    return dataclasses.replace(ex, src=src)


def positioning_tests(dataset: str, cell: str, models, ex, n_null: int = 1000, alpha: float = 0.05,
                     ci_method: str = "seed_t", seed: int = 0, device="cpu") -> list[NullTestResult]:
    """One test; its seed effects are per seed the accuracy minus the stricter control."""
    hits, outs = hits_per_seed(models, ex, device)
    donor = np.random.default_rng(seed).permutation(len(ex))
    swapped, none = with_controls(ex, donor), with_controls(ex)
    controls = []
    means = {"another example's (w, T)": [], "no (w, T)": []}
    for m in models:
        a = positioned(greedy_decode(m, swapped, n_steps=int(ex.T.max()), device=device), ex).all(1).astype(float)
        b = positioned(greedy_decode(m, none, n_steps=int(ex.T.max()), device=device), ex).all(1).astype(float)
        means["another example's (w, T)"].append(a.mean())
        means["no (w, T)"].append(b.mean())
        controls.append((a, b))
    strict = 0 if np.mean(means["another example's (w, T)"]) >= np.mean(means["no (w, T)"]) else 1
    null = [c[strict] for c in controls]
    st = seed_test(hits, null, shared=True)
    chance = shuffled_null(outs, ex, n_null, seed)
    k = ex.w.shape[1]
    unit = "all examples" if k == 1 else f"{k} tokens"
    name = list(means)[strict]
    other = list(means)[1 - strict]
    effects = tuple(float(h.mean() - c.mean()) for h, c in zip(hits, null))
    return [NullTestResult(stats_row(
        dataset=dataset, cell=cell, finding="positioning", test=TEST, test_id="positioning.accuracy", unit=unit,
        statistic="accuracy",
        estimate=st.estimate, ci_low=st.ci_low, ci_high=st.ci_high, null_mean=st.null_mean,
        null_ci_high=seed_test(null, level=0.90, shared=True).ci_high,  # the control's one-sided 95 % upper bound
        effect_size=pp_difference(st.estimate, st.null_mean), effect_size_kind="pp vs control", p_value=st.p_value,
        alternative="greater",
        alpha=alpha, n_seeds=len(models), n_examples=len(ex), n_null=len(ex),
        notes=(f"greedy decoding, same test examples for every seed; control (the stricter): re-decoded with "
               f"{name} ({100 * np.mean(means[name]):.1f} %); with {other}: {100 * np.mean(means[other]):.1f} %; "
               f"chance that w sits at T of shuffled (w, T): {100 * chance.mean():.1f} %; seed-level two-sided "
               f"t-test, SE = seeds + examples" + (f"; {st.note}" if st.note else ""))), effects)]


TEST = "w at T vs re-decoded without its (w, T)"


def positioning_finding(ctx) -> FindingResult:
    """Positioning as a finding like the others (one test)."""
    return FindingResult("positioning", positioning_tests(
        ctx.dataset, ctx.cell, ctx.models, ctx.ex, n_null=ctx.cfg.n_null, alpha=ctx.cfg.alpha,
        ci_method=ctx.cfg.ci_method, seed=ctx.cfg.seed))


FINDING = Finding(
    name="positioning", verb="positioning", run=positioning_finding,
    summary="The model puts w at T because it was told to",
    verifications=("re-decode with another example's (w, T), and with none",),
    tests=("positioning.accuracy",),
    claims=("pos-gutenberg-gru", "pos-lyrics-gru", "pos-lstm", "pos-2tokens"),
)
