"""Finding 1 — storing neurons, per token: (probe) the token is decodable from
h_{-1..T-1} beyond a permutation null; (a) zeroing the set at T−1 drops accuracy more
than zeroing random sets of the same size; (b) replacing the set's values at T−1 by
those of T−2 keeps accuracy (vs random sets, and TOST against them within a margin);
(e) the set's size as a fraction of the state."""

from __future__ import annotations

import numpy as np

from neuronstats.findings.common import combined_row, units
from neuronstats.stages.hypothesis import storing
from neuronstats.stages.neuronset import find
from neuronstats.stages.verify import verify
from neuronstats.stats.effects import tost
from neuronstats.stats.row import stats_row

PAPER = {"zero": {"lyrics": 0.107, "gutenberg": 0.200}, "previous": {"lyrics": 0.879, "gutenberg": 0.833}}


def storing_rows(ctx, tokens=None) -> list[dict]:
    kw, rkw = ctx.combined_kw("storing"), ctx.row_kw("storing")
    tokens, note = units(ctx, tokens)
    rows = []
    for tok in tokens:
        probe, probe_null, zero, zero_null, prev, prev_null, size, diffs = [], [], [], [], [], [], [], []
        for s, (model, rec) in enumerate(zip(ctx.models, ctx.recs)):
            ns = find(model, rec, storing(tok), n_perm=ctx.cfg.n_perm, seed=ctx.cfg.seed + s)
            probe.append(ns.stage1["heldout_accuracy"])
            probe_null.append(ns.probe_null)
            size.append(len(ns.neurons) / ctx.hidden)
            idx = ctx.correct_subset(s, rec.w[:, 0] == tok)
            sub = ctx.ex.subset(idx)
            res = {r.verification.name: r for r in verify(model, sub, ns.neurons, "storing", n_sets=ctx.cfg.n_sets,
                                                            seed=ctx.cfg.seed + s,
                                                            clean_correct=np.ones(len(idx), bool))}
            z, p = res["zero at T-1"], res.get("previous value at T-1")
            zero.append(1.0 - z.tested)
            zero_null.append(1.0 - z.control.mean(0))
            if p is not None:
                prev.append(p.tested.astype(float))
                prev_null.append(p.control.mean(0))
                diffs.append(p.tested.mean() - p.control.mean())
        unit = f"token {tok}"
        rows.append(combined_row(**kw, test="probe: token vs others, h_t for -1<=t<=T-1", unit=unit,
                                 statistic="held-out balanced accuracy", per_seed_values=probe,
                                 per_seed_null=probe_null, notes=note + "; ridge probe, CV grouped by example"))
        rows.append(combined_row(**kw, test="zero storing set at T-1", unit=unit, statistic="accuracy",
                                 per_seed_values=zero, per_seed_null=zero_null, alternative="less",
                                 paper_value=PAPER["zero"].get(ctx.dataset),
                                 notes="null: zeroing random sets of the same size (excluding the set)"))
        if len(prev) >= 2:
            rows.append(combined_row(**kw, test="previous value at T-1", unit=unit, statistic="accuracy",
                                     per_seed_values=prev, per_seed_null=prev_null, alternative="two-sided",
                                     paper_value=PAPER["previous"].get(ctx.dataset),
                                     notes="null: the same replacement on random sets (examples with T >= 2)"))
            t = tost(np.array(diffs), low=-ctx.cfg.margin, high=ctx.cfg.margin)
            rows.append(stats_row(**rkw,
                                  test="previous value at T-1: equivalent to random sets (TOST)", unit=unit,
                                  statistic="accuracy difference vs random sets", estimate=t.estimate,
                                  p_value=t.p_value, n_seeds=len(diffs), effect_size=100 * t.estimate,
                                  effect_size_kind="pp vs random sets",
                                  notes=f"TOST over seeds, margin +-{100 * ctx.cfg.margin:.0f} pp"))
        rows.append(combined_row(**kw, test="storing set size", unit=unit, statistic="fraction of neurons",
                                 per_seed_values=size, paper_value=0.20,
                                 notes="descriptive (paper: 15-25 %); size is set by the stage 1-2 rules"))
    return rows
