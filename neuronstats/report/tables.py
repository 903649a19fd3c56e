"""Stats tables: CSV with full precision, LaTeX (booktabs) for reading.

The LaTeX table shows, per row: unit, test, our estimate with its seed-level CI as
``[lo, hi]``, the null's mean, the effect size, the adjusted p and the paper's value
beside ours.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from neuronstats import io
from neuronstats.stats.row import COLUMNS, rows_to_frame


def _sig(x, digits: int = 3) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "--"
    if x == 0:
        return "0"
    return f"{x:.{digits}g}"


def _p(x) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "--"
    return "<0.001" if x < 0.001 else f"{x:.3f}"


_TEX = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{",
        "}": r"\}", "<": r"$<$", ">": r"$>$", "~": r"\~{}", "^": r"\^{}"}


def _tex(s: str) -> str:
    """Escape LaTeX's special characters in one pass (so no escape is escaped again).
    Kept beside pandas' ``escape="latex"`` because that leaves < and >, which print as
    ¡ and ¿ in LaTeX's default font encoding, and our tests read "<=" often."""
    return "".join(_TEX.get(c, c) for c in str(s))


def latex_table(cells: pd.DataFrame, column_format: str, caption: str = "", label: str = "") -> str:
    """A booktabs LaTeX table (pandas ``Styler.to_latex``) of cells and headers that are
    already LaTeX (escaped with :func:`_tex` where they are text)."""
    styler = cells.style.hide(axis="index").set_table_styles([{"selector": "small", "props": ":;"}])
    return styler.to_latex(hrules=True, position="t", position_float="centering", column_format=column_format,
                           caption=_tex(caption) if caption else None, label=label or None)


def as_frame(rows_or_frame) -> pd.DataFrame:
    if isinstance(rows_or_frame, pd.DataFrame):
        missing = set(COLUMNS) - set(rows_or_frame.columns)
        if missing:
            raise ValueError(f"not a stats table: missing columns {sorted(missing)}")
        return rows_or_frame[list(COLUMNS)]
    return rows_to_frame(rows_or_frame)


def to_csv(rows_or_frame, path) -> None:
    """Write the full-precision CSV (atomic)."""
    io.write_text(path, as_frame(rows_or_frame).to_csv(index=False, float_format="%.10g"))


def to_latex(rows_or_frame, caption: str = "", label: str = "", digits: int = 3) -> str:
    """A booktabs LaTeX table of a stats table."""
    df = as_frame(rows_or_frame)
    p = df.p_adjusted.where(df.p_adjusted.notna(), df.p_value)
    cells = pd.DataFrame({
        "Unit": [_tex(u or "all") for u in df.unit],
        "Test": [_tex(t) for t in df.test],
        r"Estimate [95\% CI]": [f"{_sig(e, digits)} [{_sig(lo, digits)}, {_sig(hi, digits)}]"
                                for e, lo, hi in zip(df.estimate, df.ci_low, df.ci_high)],
        "Null mean": [_sig(x, digits) for x in df.null_mean],
        "Effect": [_sig(x, digits) + (f" ({_tex(k)})" if k else "")
                   for x, k in zip(df.effect_size, df.effect_size_kind)],
        "$p_{adj}$": [_tex(_p(x)) for x in p],
        "Paper": [_sig(x, digits) for x in df.paper_value],
    })
    return latex_table(cells, "llrrrrr", caption, label)


def write_tables(rows_or_frame, stem, caption: str = "") -> tuple:
    """``stem.csv`` and ``stem.tex``; returns their paths."""
    stem = Path(stem)
    to_csv(rows_or_frame, stem.with_suffix(".csv"))
    io.write_text(stem.with_suffix(".tex"), to_latex(rows_or_frame, caption=caption, label=f"tab:{stem.name}"))
    return stem.with_suffix(".csv"), stem.with_suffix(".tex")
