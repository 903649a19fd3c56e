"""How a statistic is shown, in one place for the report, the ledger's reasons and the
README's tables: a rate or a share as % (one decimal), a difference of two as signed
percentage points (pp), anything else (a correlation, a standard deviation, a slope, a
mean |h| or a mean gate value, which the paper also gives as numbers) with three
significant digits.
"""

from __future__ import annotations

import math
import re

import pandas as pd

# statistics that are rates or shares (shown as %), and those that are differences of two (pp)
PERCENT_STATISTICS = frozenset({
    "accuracy", "held-out balanced accuracy", "share moved by k", "share emitted k steps early",
    "shared fraction |S1 & S2|/|S2|", "fraction of neurons"})
POINT_STATISTICS = frozenset({"balanced-accuracy difference", "accuracy difference vs random sets"})
COMPARISON_STATISTIC = "difference of seed means"  # trained vs untrained, GRU vs LSTM: in the base test's unit


def unit_of(statistic: str, base_statistic: str = "") -> str:
    """``"%"``, ``"pp"`` or ``""`` for a row's ``statistic``; a comparison row (difference
    of seed means) takes pp when its own test's ``base_statistic`` is a rate or share."""
    if statistic == COMPARISON_STATISTIC:
        return "pp" if base_statistic in PERCENT_STATISTICS or base_statistic in POINT_STATISTICS else ""
    return "%" if statistic in PERCENT_STATISTICS else "pp" if statistic in POINT_STATISTICS else ""


def base_test_id(test_id: str) -> str:
    """``storing.zero.vs_untrained`` → ``storing.zero`` (a comparison row's own test)."""
    return ".".join(str(test_id).split(".")[:2])


def units_by_test(summary: pd.DataFrame) -> dict:
    """``{test_id: "%" | "pp" | ""}`` for every test id of ``summary`` (:func:`unit_of`)."""
    pairs = summary[["test_id", "statistic"]].drop_duplicates()
    stat = {}
    for r in pairs.itertuples():
        if r.statistic != COMPARISON_STATISTIC:
            stat.setdefault(str(r.test_id), str(r.statistic))
    return {str(r.test_id): unit_of(str(r.statistic), stat.get(base_test_id(r.test_id), ""))
            for r in pairs.itertuples()}


def missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def value(x, unit: str, bare: bool = False) -> str:
    """``x`` in ``unit`` (see :func:`unit_of`); ``bare`` leaves the unit's symbol off (a pp
    value keeps its sign)."""
    if missing(x):
        return "–"
    if unit == "%":
        return f"{100 * x:.1f}" + ("" if bare else " %")
    if unit == "pp":
        return f"{100 * x:+.1f}" + ("" if bare else " pp")
    return f"{x:.3g}"


def with_ci(est, lo, hi, unit: str) -> str:
    """``est [lo, hi]`` in ``unit``, the unit written once."""
    if missing(est):
        return "–"
    if missing(lo) and missing(hi):
        return value(est, unit)
    return f"{value(est, unit)} [{value(lo, unit, True)}, {value(hi, unit, True)}]"


_PER_ROW = re.compile(r"([\w+-]+): (\S+) \[(\S+), (\S+)\]")


def per_row(text: str, unit: str) -> str:
    """The ledger's ``per_row`` ("gutenberg: 0.976 [0.97, 0.982]; lyrics: ...") in ``unit``;
    text in another form is returned as it is."""
    parts = []
    for ds, e, lo, hi in _PER_ROW.findall(str(text)):
        try:
            parts.append(f"{ds}: {with_ci(float(e), float(lo), float(hi), unit)}")
        except ValueError:
            return str(text)
    return "; ".join(parts) if parts else str(text)
