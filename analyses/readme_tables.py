"""Print the README's and docs' measured tables (markdown) from the committed result files.

python analyses/readme_tables.py [bench|replication|smoke|ledger|claims [RESULTS_DIR]|deviations|calibration]
                                 [--update FILE]
  bench        results/bench/*      (after tox -e bench)
  replication  results/summary.csv  (after tox -e analyses)
  smoke        results/smoke/summary.csv
  ledger       the paper's claims (neuronstats/claims.csv)
  claims DIR   paper vs ours, one line per claim, from DIR/claims.csv (default results/)
  deviations   our deviations from the paper (neuronstats/deviations.csv) and the readings that test them
  calibration  results/calibration/calibration_*.csv  (after tox -e calibration)

--update FILE (claims, deviations): instead of printing, replace the block between
``<!-- NAME:start -->`` and ``<!-- NAME:end -->`` in FILE (NAME: claims or deviations)
with the table, e.g. ``python analyses/readme_tables.py claims results --update README.md``.
tests/test_docs.py checks that the blocks in README.md and docs/ equal what this prints.
"""

import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from neuronstats.report.units import per_row as per_row_text
from neuronstats.report.units import units_by_test, value, with_ci

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
    for test_id, label in TABLE1:
        sub = summary[summary.test_id == test_id]
        for (ds, cell), g in sub.groupby(["dataset", "cell"], sort=False):
            pooled = g[g.unit.astype(str).str.startswith("pooled")]
            if len(pooled):  # a token-level test: its pooled row is the one the ledger judges
                g = pooled
            for unit_label, gg in (g.groupby("unit", sort=False) if g.unit.str.startswith("k = ").all()
                                   else [("", g)]):
                r = gg.iloc[0]
                ours = (f"{pct(r.estimate)} [{pct(r.ci_low)}, {pct(r.ci_high)}]" if len(gg) == 1
                        else f"{pct(gg.estimate.mean())} (mean of {len(gg)} tokens)")
                unit_label = unit_label or (str(r.unit) if len(pooled) else "")
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


def _paper(r, claim, unit: str) -> str:
    if not pd.isna(r.paper_value):
        return value(r.paper_value, unit)
    if claim is not None and not pd.isna(claim.low) and not pd.isna(claim.high):
        return f"{value(claim.low, unit, True)}–{value(claim.high, unit)}"
    direction = getattr(r, "direction", "") if "direction" in r._fields else ""
    if (not isinstance(direction, str) or not direction) and claim is not None:
        direction = claim.direction
    return f"direction ({direction})" if isinstance(direction, str) and direction else "direction"


def claims_markdown(folder: Path) -> str:
    """The claims table of the README from ``folder/claims.csv``: one line per claim, the
    paper's value, ours with its seed-level 95 % CI (or, for a claim judged on several
    rows without one interval, each row's: the ledger's ``per_row``), the verdict, and
    the readings it is sensitive to where the ledger has that column."""
    from neuronstats.paper import claims as load_claims

    c = pd.read_csv(Path(folder) / "claims.csv", keep_default_na=True)
    known = load_claims().set_index("claim_id")
    summary = Path(folder) / "summary.csv"
    if not summary.is_file():
        raise SystemExit(f"{summary}: not found (expected the study's rows beside claims.csv: they give each "
                         "claim's unit, as in the report)")
    units = units_by_test(pd.read_csv(summary))  # the report's units
    lines = ["| claim | paper | ours [95 % CI] | verdict |" + (" sensitive |" if "sensitive" in c else ""),
             "|---|---|---|---|" + ("---|" if "sensitive" in c else "")]
    for r in c.itertuples(index=False):
        claim = known.loc[r.claim_id] if r.claim_id in known.index else None
        unit = units.get(str(r.test_id), "")
        ours = with_ci(r.estimate, r.ci_low, r.ci_high, unit)
        per_row = getattr(r, "per_row", "") if "per_row" in c else ""
        ci_kind = str(getattr(r, "ci_kind", "")) if "ci_kind" in c else ""
        if isinstance(per_row, str) and per_row and (ci_kind.startswith("none:") or pd.isna(r.ci_low)):
            ours = per_row_text(per_row, unit)
        cells = [str(r.claim_id), _paper(r, claim, unit), ours, str(r.verdict)]
        if "sensitive" in c:
            flagged = str(r.sensitive) == "True"
            to = str(getattr(r, "sensitive_to", "")) if "sensitive_to" in c else ""
            readings = ", ".join(dict.fromkeys(x.split(" = ")[0].strip() for x in to.split(";") if " = " in x))
            cells.append(("yes" + (f": {readings}" if readings else "")) if flagged else "")
        lines.append("| " + " | ".join(x.replace("|", "\\|") for x in cells) + " |")
    counts = ", ".join(f"{k}: {v}" for k, v in c.verdict.value_counts().items())
    note = "" if "ci_kind" in c else (
        "**Stale: this claims.csv was written by an earlier ledger**, before the models were retrained: there, the "
        "interval of a claim over several tokens or datasets runs from their lowest CI bound to their highest (not a "
        "seed-level 95 % CI), and the verdicts have their earlier names. `tox -e analyses` rewrites it.\n\n")
    return note + "\n".join(lines) + f"\n\n{len(c)} claims; {counts}"


