"""Finding 3 — triggering neurons (one set per seed, hypothesis t = T−1 vs t < T−1):
(probe) decodable beyond a permutation null; copying the set's values at T−1 into step
T−1−k makes w come out k steps early, more often than the same copy on random sets."""

from __future__ import annotations

import numpy as np

from neuronstats.findings.common import combined_row
from neuronstats.stages.hypothesis import triggering
from neuronstats.stages.neuronset import find
from neuronstats.stages.verify import verify

PAPER = {"lyrics": {1: 0.998, 2: 0.964, 3: 0.912, 4: 0.841}, "gutenberg": {1: 0.942, 2: 0.930, 3: 0.914, 4: 0.904}}


def triggering_rows(ctx, ks=(1, 2, 3, 4)) -> list[dict]:
    kw = ctx.combined_kw("triggering")
    probe, probe_null = [], []
    early = {k: ([], []) for k in ks}
    for s, (model, rec) in enumerate(zip(ctx.models, ctx.recs)):
        ns = find(model, rec, triggering(), n_perm=ctx.cfg.n_perm, seed=ctx.cfg.seed + s)
        probe.append(ns.stage1["heldout_accuracy"])
        probe_null.append(ns.probe_null)
        idx = ctx.correct_subset(s)
        for r in verify(model, ctx.ex.subset(idx), ns.neurons, "triggering", n_sets=ctx.cfg.n_sets,
                        seed=ctx.cfg.seed + s, clean_correct=np.ones(len(idx), bool), ks=ks):
            k = -int(r.verification.outcome.split(":")[1])
            early[k][0].append(r.tested.astype(float))
            early[k][1].append(r.control.mean(0))
    rows = [combined_row(**kw, test="probe: t = T-1 vs t < T-1", unit="all tokens",
                         statistic="held-out balanced accuracy", per_seed_values=probe, per_seed_null=probe_null,
                         notes="one triggering set per seed over all tokens")]
    for k in ks:
        rows.append(combined_row(**kw, test="T-1 values copied into T-1-k: w k steps early", unit=f"k = {k}",
                                 statistic="share emitted k steps early", per_seed_values=early[k][0],
                                 per_seed_null=early[k][1], paper_value=PAPER.get(ctx.dataset, {}).get(k),
                                 notes="examples with T >= k + 1; null: the same copy on random sets"))
    return rows
