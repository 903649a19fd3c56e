"""The paper's claims with verdicts: each claim of :mod:`neuronstats.paper` matched to
the stats rows that test it (by stable ``test_id`` and unit), and judged by rules fixed
before the data: every claim's ``kind`` and ``direction`` come from the claims file,
never from where our own numbers fall.

A token-level claim is judged on one row per dataset: the *pooled* row (per seed the
mean over its tokens, then the seed-level CI and test); the per-token rows are
description. A claim over two datasets has one row on each; each is judged, then:

* **supported** — the row rejects its null in the claimed direction (Holm-adjusted,
  seed-level); for a level or drop, the paper's number lies in our 95 % CI or within
  ``margin`` of our estimate, or our estimate is beyond it in the claimed direction;
  where the study ran the untrained baseline, the trained effect also beats the
  untrained network's (the ``.vs_untrained`` row; docs/statistics.md, "The untrained
  baseline");
* **supported, not diagnostic** — the level is there, but the test cannot tell: random
  sets do as well (a *stays* claim whose set is no better than random ones), or the
  untrained network passes the same test and the trained effect does not exceed its;
* **weaker: level short of the paper** — the effect is there, but the paper's number lies
  beyond our CI and the margin, on the side the claim would not allow;
* **weaker: only some units** — the claim holds on some of its datasets only;
* **weaker: not beyond the untrained network** — the trained row rejects and the
  untrained one does not, but the difference between them is not significant;
* **not supported** — no rejection in the claimed direction (the reason gives the
  smallest difference the test could have seen with 80 % power), or an equivalence not
  shown;
* **contradicted** — significant in the opposite direction; for a *no effect* claim,
  our CI lies entirely outside the equivalence bounds;
* **not run** — no row, the test could not run, the models are below the accuracy
  floor, or the study ran the untrained baseline but has no baseline row for the claim;
* **no verdict: fixed by the method** — the quantity is set by the pipeline's rules
  (described, with the untrained network's value).

The ``estimate``/``ci_low``/``ci_high`` columns hold the row's value and its seed-level
95 % CI where the claim has one row; a claim over two datasets has its rows in
``per_row`` and no single interval (``ci_kind`` says which).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from neuronstats.paper import claims as load_claims
from neuronstats.paper import dataset_matches, unit_matches
from neuronstats.report.units import unit_of, value, with_ci

SUPPORTED = "supported"
NOT_DIAGNOSTIC = "supported, not diagnostic"
LEVEL_BELOW = "weaker: level short of the paper"
SOME_UNITS = "weaker: only some units"
NOT_BEYOND_UNTRAINED = "weaker: not beyond the untrained network"
NOT_SUPPORTED = "not supported"
CONTRADICTED = "contradicted"
NOT_RUN = "not run"
FIXED = "no verdict: fixed by the method"
VERDICTS = (SUPPORTED, NOT_DIAGNOSTIC, LEVEL_BELOW, SOME_UNITS, NOT_BEYOND_UNTRAINED, NOT_SUPPORTED, CONTRADICTED,
            NOT_RUN, FIXED)
VS_UNTRAINED = ".vs_untrained"  # rows comparing each seed's effect with the untrained network's (study.py)
_RANK = {v: i for i, v in enumerate(VERDICTS)}


def model_accuracy(summary: pd.DataFrame) -> dict:
    """(dataset, cell) → mean test positioning accuracy over seeds (the positioning rows)."""
    pos = summary[summary.test_id == "positioning.accuracy"]
    return {(r.dataset, r.cell): float(r.estimate) for r in pos.itertuples()}


def _rows_for(summary: pd.DataFrame, claim, cell: str | None = None, test_id: str | None = None) -> pd.DataFrame:
    m = (summary.test_id == (test_id or claim.test_id)) & (summary.cell == (cell or claim.cell))
    m &= summary.dataset.map(lambda d: dataset_matches(claim.dataset, d))
    m &= summary.unit.map(lambda u: unit_matches(claim.unit, str(u)))
    return summary[m]


def _val(x: float, row) -> str:
    """A value in the unit of ``row``'s statistic (neuronstats.report.units)."""
    return value(x, unit_of(str(getattr(row, "statistic", ""))))


