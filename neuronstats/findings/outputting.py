"""Finding 4 — outputting neurons, per token A: the set is the neurons with the largest
mean contribution h_T[j]·W[A, j] to A's logit (top ``fraction`` of the state, as the
paper selects them). Tests: zeroing the set at T drops accuracy to ~0 (vs zeroing random
sets); keeping only the set at T keeps accuracy (vs keeping only random sets); the set's
values are closer to ±1 (mean |h_T|) than random sets'."""

from __future__ import annotations

import numpy as np

from neuronstats.findings.common import combined_test, each_unit, pooled_test, units
from neuronstats.findings.result import FindingResult
from neuronstats.findings.spec import Finding
from neuronstats.stages.neuronset import outputting_set
from neuronstats.stages.verify import verify
from neuronstats.stats.controls import control_sets


def outputting_finding(ctx, tokens=None, fraction: float = 0.2) -> FindingResult:
    kw = ctx.combined_kw("outputting")
    tokens, note = units(ctx, tokens)
    tests = []
    pool = {"zero": [], "keep_only": [], "near_pm1": []}
    for tok in each_unit(ctx, "outputting", tokens):
        zero, zero_null, keep, keep_null, mag, mag_null = [], [], [], [], [], []
        zi, zc, ki, kc, mi, mc = [], [], [], [], [], []
        for s, (model, rec) in enumerate(zip(ctx.models, ctx.recs)):
            S = outputting_set(model, ctx.selection_rec(s), tok, fraction)
            idx = ctx.correct_subset(s, rec.w[:, 0] == tok)
            res = {r.verification.name: r for r in verify(model, ctx.ex.subset(idx), S, "outputting",
                                                            n_sets=ctx.cfg.n_sets, seed=ctx.cfg.seed + s,
                                                            clean_correct=np.ones(len(idx), bool))}
            z, k = res["zero at T"], res["keep only at T"]
            zero.append(1.0 - z.tested)
            zero_null.append(1.0 - z.control.mean(0))
            zi.append(idx[z.examples])
            zc.append(1.0 - z.control.mean(1))
            keep.append(k.tested.astype(float))
            keep_null.append(k.control.mean(0))
            ki.append(idx[k.examples])
            kc.append(k.control.mean(1))
            absh = np.abs(rec.at(idx, rec.T[idx, 0]))
            sets = control_sets(ctx.hidden, S, ctx.cfg.n_sets, seed=ctx.cfg.seed + s)
            mag.append(absh[:, S].mean(1))
            mag_null.append(np.array([absh[:, row].mean() for row in sets]))
            mi.append(idx)
            mc.append(np.mean([absh[:, row].mean(1) for row in sets], axis=0))
        unit = ctx.unit_name(tok)
        pool["zero"].append({"values": zero, "null": zero_null, "index": zi, "index_control": zc})
        pool["keep_only"].append({"values": keep, "null": keep_null, "index": ki, "index_control": kc})
        pool["near_pm1"].append({"values": mag, "null": mag_null, "index": mi, "index_control": mc})
        tests += [
            combined_test(**kw, test="zero outputting set at T", test_id="outputting.zero", unit=unit,
                          statistic="accuracy", per_seed_values=zero, per_seed_null=zero_null, alternative="less",
                          index=zi, index_control=zc,
                          notes=note + f"; set: top {100 * fraction:.0f} % by h_T*W_A; null: zeroing random sets"),
            combined_test(**kw, test="keep only outputting set at T", test_id="outputting.keep_only", unit=unit,
                          statistic="accuracy", per_seed_values=keep, per_seed_null=keep_null, alternative="greater",
                          index=ki, index_control=kc, notes="null: keeping only random sets of the same size"),
            combined_test(**kw, test="values near +-1 at T", test_id="outputting.near_pm1", unit=unit,
                          statistic="mean |h_T|",
                          per_seed_values=mag, per_seed_null=mag_null, index=mi, index_control=mc,
                          notes="null: random sets of the same size")]
    for test_id, test, statistic, alternative in (
            ("zero", "zero outputting set at T", "accuracy", "less"),
            ("keep_only", "keep only outputting set at T", "accuracy", "greater"),
            ("near_pm1", "values near +-1 at T", "mean |h_T|", "greater")):
        row = pooled_test(**kw, test=test, test_id=f"outputting.{test_id}", statistic=statistic,
                          units_data=pool[test_id], alternative=alternative,
                          notes="the claim's one estimate (per-token rows are description)")
        if row is not None:
            tests.append(row)
    return FindingResult("outputting", tests)

FINDING = Finding(
    name="outputting", verb="outputting", run=outputting_finding, token_level=True,
    summary="Finding 4: a set of neurons writes w at T",
    hypotheses=("outputting",),
    verifications=("zero the set at T", "keep only the set at T"),
    tests=("outputting.zero", "outputting.keep_only", "outputting.near_pm1"),
    claims=("outputting-zero", "outputting-keep-only", "outputting-near-pm1"),
)
