"""All findings for one dataset × cell, and GRU-vs-LSTM comparisons of their rows."""

from __future__ import annotations

import numpy as np

from neuronstats.errors import InsufficientData
from neuronstats.findings import registry
from neuronstats.findings.result import FindingResult
from neuronstats.stats.compare import compare_cells
from neuronstats.stats.row import stats_row

# Every finding has one contract: ``fn(ctx) -> FindingResult`` (its tests, each a stats
# row with its seeds' effects, and its figures' data); it reads the context and changes
# nothing. Token-level findings also take ``tokens=``. The findings are those of the
# registry (neuronstats.findings.registry).


def run_finding(name: str, ctx, **options) -> FindingResult:
    """Run one finding on ``ctx`` (``options``, e.g. ``tokens=``, go to the finding). A
    finding the data cannot support (e.g. too few correctly positioned examples) gives
    one row saying why, with no estimate, and nothing for the comparisons."""
    try:
        result = registry.get(name).run(ctx, **options)
    except InsufficientData as exc:
        result, reason = None, str(exc)
    else:
        reason = "no unit has enough correctly positioned examples"
    if result is None or not result.tests:
        return FindingResult(name, [stats_row(**ctx.row_kw(name), test="(not run)",
                                              test_id=f"{name.split()[0]}.not_run", statistic="-",
                                              estimate=float("nan"), n_seeds=len(ctx.models),
                                              notes=f"not enough data: {reason}")],
                             result.figure_data if result is not None else {})
    return result


def findings_rows(ctx, only=None) -> dict:
    """finding name -> list of stats rows (positioning included)."""
    return {name: run_finding(name, ctx).rows for name in registry.names() if only is None or name in only}


def compare_rows(dataset: str, values_a: dict, values_b: dict, a: str = "gru", b: str = "lstm",
                 suffix: str = ".gru_vs_lstm", what: str = "", alternatives: dict | None = None) -> list[dict]:
    """For every (finding, test, unit) both cells have: the difference a − b of the seeds'
    effects (each seed's statistic minus its own control, where the row has a control),
    Welch's t-test over seeds and its CI, Hedges' g. Rows where every seed of both cells
    has the same value (deterministic quantities) are left out of the test families.
    ``suffix`` ends each row's test id; ``what`` (if given) says in the notes what a and b are.
    ``alternatives``: per key, the direction a − b must take for the row to reject (e.g.
    trained minus untrained in the direction the test claims); two-sided otherwise."""
    notes = "; ".join(x for x in ("seed effects (statistic minus its own control where the row has one)", what,
                                  "Welch's t-test over seeds, two-sided, and its CI") if x)
    rows = []
    for key in sorted(set(values_a) & set(values_b)):
        finding, test, unit, test_id = key
        va, vb = values_a[key], values_b[key]
        if len(va) < 2 or len(vb) < 2 or (np.ptp(va) == 0 and np.ptp(vb) == 0):
            continue
        c = compare_cells([[v] for v in va], [[v] for v in vb])
        rows.append(stats_row(dataset=dataset, cell=f"{a} - {b}", finding=finding, test=test,
                              test_id=test_id + suffix, unit=unit,
                              statistic="difference of seed means", estimate=c.difference, ci_low=c.ci_low,
                              ci_high=c.ci_high, null_mean=c.null_mean, null_ci_high=c.null_ci_high,
                              effect_size=c.hedges_g, effect_size_kind="Hedges' g (seeds)", p_value=c.p_value,
                              alternative=(alternatives or {}).get(key, "two-sided") if not np.isnan(c.p_value) else "",
                              n_seeds=c.n_a + c.n_b, n_null=c.n_null,
                              notes=notes))
    return rows