def _margin(margin: float, row) -> str:
    """The ledger's margin in the unit of ``row``'s statistic: 5 pp for a rate or share,
    0.05 in the statistic's own units for anything else (a gate mean, a correlation)."""
    return f"{100 * margin:.0f} pp" if unit_of(str(getattr(row, "statistic", ""))) in ("%", "pp") else f"{margin:.3g}"


def _one(row) -> str:
    """The row's estimate and CI as data (the ledger's ``per_row``; shown in their unit by the report)."""
    return f"{row.estimate:.3g} [{row.ci_low:.3g}, {row.ci_high:.3g}]"


def _ci_text(row) -> str:
    """The row's estimate and CI in the unit of its statistic, for a reason."""
    return with_ci(row.estimate, row.ci_low, row.ci_high, unit_of(str(getattr(row, "statistic", ""))))


def _rejects(row, direction: str) -> bool:
    """Significant (adjusted) with the estimate on ``direction``'s side of its control."""
    if row is None or not row.reject:
        return False
    ref = row.null_mean if not (isinstance(row.null_mean, float) and math.isnan(row.null_mean)) else 0.0
    return bool(row.estimate > ref) if direction == "greater" else bool(row.estimate < ref)


def _significant_against(row, direction: str) -> bool:
    """Significant (adjusted p below alpha) in the direction opposite to ``direction``."""
    if row is None or not np.isfinite(row.p_adjusted) or row.p_adjusted > 0.05:
        return False
    ref = row.null_mean if np.isfinite(row.null_mean) else 0.0
    return bool(row.estimate < ref) if direction == "greater" else bool(row.estimate > ref)


def _detectable(row) -> str:
    """The difference from the control this row's test would detect with 80 % power (from
    its CI's half-width: z_0.975 + z_0.8 standard errors)."""
    if not (np.isfinite(row.ci_low) and np.isfinite(row.ci_high)):
        return ""
    se = (row.ci_high - row.ci_low) / (2 * stats.norm.ppf(0.975))
    d = se * (stats.norm.ppf(0.975) + stats.norm.ppf(0.8))
    size = f"{100 * d:.1f} pp" if unit_of(str(getattr(row, "statistic", ""))) in ("%", "pp") else f"{d:.3g}"
    return f"; its test would detect a difference of about {size} " \
           f"from the control with 80 % power"


