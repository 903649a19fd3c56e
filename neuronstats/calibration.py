"""Calibration on networks that were never trained (docs/statistics.md, "Calibration on untrained
networks"): every finding's tests, run many times where no trained mechanism can exist, to measure
how often each rejects.

One simulated study draws two groups of untrained networks of a study's architecture
(fresh initialisation seeds each study, as many per group as the study has seeds) and
runs every finding on each group with the study's analysis settings and test examples,
exactly as the study runs its untrained baseline (every example counted as positioned).
For every stats row it records three decisions at ``alpha``:

* ``own`` — the row's own test on group A (random-set control, label permutation,
  shuffled (w, T), or TOST), its unadjusted p;
* ``vs_untrained`` — group A's seed effects against group B's: the test of the study's
  ``trained_vs_untrained`` tables (Welch over seeds on each seed's effect over its own
  control), here with two groups that are untrained alike, so H0 holds by construction;
* ``claim`` — the claims ledger's rule, with group B as the untrained baseline: A
  rejects its own null and A's effect exceeds B's on the same side (the claim rests on
  the stricter control). ``baseline_only`` is an earlier, weaker rule kept for
  comparison (beat B only where B passes the test itself).

``own`` need not be at α: an untrained recurrent state really does carry its input
token and the elapsed time, so a probe's "no information" null is false there, and an
equivalence ("no effect") holds trivially when nothing is positioned. Those rows show
why the ledger never lets a claim rest on its own null alone; ``vs_untrained`` and
``claim`` are the rates that must sit at α (:func:`calibration_table` gives each with
its binomial band).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from neuronstats import io
from neuronstats.data.cache import prepare
from neuronstats.engine import run_jobs
from neuronstats.findings.context import Context
from neuronstats.findings.run import compare_rows, run_finding
from neuronstats.model.train import heldout_examples, untrained_models
from neuronstats.partial import FINDINGS_VERSION

OWN_ONLY = ("(TOST)",)  # equivalence rows: no control to beat, so no vs_untrained/claim decision


def simulate_study(template, ex, vocab_size: int, fcfg, seeds_a, seeds_b, findings) -> pd.DataFrame:
    """One simulated study: every finding (positioning first) on untrained networks of
    ``template``'s architecture with ``seeds_a`` and with ``seeds_b``; one line per stats
    row of group A with the three decisions' p-values and directions."""
    groups = []
    for seeds in (seeds_a, seeds_b):
        models = untrained_models(template, vocab_size, seeds)
        ctx = Context("calibration", template.model.cell, models, ex, dataclasses.replace(fcfg, all_examples=True))
        rows, values = [], {}
        for name in ["positioning", *findings]:
            res = run_finding(name, ctx)
            rows += res.rows
            values.update(res.seed_values)
        groups.append((pd.DataFrame(rows), values))
    (rows, va), (rows_b, vb) = groups
    key = ["test_id", "unit", "test"]
    cols = ["finding", "test", "test_id", "unit", "estimate", "null_mean", "p_value"]
    rows = rows[rows.p_value.notna()][cols]
    b = rows_b[cols].rename(columns={"estimate": "estimate_b", "null_mean": "null_mean_b", "p_value": "p_value_b"})
    rows = rows.merge(b.drop(columns="finding"), on=key, how="left")
    vs = pd.DataFrame(compare_rows("calibration", va, vb, a="A", b="B", suffix=""))
    if len(vs):
        vs = vs.rename(columns={"estimate": "vs_estimate", "p_value": "vs_p"})[[*key, "vs_estimate", "vs_p"]]
        rows = rows.merge(vs, on=key, how="left")
    else:
        rows = rows.assign(vs_estimate=np.nan, vs_p=np.nan)
    return rows.reset_index(drop=True)


