"""Sensitivity of the verdicts to readings the paper allows: the same ledger under each
reading, one table per reading, and a ``sensitive`` flag on every claim whose verdict
changes under one of them.

Readings judged from the stats rows alone (no model needed):

* ``margin``: the level margin at 0.02, 0.05 (the study's) and 0.10 (2, 5 and 10 pp on rates);
* ``respectively``: §3's "98.5 % and 98.1 % respectively on the two datasets" read in the
  order the paper introduces them (Gutenberg, Lyrics Freak; the study's reading) and in
  its Table 1's order (Lyrics Freak first).

Readings that need the models (each intervention done another way) are tables that
``neuronstats sensitivity`` writes beside these (results/sensitivity/); every table has
the columns of :data:`COLUMNS`, so the flag is computed the same way for all.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from neuronstats.paper import claims as load_claims
from neuronstats.paper import deviations
from neuronstats.report.ledger import ledger

COLUMNS = ("claim_id", "dataset", "reading", "value", "is_study_reading", "estimate", "ci_low", "ci_high", "verdict",
           "reason")
MARGINS = (0.02, 0.05, 0.10)


def _lines(claims: pd.DataFrame, reading: str, value: str, study: bool) -> pd.DataFrame:
    out = claims[["claim_id", "estimate", "ci_low", "ci_high", "verdict", "reason"]].copy()
    out.insert(1, "dataset", "")
    out.insert(2, "reading", reading)
    out.insert(3, "value", value)
    out.insert(4, "is_study_reading", study)
    return out[list(COLUMNS)]


def margin_readings(summary: pd.DataFrame, floor: float = 0.90, study_margin: float = 0.05) -> pd.DataFrame:
    """Every claim's verdict at each level margin of :data:`MARGINS`."""
    return pd.concat([_lines(ledger(summary, floor=floor, margin=m), "margin", f"{m:.2f} ({100 * m:.0f} pp)",
                             abs(m - study_margin) < 1e-12) for m in MARGINS], ignore_index=True)


def respectively_readings(summary: pd.DataFrame, floor: float = 0.90, margin: float = 0.05) -> pd.DataFrame:
    """Every claim's verdict with §3's two GRU numbers in either order."""
    base = load_claims()
    swapped = base.copy()
    i = swapped.set_index("claim_id").index
    g, ly = list(i).index("pos-gutenberg-gru"), list(i).index("pos-lyrics-gru")
    swapped.loc[swapped.index[[g, ly]], "paper_value"] = base.paper_value.iloc[[ly, g]].to_numpy()
    return pd.concat([
        _lines(ledger(summary, floor=floor, margin=margin), "respectively", "Gutenberg 98.5 %, lyrics 98.1 %", True),
        _lines(ledger(summary, floor=floor, margin=margin, claims=swapped), "respectively",
               "lyrics 98.5 %, Gutenberg 98.1 %", False)], ignore_index=True)


def flag(claims: pd.DataFrame, tables: list[pd.DataFrame]) -> pd.DataFrame:
    """The ledger with ``sensitive`` (True where a reading the paper allows gives another
    verdict than the study's reading in the same table, i.e. under the same rule) and
    ``sensitive_to`` (which readings, and their verdicts)."""
    out = claims.copy()
    out["sensitive"] = False
    out["sensitive_to"] = ""
    for t in tables:
        t = t.assign(dataset=t.dataset.astype(object).where(t.dataset.notna(), ""))
        study = t[t.is_study_reading.astype(bool)]
        verdict = {(r.claim_id, r.dataset, r.reading): r.verdict for r in study.itertuples()}
        for r in t[~t.is_study_reading.astype(bool)].itertuples():
            key = (r.claim_id, r.dataset, r.reading)
            if key in verdict and r.verdict != verdict[key] and (out.claim_id == r.claim_id).any():
                i = out.index[out.claim_id == r.claim_id][0]
                out.at[i, "sensitive"] = True
                where = f" ({r.dataset})" if r.dataset else ""
                out.at[i, "sensitive_to"] = "; ".join(x for x in (out.at[i, "sensitive_to"],
                                                                  f"{r.reading} = {r.value}{where}: {r.verdict}")
                                                      if x)
    return out


def read_tables(folder) -> list[pd.DataFrame]:
    """The sensitivity tables a results folder holds (results/sensitivity/*.csv)."""
    folder = Path(folder)
    tables = []
    for f in sorted(folder.glob("*.csv")) if folder.is_dir() else []:
        t = pd.read_csv(f, dtype={"dataset": str, "value": str})
        if set(COLUMNS) <= set(t.columns):
            tables.append(t)
    return tables


def deviations_table(tables: list[pd.DataFrame]) -> pd.DataFrame:
    """The deviations from the paper (:func:`neuronstats.paper.deviations`), each with its
    sensitivity result: which claims change verdict under the readings that test it, or
    "no verdict changes", or "not run" / "no reading" where nothing tests it."""
    out = deviations().copy()
    results = []
    for dev in out.itertuples():
        if not dev.reading:
            results.append("no sensitivity reading")
            continue
        t = [x for x in tables if len(x) and (x.reading == dev.reading).any()]
        if not t:
            results.append("not run yet (replicate --sensitivity)")
            continue
        t = pd.concat(t)
        flagged = flag(pd.DataFrame({"claim_id": t.claim_id.unique(), "verdict": ""}), [t])
        changed = flagged[flagged.sensitive]
        results.append("no verdict changes" if not len(changed) else
                       "; ".join(f"{r.claim_id}: {r.sensitive_to}" for r in changed.itertuples()))
    out["sensitivity"] = results
    return out