def _judge_row(claim, row, base, vs, baseline_ran: bool, margin: float) -> tuple[str, str]:
    """The verdict of one claim on one dataset's row (see the module's rules)."""
    d = claim.direction
    if claim.kind == "range":
        inside = claim.low <= row.estimate <= claim.high
        return (SUPPORTED if inside else NOT_SUPPORTED,
                f"{_val(row.estimate, row)} {'inside' if inside else 'outside'} the paper's "
                f"{_val(claim.low, row)}-{_val(claim.high, row)}")
    if claim.kind == "no effect":
        lo, hi = claim.low, claim.high
        ci = f"{_ci_text(row)} against the bounds [{_val(lo, row)}, {_val(hi, row)}]"
        if row.reject:
            return SUPPORTED, f"equivalence shown (TOST): {ci}"
        if np.isfinite(row.ci_low) and (row.ci_low > hi or row.ci_high < lo):
            why = f"the whole 95 % CI lies outside the equivalence bounds: {ci}"
            if (base is not None and "accuracy" not in str(row.statistic) and np.isfinite(base.ci_low)
                    and (base.ci_low > hi or base.ci_high < lo)):
                why += f"; the untrained network is outside them too ({_ci_text(base)}): the statistic is not specific"
            return CONTRADICTED, why
        return NOT_SUPPORTED, f"equivalence not shown, and not excluded: {ci}"
    # level, drop, stays, direction
    if claim.kind == "stays":
        p = claim.paper_value
        if row.ci_low >= p - margin or row.estimate >= p:
            level = f"{_ci_text(row)} is not " \
                    f"below the paper's {_val(p, row)} by more than {_margin(margin, row)}"
        elif row.ci_high < p - margin:
            return LEVEL_BELOW, (f"{_ci_text(row)}"
                                 f": below the paper's {_val(p, row)} by more than the {_margin(margin, row)} margin")
        else:
            return NOT_SUPPORTED, (f"{_ci_text(row)}: not shown to stay within {_margin(margin, row)} of "
                                   f"the paper's {_val(p, row)}")
        if not _rejects(row, "greater"):
            ctrl = f"random sets give {_val(row.null_mean, row)}"
            return NOT_DIAGNOSTIC, f"{level}; but {ctrl}, so this test cannot tell the set from any other"
        return _untrained(SUPPORTED, f"{level}; the set does better than random sets ({_val(row.null_mean, row)})",
                          row, base, vs, d, baseline_ran)
    if claim.kind == "level" and not np.isfinite(row.p_adjusted) and not np.isfinite(row.null_mean):
        return _level_only(claim, row, margin)  # a descriptive row: the paper's number against our CI alone
    if not _rejects(row, d):
        if _significant_against(row, d):
            return CONTRADICTED, (f"significant in the opposite direction: {_val(row.estimate, row)} vs its control "
                                  f"{_val(row.null_mean, row)} (claimed: {d})")
        return NOT_SUPPORTED, (f"no rejection in the claimed direction ({d}): {_val(row.estimate, row)} vs its "
                               f"control {_val(row.null_mean, row)}, p_adj {row.p_adjusted:.3g}" + _detectable(row))
    reason = f"{_val(row.estimate, row)} vs its control {_val(row.null_mean, row)}, p_adj {row.p_adjusted:.2g}"
    if claim.kind in ("level", "drop") and not math.isnan(claim.paper_value):
        p, est = claim.paper_value, row.estimate
        in_ci = row.ci_low <= p <= row.ci_high
        near = abs(est - p) <= margin
        beyond = est > p if d == "greater" else est < p
        if not (in_ci or near or beyond):
            return LEVEL_BELOW, (f"{reason}; but {_ci_text(row)} vs the paper's {_val(p, row)} (outside our CI and "
                                 f"the {_margin(margin, row)} margin)")
        how = "inside our CI" if in_ci else ("exceeded" if beyond else
                                             f"within the {_margin(margin, row)} margin, outside our CI")
        reason += f"; the paper's {_val(p, row)}: {how}"
    return _untrained(SUPPORTED, reason, row, base, vs, d, baseline_ran)


def _level_only(claim, row, margin: float) -> tuple[str, str]:
    """A level claim on a row without a control (e.g. the gates before masking)."""
    p, est, d = claim.paper_value, row.estimate, claim.direction
    in_ci, near = row.ci_low <= p <= row.ci_high, abs(est - p) <= margin
    beyond = est > p if d == "greater" else est < p
    where = (f"{_ci_text(row)} vs the paper's "
             f"{_val(p, row)}")
    if in_ci or near or beyond:
        how = "inside our CI" if in_ci else ("beyond it in the claimed direction" if beyond else "within the margin")
        return SUPPORTED, f"{where}: {how} (a level without a control: no test)"
    return LEVEL_BELOW, f"{where}: outside our CI and the {_margin(margin, row)} margin, on the side the claim " \
                        f"({d}) does not allow (a level without a control: no test)"


