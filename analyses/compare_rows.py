"""Which stats rows change between two runs of a study: the GRU-vs-LSTM rows before and
after the LSTMs were trained to convergence, or any cell's rows between two results.

    git show <old commit>:results/summary.csv > /tmp/old_summary.csv
    python analyses/compare_rows.py /tmp/old_summary.csv results/summary.csv --cell "gru - lstm" \\
        --out results/gru_vs_lstm_changes.csv

One line per (dataset, finding, test id, unit) present in either run: the estimate, CI,
adjusted p and ``reject`` before and after, and ``change``: "rejects now", "no longer
rejects", "only before", "only after", or "" (same decision). Prints the lines that
changed and writes every line to ``--out``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

KEY = ["dataset", "finding", "test_id", "unit"]
SHOWN = ["estimate", "ci_low", "ci_high", "p_adjusted", "reject"]


def _reject(v) -> bool | None:
    if pd.isna(v) or v == "":
        return None
    return str(v).strip().lower() == "true"


def compare_rows(before: pd.DataFrame, after: pd.DataFrame, cell: str) -> pd.DataFrame:
    """The rows of ``cell`` in both runs, side by side, with what changed."""
    a = before[before.cell == cell][KEY + SHOWN]
    b = after[after.cell == cell][KEY + SHOWN]
    m = a.merge(b, on=KEY, how="outer", suffixes=("_before", "_after"), indicator=True)

    def change(r) -> str:
        if r["_merge"] == "left_only":
            return "only before"
        if r["_merge"] == "right_only":
            return "only after"
        ra, rb = _reject(r.reject_before), _reject(r.reject_after)
        if ra == rb:
            return ""
        return "rejects now" if rb else "no longer rejects"

    m["change"] = m.apply(change, axis=1) if len(m) else pd.Series(dtype=str)
    return m.drop(columns="_merge").sort_values(KEY).reset_index(drop=True)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("before", type=Path)
    ap.add_argument("after", type=Path)
    ap.add_argument("--cell", default="gru - lstm")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    table = compare_rows(pd.read_csv(args.before), pd.read_csv(args.after), args.cell)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(args.out, index=False, float_format="%.4g")
    changed = table[table.change != ""]
    print(f"{len(table)} rows of {args.cell!r}; {len(changed)} changed")
    if len(changed):
        print(changed[KEY + ["estimate_before", "estimate_after", "change"]].to_string(index=False))


if __name__ == "__main__":
    main()
