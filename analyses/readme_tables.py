"""Print the README's measured tables (markdown) from the committed result files.

python analyses/readme_tables.py [bench|replication|smoke|ledger|claims [RESULTS_DIR]]
  bench        results/bench/*      (after tox -e bench)
  replication  results/summary.csv  (after tox -e analyses)
  smoke        results/smoke/summary.csv
  ledger       the paper's claims (neuronstats/claims.csv)
  claims DIR   paper vs ours, one line per claim, from DIR/claims.csv (default results/)
  calibration  results/calibration/calibration_*.csv  (after tox -e calibration)
"""

import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1] / "results"
BENCH = ROOT / "bench"


def md(df: pd.DataFrame) -> str:
    cols = list(df.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in df.itertuples(index=False):
        lines.append("| " + " | ".join(f"{v:.3g}" if isinstance(v, float) else str(v) for v in r) + " |")
    return "\n".join(lines)


def pct(v) -> str:
    return "–" if pd.isna(v) else f"{100 * v:.1f}"


def bench() -> None:
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


def table1(summary: pd.DataFrame) -> pd.DataFrame:
    """Paper vs ours for every Table-1 line: seed-mean estimate with its CI, the null or
    random-set control mean, and how many units reject after Holm."""
    from neuronstats.report.figures import TABLE1

    out = []
    for finding, test, label in TABLE1:
        sub = summary[(summary.finding == finding) & (summary.test == test)]
        for (ds, cell), g in sub.groupby(["dataset", "cell"], sort=False):
            for unit_label, gg in (g.groupby("unit", sort=False) if g.unit.str.startswith("k = ").all()
                                   else [("", g)]):
                r = gg.iloc[0]
                ours = (f"{pct(r.estimate)} [{pct(r.ci_low)}, {pct(r.ci_high)}]" if len(gg) == 1
                        else f"{pct(gg.estimate.mean())} (mean of {len(gg)} tokens)")
                out.append({"dataset": ds, "cell": cell, "test": f"{label} {unit_label}".strip(),
                            "paper %": pct(r.paper_value), "ours % [95 % CI]": ours,
                            "null/control %": pct(gg.null_mean.mean()),
                            "reject (Holm)": f"{int(gg.reject.sum())}/{len(gg)}"})
    return pd.DataFrame(out)


def by_finding(summary: pd.DataFrame) -> pd.DataFrame:
    """Every test: units, how many reject after correction, mean estimate and null."""
    g = summary[summary.test != "(not run)"].groupby(["dataset", "cell", "finding", "test"], sort=False)
    df = g.agg(units=("estimate", "size"), reject=("reject", "sum"), estimate=("estimate", "mean"),
               null=("null_mean", "mean")).reset_index()
    df["reject"] = df.reject.astype(int).astype(str) + "/" + df.units.astype(str)
    return df.drop(columns="units")


def study(path: Path) -> None:
    summary = pd.read_csv(path / "summary.csv")
    summary["reject"] = summary.reject.astype(str).str.lower() == "true"
    print(md(table1(summary)))
    print()
    print(md(by_finding(summary)))
    cmp = sorted(path.glob("*/gru_vs_lstm.csv"))
    if cmp:
        c = pd.concat([pd.read_csv(f) for f in cmp])
        c["reject"] = c.reject.astype(str).str.lower() == "true"
        print(f"\nGRU vs LSTM: {int(c.reject.sum())} of {len(c)} rows differ after Holm "
              f"(median |Hedges' g| {np.nanmedian(np.abs(c.effect_size)):.2f})")


def ledger() -> None:
    from neuronstats.paper import claims

    c = claims()
    out = pd.DataFrame({"claim": c.claim_id, "section": c.section, "dataset": c.dataset, "cell": c.cell,
                        "quantity": c.quantity, "paper": [pct(v) if not pd.isna(v) else (f"{pct(lo)}–{pct(hi)}"
                                                           if not pd.isna(lo) else "direction")
                                                           for v, lo, hi in zip(c.paper_value, c.low, c.high)],
                        "kind": c.kind, "test": c.test_id})
    print(md(out))
    print(f"\n{len(c)} claims: " + ", ".join(f"{k} {v}" for k, v in c.kind.value_counts().items()))


def claims_table(folder: Path) -> None:
    c = pd.read_csv(folder / "claims.csv")
    out = pd.DataFrame({"claim": c.claim_id, "dataset": c.dataset, "cell": c.cell, "paper %": c.paper_value.map(pct),
                        "ours % [95 % CI]": [f"{pct(e)} [{pct(lo)}, {pct(hi)}]" for e, lo, hi in
                                             zip(c.estimate, c.ci_low, c.ci_high)],
                        "models' accuracy %": c.model_accuracy.map(pct), "verdict": c.verdict})
    print(md(out))
    print("\n" + ", ".join(f"{k}: {v}" for k, v in c.verdict.value_counts().items()))


def calibration() -> None:
    for path in sorted((ROOT / "calibration").glob("calibration_*.csv")):
        if path.stem.endswith("_rows"):
            continue
        t = pd.read_csv(path)
        out = pd.DataFrame({"test": t.test_id + [f" ({u})" if u.startswith("k =") else "" for u in t.unit],
                            "studies": t.n_studies, "own null %": t.own_rate.map(pct),
                            "vs untrained %": t.vs_untrained_rate.map(pct), "claim rule %": t.claim_rate.map(pct),
                            "earlier rule %": t.baseline_only_rate.map(pct)})
        print(f"{path.name}: binomial band at 5 %: {pct(t.band_low.min())}-{pct(t.band_high.max())} %")
        print(md(out))


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else "bench"
    if what == "bench":
        bench()
    elif what == "ledger":
        ledger()
    elif what == "calibration":
        calibration()
    elif what == "claims":
        claims_table(Path(sys.argv[2]) if len(sys.argv) > 2 else ROOT)
    else:
        study(ROOT if what == "replication" else ROOT / what)