def claims_table(folder: Path) -> None:
    print(claims_markdown(folder))


def deviations_markdown() -> str:
    """Our deviations from the paper (``neuronstats/deviations.csv``): topic, the paper, ours,
    the file that implements ours, and the sensitivity reading that tests it."""
    from neuronstats.paper import deviations

    d = deviations()
    lines = ["| topic | the paper | ours | file | reading that tests it |", "|---|---|---|---|---|"]
    for r in d.itertuples(index=False):
        reading = f"`{r.reading}`" if isinstance(r.reading, str) and r.reading else "–"
        cells = [str(r.topic), str(r.paper), str(r.ours), f"`{r.file}`", reading]
        lines.append("| " + " | ".join(x.replace("|", "\\|").replace("\n", " ") for x in cells) + " |")
    return "\n".join(lines)


def update_block(path: Path, name: str, text: str) -> bool:
    """Replace what lies between ``<!-- name:start -->`` and ``<!-- name:end -->`` in
    ``path`` with ``text``; returns whether the file changed. Raises if the markers are
    missing."""
    path = Path(path)
    body = path.read_text(encoding="utf-8")
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    i, j = body.find(start), body.find(end)
    if i < 0 or j < i:
        raise SystemExit(f"{path}: no {start} ... {end} block to update")
    new = body[: i + len(start)] + "\n" + text.rstrip("\n") + "\n" + body[j:]
    if new != body:
        path.write_text(new, encoding="utf-8")
    return new != body


def read_block(path: Path, name: str) -> str | None:
    """The text between the markers (without the newlines next to them), or None."""
    body = Path(path).read_text(encoding="utf-8")
    m = re.search(rf"<!-- {name}:start -->\n(.*?)\n?<!-- {name}:end -->", body, re.S)
    return m.group(1).rstrip("\n") if m else None


def calibration() -> None:
    for path in sorted((ROOT / "calibration").glob("calibration_*.csv")):
        if path.stem.endswith("_rows"):
            continue
        t = pd.read_csv(path)
        out = pd.DataFrame({"test": t.test_id + [f" ({u})" if u.startswith(("k =", "pooled")) else "" for u in t.unit],
                            "studies": t.n_studies, "own null %": t.own_rate.map(pct),
                            "vs untrained %": t.vs_untrained_rate.map(pct), "claim rule %": t.claim_rate.map(pct),
                            "earlier rule %": t.baseline_only_rate.map(pct)})
        print(f"{path.name}: binomial band at 5 %: {pct(t.band_low.min())}-{pct(t.band_high.max())} %")
        print(md(out))


def main(argv: list[str]) -> int:
    update = None
    if "--update" in argv:
        i = argv.index("--update")
        if i + 1 >= len(argv):
            raise SystemExit("--update needs a file, e.g. --update README.md")
        update = Path(argv[i + 1])
        argv = argv[:i] + argv[i + 2:]
    what = argv[0] if argv else "bench"
    if update is not None:
        if what == "claims":
            name, text = "claims", claims_markdown(Path(argv[1]) if len(argv) > 1 else ROOT)
        elif what == "deviations":
            name, text = "deviations", deviations_markdown()
        else:
            raise SystemExit(f"--update works with claims and deviations, not {what!r}")
        changed = update_block(update, name, text)
        print(f"{update}: {name} table {'updated' if changed else 'already up to date'}")
        return 0
    if what == "bench":
        bench()
    elif what == "ledger":
        ledger()
    elif what == "calibration":
        calibration()
    elif what == "claims":
        claims_table(Path(argv[1]) if len(argv) > 1 else ROOT)
    elif what == "deviations":
        print(deviations_markdown())
    else:
        study(ROOT if what == "replication" else ROOT / what)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
