"""The paper's claims (Lee et al. 2023) in one place: ``claims.csv`` beside this module
lists every claim the paper makes with a number or a direction — section, dataset,
cell, quantity, the paper's value, the kind of claim, and the stable ``test_id`` of the
stats rows that check it. Rows get their ``paper_value`` from here, and only where the
paper reports that number for that dataset and cell.

Dataset order: the paper introduces Gutenberg first, then Lyrics Freak, and its
"respectively" (§3: 98.5 % and 98.1 %) is read in that order; Table 1 names its rows
(Lyrics Freak first), so its numbers are unambiguous.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path

import pandas as pd

CLAIMS_FILE = Path(__file__).with_name("claims.csv")
# What a claim asserts, fixed before any data (no verdict may depend on a direction read off our own results):
#   level — the paper's number, on the side of the control that ``direction`` names;
#   drop — an intervention lowers the statistic to about the paper's number (direction "less");
#   stays — the statistic stays near the paper's (high) number after an intervention: not below it by more
#           than the margin; diagnostic only where random sets do worse;
#   direction — an effect in ``direction`` against the control, no number;
#   no effect — equivalence: the estimate lies within [low, high];
#   fixed by the method — the value is set by the pipeline's rules: described, never given a verdict;
#   range — the estimate lies within [low, high].
KINDS = ("level", "drop", "stays", "direction", "no effect", "fixed by the method", "range")
DIRECTIONS = ("greater", "less")
DIRECTED = ("level", "drop", "stays", "direction")  # the kinds that need a direction


@functools.lru_cache(maxsize=1)
def claims() -> pd.DataFrame:
    """The claims ledger as a DataFrame (one row per claim)."""
    df = pd.read_csv(CLAIMS_FILE, dtype={"unit": str})
    bad = set(df["kind"]) - set(KINDS)
    if bad:
        raise ValueError(f"{CLAIMS_FILE}: unknown claim kind(s) {sorted(bad)}")
    undirected = df[df["kind"].isin(DIRECTED) & ~df["direction"].isin(DIRECTIONS)]
    if len(undirected):
        raise ValueError(f"{CLAIMS_FILE}: claims {list(undirected.claim_id)} need a direction (greater | less)")
    df["reading"] = df["reading"].fillna("")
    if df["claim_id"].duplicated().any():
        raise ValueError(f"{CLAIMS_FILE}: duplicate claim ids")
    return df


def dataset_matches(claim_dataset: str, dataset: str) -> bool:
    return dataset in str(claim_dataset).split("+")


def unit_matches(claim_unit: str, unit: str) -> bool:
    """``*``: any unit; ``pooled``: the one row pooling a token-level test over its tokens;
    ``'i'``: the token unit of the word i; else the exact unit."""
    claim_unit = str(claim_unit)
    if claim_unit == "*":
        return True
    if claim_unit == "pooled":
        return unit.startswith("pooled")
    if claim_unit.startswith("'"):
        return unit.endswith(" " + claim_unit)
    return claim_unit == unit


def claims_for(dataset: str, cell: str, test_id: str, unit: str) -> pd.DataFrame:
    c = claims()
    m = (c["cell"] == cell) & (c["test_id"] == test_id)
    m &= c["dataset"].map(lambda d: dataset_matches(d, dataset))
    m &= c["unit"].map(lambda u: unit_matches(u, unit))
    return c[m]


def paper_value(dataset: str, cell: str, test_id: str, unit: str) -> float | None:
    """The number the paper reports for this dataset, cell, test and unit, or None."""
    hit = claims_for(dataset, cell, test_id, unit)
    vals = [v for v in hit["paper_value"] if isinstance(v, float) and not math.isnan(v)]
    return float(vals[0]) if vals else None



def with_paper_values(df: pd.DataFrame, dataset: str | None = None) -> pd.DataFrame:
    """``df`` (stats rows) with ``paper_value`` filled from the claims file, joined on
    (dataset, cell, test_id, unit); ``dataset``: the paper's dataset the rows stand for
    (default: each row's own)."""
    if df.empty:
        return df
    out = df.copy()
    out["paper_value"] = [paper_value(dataset or r.dataset, r.cell, r.test_id, r.unit) for r in out.itertuples()]
    return out


DEVIATIONS_FILE = Path(__file__).with_name("deviations.csv")


@functools.lru_cache(maxsize=1)
def deviations() -> pd.DataFrame:
    """Each choice of ours that differs from, or interprets, the paper: what the paper
    does, what we do, the file that does it, and the sensitivity reading that tests it
    (:mod:`neuronstats.sensitivity`; empty where none does)."""
    return pd.read_csv(DEVIATIONS_FILE).fillna("")