def _untrained(verdict: str, reason: str, row, base, vs, d: str, baseline_ran: bool) -> tuple[str, str]:
    """The stricter control (docs/statistics.md, "The untrained baseline"): where the
    baseline ran, the trained effect must beat the untrained network's in the claimed
    direction (the ``.vs_untrained`` row)."""
    if not baseline_ran:
        return verdict, reason + "; no untrained baseline in this run"
    if base is None or vs is None:
        return NOT_RUN, (reason + "; but the study ran the untrained baseline and has no baseline "
                         + ("row" if base is None else "comparison row") + " for this claim, on which it rests")
    passes = _rejects(base, d)
    head = ("the untrained network passes this test too" if passes else
            "the untrained network does not pass this test")
    if _rejects(vs, d):
        return verdict, f"{reason}; {head}; the trained effect exceeds the untrained network's (p_adj " \
                        f"{vs.p_adjusted:.2g})"
    if passes:
        return NOT_DIAGNOSTIC, f"{reason}; but {head}, and the trained effect does not exceed its (p_adj " \
                               f"{vs.p_adjusted:.2g}): the test cannot tell"
    return NOT_BEYOND_UNTRAINED, f"{reason}; {head}, but the trained effect is not shown to exceed its (p_adj " \
                                 f"{vs.p_adjusted:.2g})"


def _combine(verdicts: list[tuple[str, str, str]]) -> tuple[str, str]:
    """One verdict from the per-dataset ones ``(dataset, verdict, reason)``."""
    if len(verdicts) == 1:
        return verdicts[0][1], verdicts[0][2]
    reason = "; ".join(f"{ds}: {v} ({why})" for ds, v, why in verdicts)
    vs = [v for _, v, _ in verdicts if v != NOT_RUN]
    if not vs:
        return NOT_RUN, reason
    if len(set(vs)) == 1:
        return vs[0], reason
    good = [v for v in vs if v in (SUPPORTED, NOT_DIAGNOSTIC)]
    if good and len(good) < len(vs):
        return SOME_UNITS, reason
    return max(vs, key=_RANK.get), reason  # the weaker of the verdicts


def judge(claim, summary: pd.DataFrame, accuracy: dict, floor: float, margin: float, coverage: str = "") -> dict:
    """The ledger line of one claim (see the module's rules)."""
    rows = _rows_for(summary, claim)
    out = {"n_rows": len(rows), "estimate": np.nan, "ci_low": np.nan, "ci_high": np.nan, "ci_kind": "",
           "null_mean": np.nan, "p_adjusted_max": np.nan, "per_row": "", "model_accuracy": np.nan,
           "units_described": ""}
    accs = [accuracy[(d, claim.cell)] for d in sorted(set(rows.dataset)) if (d, claim.cell) in accuracy]
    if accs:
        out["model_accuracy"] = float(np.mean(accs))
    if claim.kind == "fixed by the method" and not len(rows):
        return {**out, "verdict": FIXED, "reason": claim.reading or "set by the method's rules"}
    if not len(rows):
        stub = _rows_for(summary, claim._replace(unit="*"), test_id=claim.test_id.split(".")[0] + ".not_run")
        why = stub.notes.iloc[0] if len(stub) else (coverage or "this study does not run that test")
        return {**out, "verdict": NOT_RUN, "reason": f"no row for {claim.test_id} ({claim.unit}) on "
                f"{claim.dataset} {claim.cell.upper()}: {why}"}
    ran = rows[rows.estimate.notna()]
    out["per_row"] = "; ".join(f"{r.dataset}: {_one(r)}" for r in ran.itertuples())
    if len(ran) == 1:
        r = ran.iloc[0]
        out.update(estimate=float(r.estimate), ci_low=float(r.ci_low), ci_high=float(r.ci_high),
                   ci_kind="95 % CI, seed-level" if np.isfinite(r.ci_low) else "none")
    elif len(ran):
        out.update(estimate=float(ran.estimate.mean()), ci_kind=f"none: {len(ran)} rows (per_row)")
    if len(ran):
        out.update(null_mean=float(ran.null_mean.mean()), p_adjusted_max=float(ran.p_adjusted.max()))
    out["units_described"] = _per_unit(summary, claim)
    if claim.kind == "fixed by the method":
        base = _rows_for(summary, claim, cell=claim.cell + " untrained")
        also = f"; the untrained network: {_ci_text(base.iloc[0])}" if len(base) else ""
        return {**out, "verdict": FIXED, "reason": f"{claim.reading}{also}" if claim.reading else
                "set by the method's rules" + also}
    if not len(ran):
        return {**out, "verdict": NOT_RUN, "reason": "the test could not run: " + rows.notes.iloc[0]}
    if claim.test_id != "positioning.accuracy" and accs and min(accs) < floor:
        return {**out, "verdict": NOT_RUN,
                "reason": f"models below the accuracy floor ({100 * min(accs):.1f} % < {100 * floor:.0f} %)"}
    baseline_ran = bool((summary.cell == claim.cell + " untrained").any())
    per_ds = []
    for r in ran.itertuples():
        base = _rows_for(summary, claim, cell=claim.cell + " untrained")
        base = base[base.dataset == r.dataset]
        vs = _rows_for(summary, claim, cell=f"{claim.cell} - {claim.cell} untrained",
                       test_id=claim.test_id + VS_UNTRAINED)
        vs = vs[vs.dataset == r.dataset]
        v, why = _judge_row(claim, r, next(base.itertuples(), None), next(vs.itertuples(), None),
                            baseline_ran and claim.kind not in ("range", "no effect"), margin)
        per_ds.append((r.dataset, v, why))
    verdict, reason = _combine(per_ds)
    return {**out, "verdict": verdict, "reason": reason}


