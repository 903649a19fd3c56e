"""Stats tables: CSV with full precision, LaTeX (booktabs) for reading.

The LaTeX table shows, per row: unit, test, our estimate with its seed-level CI as
``[lo, hi]``, the null's mean, the effect size, the adjusted p and the paper's value
beside ours.
"""

from __future__ import annotations

import math

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
    """Escape LaTeX's special characters in one pass (so no escape is escaped again)."""
    return "".join(_TEX.get(c, c) for c in str(s))


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
    head = ["Unit", "Test", "Estimate [95\\% CI]", "Null mean", "Effect", "$p_{adj}$", "Paper"]
    lines = [r"\begin{table}[t]", r"\centering", r"\small", r"\begin{tabular}{llrrrrr}", r"\toprule",
             " & ".join(head) + r" \\", r"\midrule"]
    for r in df.itertuples(index=False):
        est = f"{_sig(r.estimate, digits)} [{_sig(r.ci_low, digits)}, {_sig(r.ci_high, digits)}]"
        eff = _sig(r.effect_size, digits) + (f" ({_tex(r.effect_size_kind)})" if r.effect_size_kind else "")
        p = r.p_adjusted if not math.isnan(r.p_adjusted) else r.p_value
        cells = [_tex(r.unit or "all"), _tex(r.test), est, _sig(r.null_mean, digits), eff, _tex(_p(p)),
                 _sig(r.paper_value, digits)]
        lines.append(" & ".join(cells) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    if caption:
        lines.append(r"\caption{" + _tex(caption) + "}")
    if label:
        lines.append(r"\label{" + label + "}")
    lines.append(r"\end{table}")
    return "\n".join(lines) + "\n"


def write_tables(rows_or_frame, stem, caption: str = "") -> tuple:
    """``stem.csv`` and ``stem.tex``; returns their paths."""
    from pathlib import Path

    stem = Path(stem)
    to_csv(rows_or_frame, stem.with_suffix(".csv"))
    io.write_text(stem.with_suffix(".tex"), to_latex(rows_or_frame, caption=caption, label=f"tab:{stem.name}"))
    return stem.with_suffix(".csv"), stem.with_suffix(".tex")
