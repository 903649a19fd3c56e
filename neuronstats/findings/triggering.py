"""Finding 3 — triggering neurons (one set per seed, hypothesis t = T−1 vs t < T−1):
(probe) decodable beyond a permutation null; copying the set's values at T−1 into step
T−1−k makes w come out k steps early, more often than the same copy on random sets."""

from __future__ import annotations

from neuronstats.findings.common import combined_test, one_set_per_seed, probe_second, selectivity_test
from neuronstats.findings.result import FindingResult
from neuronstats.findings.spec import Finding
from neuronstats.stages.hypothesis import triggering


def triggering_finding(ctx, ks=(1, 2, 3, 4)) -> FindingResult:
    kw = ctx.combined_kw("triggering")
    probe, probe_null, early, per_seed = one_set_per_seed(ctx, triggering(), ks)
    tests = [combined_test(**kw, test="probe: t = T-1 vs t < T-1", test_id="triggering.probe", unit="all tokens",
                           statistic="held-out balanced accuracy", per_seed_values=probe, per_seed_null=probe_null,
                           second=probe_second([ns for ns, _ in per_seed]),
                           n_examples=sum(ns.stage1["n_examples"] for ns, _ in per_seed),
                           notes="one triggering set per seed over all tokens; null: "
                                 + per_seed[0][0].stage1.get("null_kind", ""))]
    tests.append(selectivity_test(kw, "triggering", "all tokens", [ns for ns, _ in per_seed]))
    for k in ks:
        tests.append(combined_test(**kw, test="T-1 values copied into T-1-k: w k steps early",
                                   test_id="triggering.early", unit=f"k = {k}", statistic="share emitted k steps early",
                                   per_seed_values=early[k][0],
                                   per_seed_null=early[k][1], index=early[k][2], index_control=early[k][3],
                                   notes="examples with T >= k + 1; null: the same copy on random sets"))
    return FindingResult("triggering", tests)

FINDING = Finding(
    name="triggering", verb="triggering", run=triggering_finding,
    summary="Finding 3: a set of neurons fires one step before w is output",
    hypotheses=("triggering",),
    verifications=("copy the set's values at T-1 into step T-1-k",),
    tests=("triggering.probe", "triggering.selectivity", "triggering.early"),
    claims=tuple(f"triggering-k{k}-{d}" for k in (1, 2, 3, 4) for d in ("gutenberg", "lyrics")),
)