def _per_unit(summary: pd.DataFrame, claim) -> str:
    """For a pooled claim: how many of the per-token rows reject in its direction (description)."""
    if claim.unit != "pooled" or claim.kind in ("fixed by the method",):
        return ""
    rows = _rows_for(summary, claim._replace(unit="*"))
    rows = rows[~rows.unit.astype(str).str.startswith("pooled") & rows.estimate.notna()]
    if not len(rows):
        return ""
    d = claim.direction if claim.direction in ("greater", "less") else "greater"
    k = sum(_rejects(r, d) for r in rows.itertuples())
    return f"{k} of {len(rows)} token rows reject in the claimed direction"


def ledger(summary: pd.DataFrame, floor: float = 0.90, margin: float = 0.05, coverage: str = "",
           claims: pd.DataFrame | None = None) -> pd.DataFrame:
    """One line per claim of the paper: its value, ours with its CI, the verdict and why.
    ``coverage`` (a run on part of a study) is given as the reason of claims it has no rows for.
    ``claims``: another reading of the claims file (default: the package's)."""
    summary = summary.copy()
    for col, default in (("reject", None), ("p_adjusted", np.nan), ("null_mean", np.nan), ("notes", "")):
        if col not in summary:
            summary[col] = default
    summary["reject"] = summary["reject"].map(lambda x: str(x) == "True")  # bool, or text read from a CSV
    summary["notes"] = summary["notes"].fillna("")
    acc = model_accuracy(summary)
    out = []
    for claim in (load_claims() if claims is None else claims).itertuples():
        in_run = ((summary.cell == claim.cell) & summary.dataset.map(lambda d, c=claim: dataset_matches(c.dataset, d)))
        v = judge(claim, summary, acc, floor, margin, "" if in_run.any() else coverage)
        out.append({"claim_id": claim.claim_id, "section": claim.section, "dataset": claim.dataset,
                    "cell": claim.cell, "quantity": claim.quantity, "kind": claim.kind,
                    "direction": claim.direction if isinstance(claim.direction, str) else "",
                    "paper_value": claim.paper_value, **v, "test_id": claim.test_id, "unit": claim.unit,
                    "reading": claim.reading})
    cols = ["claim_id", "section", "dataset", "cell", "quantity", "kind", "direction", "paper_value", "estimate",
            "ci_low", "ci_high", "ci_kind", "null_mean", "p_adjusted_max", "per_row", "units_described",
            "model_accuracy", "verdict", "reason", "test_id", "unit", "n_rows", "reading"]
    return pd.DataFrame(out)[cols]
