"""x_t is negligible (paper §5): replacing every decoder input token by a random token
keeps positioning accuracy (paper 98.0 %). Tested as equivalence (TOST): the accuracy
drop on correctly positioned examples lies within ±``x_margin``; the row also carries
the seed-level CI of the accuracy."""

from __future__ import annotations

import numpy as np

from neuronstats.findings.result import FindingResult
from neuronstats.findings.spec import Finding
from neuronstats.microscope.intervene import RandomInputs, run
from neuronstats.stats.effects import tost
from neuronstats.stats.row import stats_row
from neuronstats.stats.seedlevel import seed_test


def inputs_finding(ctx) -> FindingResult:
    accs, idxs = [], []
    for s, model in enumerate(ctx.models):
        idx = ctx.correct_subset(s)
        idxs.append(idx)
        out = run(model, ctx.ex.subset(idx), [(RandomInputs(seed=ctx.cfg.seed + s),)], extra_steps=1)
        accs.append(out.at_T[:, 0].astype(float))
    ci = seed_test(accs, index=idxs)  # crossed: the seeds share examples (one model: over its examples)
    # TOST over seeds; with one model, over its examples
    drops = np.array([1.0 - a.mean() for a in accs]) if len(accs) > 1 else 1.0 - accs[0]
    t = tost(drops, low=-ctx.cfg.x_margin, high=ctx.cfg.x_margin)
    row = stats_row(**ctx.row_kw("x_t negligible"), test="random decoder inputs: accuracy stays (TOST)",
                    test_id="x_t.random_inputs", unit="all tokens", statistic="accuracy", estimate=ci.estimate,
                    ci_low=max(0.0, ci.ci_low),
                    ci_high=min(1.0, ci.ci_high), p_value=t.p_value, alternative="equivalence",
                    effect_size=-100 * t.estimate,
                    effect_size_kind="pp change vs clean", n_seeds=len(accs),
                    n_examples=int(sum(len(a) for a in accs)),
                    notes=f"correctly positioned examples; TOST on the per-seed drop, margin "
                          f"+-{100 * ctx.cfg.x_margin:.0f} pp (why: the paper calls a drop from 98.5 to 98.0 % "
                          f"negligible; a margin of a few pp keeps its claim testable on {len(accs)} seeds)")
    return FindingResult("x_t negligible", [row])

FINDING = Finding(
    name="x_t negligible", verb="inputs", run=inputs_finding,
    summary="§5: the decoder's input tokens x_t barely matter",
    verifications=("replace every decoder input by a random token",),
    tests=("x_t.random_inputs",),
    claims=("x-t-negligible",),
)
