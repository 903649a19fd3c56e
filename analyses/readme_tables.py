"""Print the README's measured tables (markdown) from the committed result files.

python analyses/readme_tables.py   (after tox -e bench / the bench-* commands)
"""

from pathlib import Path

import pandas as pd

BENCH = Path(__file__).resolve().parents[1] / "results" / "bench"


def md(df: pd.DataFrame) -> str:
    cols = list(df.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in df.itertuples(index=False):
        lines.append("| " + " | ".join(f"{v:.3g}" if isinstance(v, float) else str(v) for v in r) + " |")
    return "\n".join(lines)


if (BENCH / "runs.csv").exists():
    runs = pd.read_csv(BENCH / "runs.csv")
    runs["best val acc %"] = 100 * runs.best_val_accuracy
    runs["test acc %"] = 100 * runs.test_accuracy
    print(md(runs[["config", "cell", "hidden", "vocab_size", "epochs", "minutes", "stopped", "best val acc %",
                   "test acc %", "tokens_per_s", "throughput_vs_ceiling"]]))
for name in ("stats_speed.csv", "microscope_speed.csv", "stages_speed.csv"):
    if (BENCH / name).exists():
        print(f"\n{name}:\n")
        print(md(pd.read_csv(BENCH / name)))
