"""Each claim's estimate, CI and verdict at each model size side by side, the claims
whose verdict moves with size, and whether each claim's effect differs between sizes.

    python analyses/scale_table.py results/scale/base results/scale/width results/scale/vocab --out results/scale

Each folder is a results folder of ``neuronstats replicate`` (its claims.csv, manifest.json
and per-dataset seed_effects.csv). The first is the base every other arm is compared
with. Compare like with like: the base is the replication's Gutenberg GRU at the arms'
seeds (``neuronstats replicate analyses/replication.toml --datasets gutenberg --cells gru
--seeds 0,1,2 --out results/scale/base``), since a verdict also moves with the number of
seeds (the power). Whether a claim's effect changes with size is tested directly: the
arm's seed effects (each seed's statistic minus its own control) against the base's,
Welch's t-test over seeds with its 95 % CI, Holm-corrected over the claims of each arm.
Writes ``scale_table.csv`` and ``scale_table.md`` into ``--out`` and prints the claims
that move and those whose effect differs.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests

from neuronstats.paper import claims, unit_matches
from neuronstats.report.units import units_by_test, value, with_ci
from neuronstats.stats.compare import compare_cells


def label(folder: Path) -> str:
    """The arm's size from its manifest (hidden, vocabulary), else the folder's name."""
    m = folder / "manifest.json"
    if m.is_file():
        ds = json.loads(m.read_text()).get("datasets", {})
        first = next(iter(ds.values()), {})
        if first:
            return f"h{first['model']['hidden']}-v{first['data']['vocab_size'] // 1000}k"
    return folder.name


def seed_effects(folder: Path) -> pd.DataFrame:
    """The folder's seed effects, their dataset named as the paper's (as claims.csv names it)."""
    m = folder / "manifest.json"
    paper = json.loads(m.read_text()).get("paper_datasets", {}) if m.is_file() else {}
    parts = [pd.read_csv(p) for p in sorted(folder.glob("*/seed_effects.csv"))]
    if not parts:
        return pd.DataFrame(columns=["dataset", "cell", "test_id", "unit", "effect"])
    out = pd.concat(parts, ignore_index=True)
    return out.assign(dataset=out.dataset.map(lambda d: paper.get(d, d)))


def differences(base: Path, arm: Path, alpha: float = 0.05) -> pd.DataFrame:
    """Per claim judged in both folders (on one cell and row; a claim pooled over datasets,
    e.g. "gutenberg+lyrics", on the datasets the folders ran): the arm's seed effects minus
    the base's. Difference of means, Welch's p over seeds, Holm over the claims; its CI is
    Welch's at the simultaneous level 1 − α/m (Bonferroni over the m claims tested, so
    that a CI excluding 0 is a difference at the family's α), and ``single_ci_low/high``
    the unadjusted 95 % CI. ``tested`` is False, with a ``reason``, where a claim has no
    seed effects to compare or no verdict in either folder (a quantity fixed by the method)."""
    cb, ca = pd.read_csv(base / "claims.csv"), pd.read_csv(arm / "claims.csv")
    eb, ea = seed_effects(base), seed_effects(arm)
    rows, seeds = [], []
    judged = ca[~ca.verdict.isin(["not run"])].set_index("claim_id")
    for c in cb[~cb.verdict.isin(["not run"])].itertuples():
        if c.claim_id not in judged.index or pd.isna(c.test_id) or "," in str(c.dataset):
            continue
        vb, va = (e[e.dataset.isin(str(c.dataset).split("+")) & (e.cell == c.cell) & (e.test_id == c.test_id)
                    & e.unit.astype(str).map(lambda u, cu=c.unit: unit_matches(cu, u))].effect.to_numpy(float)
                  for e in (eb, ea))  # a claim's unit names its row as the ledger does ("pooled", "'i'")
        fixed = [v for v in (c.verdict, judged.loc[c.claim_id, "verdict"]) if str(v).startswith("no verdict")]
        if fixed or len(vb) < 2 or len(va) < 2:  # a quantity the method fixes is no effect to compare
            rows.append({"claim_id": c.claim_id, "tested": False, "n_arm": len(va), "n_base": len(vb),
                         "reason": fixed[0].removeprefix("no verdict: ") if fixed else "no per-seed statistic"})
            continue
        r = compare_cells(list(va), list(vb))
        rows.append({"claim_id": c.claim_id, "tested": True, "difference": r.difference, "p_value": r.p_value,
                     "single_ci_low": r.ci_low, "single_ci_high": r.ci_high, "n_arm": len(va), "n_base": len(vb)})
        seeds.append((len(rows) - 1, va, vb))
    cols = ["claim_id", "tested", "difference", "ci_low", "ci_high", "p_value", "p_holm", "differs",
            "single_ci_low", "single_ci_high", "n_arm", "n_base", "reason"]
    out = pd.DataFrame(rows).reindex(columns=cols)
    m = len(seeds)
    for i, va, vb in seeds:
        if np.std(va) + np.std(vb) > 0:
            ci = stats.ttest_ind(va, vb, equal_var=False).confidence_interval(1 - alpha / m)
            out.loc[i, ["ci_low", "ci_high"]] = float(ci.low), float(ci.high)
        else:
            out.loc[i, ["ci_low", "ci_high"]] = out.loc[i, "difference"]
    ok = out.p_value.notna()
    if ok.any():
        out.loc[ok, "p_holm"] = multipletests(out.p_value[ok], method="holm")[1]
    out["differs"] = out.p_holm.map(lambda p: bool(p < alpha) if pd.notna(p) else np.nan)
    return out


def scale_table(folders: list[Path]) -> pd.DataFrame:
    """One line per claim judged in every arm: ``<arm> estimate / ci_low / ci_high /
    verdict`` columns, ``moves`` (True where the verdicts differ between arms) and, for
    each arm after the first, ``<arm> − <base> effect`` with its simultaneous CI (``... ci_low``,
    ``... ci_high``), its unadjusted 95 % CI (``... single_ci_low/high``), Welch's p and the
    Holm-adjusted p (``... p``, ``... p_holm``), ``<arm> differs`` (empty where the claim has
    no seed effects to test) and the seeds compared. Claims an arm did not run (e.g. lyrics,
    LSTM) are left out of the comparison."""
    wide = None
    for f in folders:
        c = pd.read_csv(f / "claims.csv")
        arm = label(f)
        part = pd.DataFrame({"claim_id": c.claim_id, f"{arm} estimate": c.estimate, f"{arm} ci_low": c.ci_low,
                             f"{arm} ci_high": c.ci_high, f"{arm} verdict": c.verdict})
        part = part[~part[f"{arm} verdict"].isin(["not run"])]
        wide = part if wide is None else wide.merge(part, on="claim_id", how="inner")
    verdicts = [c for c in wide.columns if c.endswith(" verdict")]
    wide["moves"] = wide[verdicts].nunique(axis=1) > 1
    base = label(folders[0])
    for f in folders[1:]:
        d = differences(folders[0], f)
        name = f"{label(f)} − {base} effect"
        keep = {"difference": name, "ci_low": f"{name} ci_low", "ci_high": f"{name} ci_high",
                "p_value": f"{name} p", "p_holm": f"{name} p_holm", "differs": f"{label(f)} differs",
                "single_ci_low": f"{name} single_ci_low", "single_ci_high": f"{name} single_ci_high",
                "n_arm": f"{label(f)} seeds", "n_base": f"{base} seeds ({label(f)} test)",
                "reason": f"{name} not tested"}
        wide = wide.merge(d.rename(columns=keep)[["claim_id", *keep.values()]], on="claim_id", how="left")
    return wide


def _paper(claim_id: str, paper: dict, known: pd.DataFrame, unit: str) -> str:
    """The paper's value of a claim: its number, its range (a no-effect claim), or its direction."""
    if claim_id in paper:
        return value(paper[claim_id], unit)
    if claim_id in known.index and pd.notna(known.loc[claim_id, "low"]) and pd.notna(known.loc[claim_id, "high"]):
        return f"{value(known.loc[claim_id, 'low'], unit, True)}–{value(known.loc[claim_id, 'high'], unit)}"
    return f"direction ({known.loc[claim_id, 'direction']})" if claim_id in known.index else "direction"