def decisions(rows: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """The decisions of each row (booleans; ``vs_untrained`` and ``claim`` are missing
    for equivalence rows, which have no control to beat). ``claim`` is the ledger's rule
    with group B as the untrained baseline: A rejects its own null and A's effect
    exceeds B's on the same side. ``baseline_only`` is the rule the ledger had before,
    measured for comparison: B's own test is consulted first, and A must beat B only
    where B passes on the same side."""
    own_only = rows.test.map(lambda t: any(s in t for s in OWN_ONLY))
    side = np.sign(rows.estimate - rows.null_mean)
    own = rows.p_value <= alpha
    baseline_passes = (rows.p_value_b <= alpha) & (np.sign(rows.estimate_b - rows.null_mean_b) == side)
    vs = rows.vs_p <= alpha  # no p: every seed of both groups agreed exactly (no difference to declare)
    beats = vs & (np.sign(rows.vs_estimate) == side)
    known = ~own_only
    return rows.assign(own=own, vs_untrained=vs.where(known), claim=(own & beats).where(known),
                       baseline_only=(own & (~baseline_passes | beats)).where(known))


def binomial_band(n: int, alpha: float = 0.05, level: float = 0.95) -> tuple[float, float]:
    """The central ``level`` range of the rejection rate of ``n`` independent tests at
    ``alpha`` (scipy's binomial quantiles)."""
    lo, hi = stats.binom.interval(level, n, alpha)
    return float(lo) / n, float(hi) / n


def calibration_table(per_row: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Rejection rates per test (token-level units: the first token of each study; k-level
    units kept apart), each with the binomial band of a test at ``alpha`` over as many
    studies, and whether the claim rule's rate is at most the band's top (a rule may be
    conservative; it must not reject more often than α allows)."""
    d = decisions(per_row, alpha)
    d = d.assign(unit=d.unit.map(lambda u: "token" if str(u).startswith("token") else u))
    d = d.drop_duplicates(["study", "test_id", "unit"])  # one token per study: studies are independent draws
    out = []
    for (finding, test_id, unit), g in d.groupby(["finding", "test_id", "unit"], sort=False):
        n = g.study.nunique()
        lo, hi = binomial_band(n, alpha)
        row = {"finding": finding, "test_id": test_id, "unit": unit, "test": g.test.iloc[0], "n_studies": n,
               "n_rows": len(g), "own_rate": g.own.mean(), "vs_untrained_rate": g.vs_untrained.astype(float).mean(),
               "claim_rate": g.claim.astype(float).mean(), "baseline_only_rate": g.baseline_only.astype(float).mean(),
               "band_low": lo, "band_high": hi}
        row["claim_at_or_below_alpha"] = bool(row["claim_rate"] <= hi) if g.claim.notna().any() else None
        out.append(row)
    return pd.DataFrame(out)


def _study_job(i, template, data_dir, cache_dir, fcfg, n_seeds, findings, part_path) -> str:
    """Study ``i`` (cached in ``part_path``: a killed calibration resumes where it stopped)."""
    part = Path(part_path)
    if not part.exists():
        ds = prepare(template.data, data_dir, cache_dir=cache_dir)
        ex = heldout_examples(ds, template)
        base = 10**6 + 2 * n_seeds * i  # initialisation seeds no study shares, and none a trained model has
        rows = simulate_study(template, ex, len(ds.vocab), dataclasses.replace(fcfg, seed=i),
                              range(base, base + n_seeds), range(base + n_seeds, base + 2 * n_seeds), findings)
        io.write_text(part, rows.assign(study=i).to_csv(index=False))
    return str(part)


def calibrate(study, dataset: str, cell: str, n_studies: int, out_dir, data_dir=None, cache_dir=None,
              n_units: int = 2, client=None, progress: bool = False) -> pd.DataFrame:
    """``n_studies`` simulated studies on untrained networks of ``study``'s ``dataset`` ×
    ``cell`` architecture, with its analysis settings (``n_units`` tokens per token-level
    finding: two, since position independence is judged against another token's sets;
    :func:`calibration_table` counts the first of them). Each study is cached under
    ``out_dir/.calibration``; returns every row of every study with its decisions."""
    template = study.config(dataset, cell, study.seeds[0])
    fcfg = dataclasses.replace(study.analysis.findings_config(), n_units=n_units)
    findings = study.dataset_findings.get(dataset, study.analysis.findings)
    prepare(template.data, data_dir, cache_dir=cache_dir)  # built once, before any job
    key = hashlib.sha256(json.dumps({"run": template.hash(), "findings": dataclasses.asdict(fcfg), "names": findings,
                                     "seeds": len(study.seeds), "version": FINDINGS_VERSION},
                                    sort_keys=True).encode()).hexdigest()[:12]  # a changed input: other studies
    parts = Path(out_dir) / ".calibration" / f"{dataset}-{cell}-{key}"
    jobs = {i: (_study_job, (i, template, data_dir, cache_dir, fcfg, len(study.seeds), findings,
                             str(parts / f"study-{i:04d}.csv"))) for i in range(n_studies)}
    paths = dict(run_jobs(jobs, client, progress=progress, desc="calibration"))
    rows = pd.concat([pd.read_csv(paths[i]) for i in range(n_studies)], ignore_index=True)
    return decisions(rows.assign(dataset=dataset, cell=cell), study.analysis.alpha)
