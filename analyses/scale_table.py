"""Each claim's estimate, CI and verdict at each model size side by side, and the claims
whose verdict moves with size.

    python analyses/scale_table.py results results/scale/width results/scale/vocab --out results/scale

Each folder is a results folder with a claims.csv (the ledger of a study: the replication
at hidden 128 / vocabulary 2k, and the scale arms of analyses/scale_*.toml). Writes
``scale_table.csv`` and ``scale_table.md`` into ``--out`` and prints the claims that move.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd


def label(folder: Path) -> str:
    """The arm's size from its manifest (hidden, vocabulary), else the folder's name."""
    m = folder / "manifest.json"
    if m.is_file():
        ds = json.loads(m.read_text()).get("datasets", {})
        first = next(iter(ds.values()), {})
        if first:
            return f"h{first['model']['hidden']}-v{first['data']['vocab_size'] // 1000}k"
    return folder.name


def scale_table(folders: list[Path]) -> pd.DataFrame:
    """One line per claim judged in every arm: ``<arm> estimate / ci / verdict`` columns and
    ``moves`` (True where the verdicts differ between arms). Claims an arm did not run
    (e.g. lyrics, LSTM) are left out of the comparison."""
    wide = None
    for f in folders:
        c = pd.read_csv(f / "claims.csv")
        arm = label(f)
        ci = c.apply(lambda r: "" if pd.isna(r.ci_low) else f"[{r.ci_low:.3g}, {r.ci_high:.3g}]", axis=1)
        part = pd.DataFrame({"claim_id": c.claim_id, f"{arm} estimate": c.estimate, f"{arm} CI": ci,
                             f"{arm} verdict": c.verdict})
        part = part[~part[f"{arm} verdict"].isin(["not run"])]
        wide = part if wide is None else wide.merge(part, on="claim_id", how="inner")
    verdicts = [c for c in wide.columns if c.endswith(" verdict")]
    wide["moves"] = wide[verdicts].nunique(axis=1) > 1
    return wide


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("folders", nargs="+")
    p.add_argument("--out", default="results/scale")
    a = p.parse_args(argv)
    t = scale_table([Path(f) for f in a.folders])
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    t.to_csv(out / "scale_table.csv", index=False, float_format="%.4g")
    cols = list(t.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(f"{v:.3g}" if isinstance(v, float) else str(v) for v in r) + " |"
              for r in t.itertuples(index=False)]
    (out / "scale_table.md").write_text("\n".join(lines) + "\n")
    moving = t[t.moves]
    print(f"{len(t)} claims judged in every arm; {len(moving)} move with size: " + ", ".join(moving.claim_id))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