def markdown(t: pd.DataFrame, folders: list[Path]) -> str:
    """The scale table as Markdown, each value in its statistic's unit (neuronstats.report.units):
    the paper's value, per arm the estimate [95 % CI] and verdict, then whether the verdict moves, then each
    arm's effect minus the base's (Welch over seeds, Holm) where it was tested."""
    arms = [label(f) for f in folders]
    units, tests, paper, known = {}, {}, {}, claims().set_index("claim_id")
    for f in folders:
        if (f / "summary.csv").is_file():
            units.update(units_by_test(pd.read_csv(f / "summary.csv")))
        c = pd.read_csv(f / "claims.csv").set_index("claim_id")
        tests.update(c.test_id.dropna().to_dict())
        if "paper_value" in c:
            paper.update(c.paper_value.dropna().to_dict())
    moving = ", ".join(t.claim_id[t.moves]) or "none"
    kinds = sorted({k for f in folders for k in pd.read_csv(f / "claims.csv").get("ci_kind", pd.Series()).dropna()
                    if k})
    intro = [f"Each claim judged in every arm ({len(t)}): the paper's value, then per arm (hidden size, "
             f"vocabulary) the estimate [{' / '.join(kinds) or '95 % CI'}: Student's t over the seeds' "
             f"statistics] and verdict. The base is {arms[0]}.", "",
             f"**Verdicts that move with size:** {moving}."]
    for a in arms[1:]:
        col = t[f"{a} differs"] if f"{a} differs" in t else pd.Series(np.nan, t.index)
        tested = int(col.notna().sum())
        why = t.get(f"{a} − {arms[0]} effect not tested", pd.Series("", t.index))
        untested = [f"{c} ({w}{'; its verdict moves' if m else ''})"
                    for c, w, m in zip(t.claim_id[col.isna()], why[col.isna()], t.moves[col.isna()])]
        intro += ["", f"**Effects that differ between {a} and {arms[0]}** (each seed's effect over its control, "
                     f"Welch's t over seeds, Holm over the {tested} claims tested; each CI is simultaneous, "
                     f"95 % for the {tested} together, Bonferroni): "
                     f"{', '.join(t.claim_id[col.fillna(False).astype(bool)]) or 'none'}."
                  + (f" Not tested: {', '.join(untested)}." if untested else "")]
    head = ["claim", "paper", *arms, "verdict moves",
            *(f"{a} − {arms[0]} effect [simultaneous CI] (p_holm)" for a in arms[1:])]
    lines = [*intro, "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in t.to_dict("records"):
        u = units.get(tests.get(r["claim_id"], ""), "")
        du = "pp" if u in ("%", "pp") else ""
        cells = [r["claim_id"], _paper(r["claim_id"], paper, known, u)]
        cells += [f"{with_ci(r[f'{a} estimate'], r[f'{a} ci_low'], r[f'{a} ci_high'], u)}: {r[f'{a} verdict']}"
                  for a in arms]
        cells.append("**yes**" if r["moves"] else "no")
        for a in arms[1:]:
            e = f"{a} − {arms[0]} effect"
            cells.append(f"– ({r.get(f'{e} not tested')})" if pd.isna(r.get(e)) else
                         f"{with_ci(r[e], r[f'{e} ci_low'], r[f'{e} ci_high'], du)} ({r[f'{e} p_holm']:.2g})"
                         + (" **differs**" if pd.notna(r[f"{a} differs"]) and bool(r[f"{a} differs"]) else ""))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("folders", nargs="+", help="results folders; the first is the base")
    p.add_argument("--out", default="results/scale")
    a = p.parse_args(argv)
    folders = [Path(f) for f in a.folders]
    t = scale_table(folders)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    t.to_csv(out / "scale_table.csv", index=False, float_format="%.4g")
    (out / "scale_table.md").write_text(markdown(t, folders))
    moving = t[t.moves]
    print(f"{len(t)} claims judged in every arm; {len(moving)} move with size: " + ", ".join(moving.claim_id))
    for col in (c for c in t.columns if c.endswith(" differs")):
        hit = t[t[col].fillna(False).astype(bool)]
        print(f"{col.removesuffix(' differs')}: the effect differs from the base's for {len(hit)} of "
              f"{int(t[col].notna().sum())} claims: " + ", ".join(hit.claim_id))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
