"""All findings for one dataset × cell, and GRU-vs-LSTM comparisons of their rows."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from neuronstats.errors import InsufficientData
from neuronstats.findings.counting import counting_rows
from neuronstats.findings.gates import gates_rows
from neuronstats.findings.inputs import inputs_rows
from neuronstats.findings.outputting import outputting_rows
from neuronstats.findings.positioning import positioning_rows
from neuronstats.findings.storing import storing_rows
from neuronstats.findings.triggering import triggering_rows
from neuronstats.stats.compare import compare_cells
from neuronstats.stats.row import stats_row


def positioning_finding(ctx) -> list[dict]:
    """Positioning as a finding like the others (one row; its seed values go to ``ctx``)."""
    return positioning_rows(ctx.dataset, ctx.cell, ctx.models, ctx.ex, n_null=ctx.cfg.n_null, alpha=ctx.cfg.alpha,
                            ci_method=ctx.cfg.ci_method, seed=ctx.cfg.seed, store=ctx.seed_values)


# Every finding has one contract: ``fn(ctx) -> list of stats rows``, with its per-seed
# effects in ``ctx.seed_values`` and its figure data in ``ctx.figure_data``; callers get
# them back together as one FindingResult from run_finding.
FINDINGS = {"positioning": positioning_finding, "storing": storing_rows, "counting": counting_rows,
            "triggering": triggering_rows, "outputting": outputting_rows, "x_t negligible": inputs_rows,
            "gates": gates_rows}


@dataclass
class FindingResult:
    """What one finding produced: its stats rows, each seed's effect per (finding, test,
    unit, test_id) (for GRU-vs-LSTM comparisons), and its figures' data."""

    name: str
    rows: list
    seed_values: dict = field(default_factory=dict)
    figure_data: dict = field(default_factory=dict)


def run_finding(name: str, ctx) -> FindingResult:
    """Run one finding on ``ctx``. A finding the data cannot support (e.g. too few
    correctly positioned examples) gives one row saying why, with no estimate."""
    ctx.seed_values, ctx.figure_data = {}, {}
    try:
        rows = FINDINGS[name](ctx)
    except InsufficientData as exc:
        rows = []
        reason = str(exc)
    else:
        reason = "no unit has enough correctly positioned examples"
    if not rows:
        rows = [stats_row(**ctx.row_kw(name), test="(not run)", test_id=f"{name.split()[0]}.not_run", statistic="-",
                          estimate=float("nan"),
                          n_seeds=len(ctx.models), notes=f"not enough data: {reason}")]
    return FindingResult(name, rows, dict(ctx.seed_values), dict(ctx.figure_data))


def findings_rows(ctx, only=None) -> dict:
    """finding name -> list of stats rows (positioning included)."""
    return {name: run_finding(name, ctx).rows for name in FINDINGS if only is None or name in only}


def compare_rows(dataset: str, values_a: dict, values_b: dict, a: str = "gru", b: str = "lstm",
                 suffix: str = ".gru_vs_lstm", what: str = "") -> list[dict]:
    """For every (finding, test, unit) both cells have: the difference a − b of the seeds'
    effects (each seed's statistic minus its own control, where the row has a control),
    Welch's t-test over seeds and its CI, Hedges' g. Rows where every seed of both cells
    has the same value (deterministic quantities) are left out of the test families.
    ``suffix`` ends each row's test id; ``what`` (if given) says in the notes what a and b are."""
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
                              n_seeds=c.n_a + c.n_b, n_null=c.n_null,
                              notes=notes))
    return rows
