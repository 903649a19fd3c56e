"""The stats row (docs/statistics.md#what-a-results-table-says): one schema for every test, so
tables, corrections and comparisons are written once."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

COLUMNS = (
    "dataset", "cell", "finding", "test", "test_id", "unit", "statistic", "estimate", "ci_low", "ci_high",
    "null_mean", "null_ci_high", "effect_size", "effect_size_kind", "p_value", "p_adjusted",
    "correction", "alpha", "reject", "alternative", "untrained_rejects", "n_seeds", "n_examples", "n_null",
    "paper_value", "notes",
)
ALTERNATIVES = ("greater", "less", "two-sided", "equivalence", "")  # "": a descriptive row (no test)
_TEXT = {"dataset", "cell", "finding", "test", "test_id", "unit", "statistic", "effect_size_kind", "correction",
         "notes", "alternative"}
_INT = {"n_seeds", "n_examples", "n_null"}
_REQUIRED = ("dataset", "cell", "finding", "test", "statistic", "estimate")
NAN = float("nan")


def stats_row(**fields) -> dict:
    """Validate and complete one stats row; missing optional fields become NaN/empty.

    ``alternative`` is the direction the row's claim takes (``greater``/``less``: the
    statistic above/below its control; ``two-sided``; ``equivalence``: a TOST, whose
    rejection shows equivalence; empty: descriptive); ``reject`` is true only in that
    direction (:func:`neuronstats.stats.multitest.correct`). ``untrained_rejects``: the
    same test on the untrained network rejects too (then this row alone is no evidence
    of a trained mechanism).

    Raises ``ValueError`` for unknown columns, missing required ones, p-values outside
    [0, 1], ``ci_low > ci_high``, ``alpha`` outside (0, 1) or an unknown alternative.
    """
    unknown = set(fields) - set(COLUMNS)
    if unknown:
        raise ValueError(f"unknown stats-row column(s): {sorted(unknown)}")
    missing = [c for c in _REQUIRED if fields.get(c) in (None, "")]
    if missing:
        raise ValueError(f"stats row lacks {missing}")
    row = {}
    for c in COLUMNS:
        v = fields.get(c)
        if c in _TEXT:
            row[c] = "" if v is None else str(v)
        elif c in ("reject", "untrained_rejects"):
            row[c] = None if v is None else bool(v)
        elif c in _INT:
            row[c] = 0 if v is None else int(v)
        else:
            row[c] = NAN if v is None else float(v)
    for c in ("p_value", "p_adjusted"):
        if not math.isnan(row[c]) and not 0.0 <= row[c] <= 1.0:
            raise ValueError(f"{c} = {row[c]} outside [0, 1]")
    if not math.isnan(row["ci_low"]) and not math.isnan(row["ci_high"]) and row["ci_low"] > row["ci_high"]:
        raise ValueError(f"ci_low {row['ci_low']} > ci_high {row['ci_high']}")
    if row["alternative"] not in ALTERNATIVES:
        raise ValueError(f"alternative = {row['alternative']!r}, expected one of {ALTERNATIVES}")
    if math.isnan(row["alpha"]):
        row["alpha"] = 0.05
    if not 0 < row["alpha"] < 1:
        raise ValueError(f"alpha = {row['alpha']} outside (0, 1)")
    return row


def rows_to_frame(rows) -> pd.DataFrame:
    """A DataFrame of stats rows with the schema's column order (validates each row)."""
    return pd.DataFrame([stats_row(**r) for r in rows], columns=list(COLUMNS))


@dataclass(frozen=True)
class NullTestResult:
    """One row of a finding's results: its stats row (estimate, CI, null, p, notes; a
    descriptive or equivalence row has no null) and, for a test over seeds, each seed's
    effect (the statistic minus that seed's own control, or the statistic where the test
    has none), which GRU-vs-LSTM and trained-vs-untrained comparisons test in their turn.

    Examples
    --------
    >>> r = NullTestResult(stats_row(dataset="d", cell="gru", finding="f", test="t", statistic="s", estimate=0.5),
    ...                    seed_effects=(0.4, 0.6))
    >>> r.to_row()["estimate"], r.key
    (0.5, ('f', 't', '', ''))
    """

    row: dict
    seed_effects: tuple | None = None

    @property
    def key(self) -> tuple:
        """(finding, test, unit, test_id): what comparisons between cells match on."""
        return tuple(self.row[c] for c in ("finding", "test", "unit", "test_id"))

    def to_row(self) -> dict:
        """The stats row (a copy)."""
        return dict(self.row)
