"""How much of each lyrics fine-tune's counting set is its Gutenberg parent's set, per seed,
and whether what is not shared was changed by the fine-tuning or only by the examples.

    python analyses/lyrics_overlap.py analyses/replication.toml --data-dir ../shared/data \
        --out results/lyrics_overlap.csv
    python analyses/lyrics_overlap.py --calibrate 1000   # the test's size and power, simulated

For each seed: the counting set (stages 1-2, on the selection half of each model's own
test examples) of the Gutenberg GRU and of the lyrics GRU fine-tuned from it; the share of
the lyrics set that is in the parent's, against the share expected for a random set of the
same size (|S_parent| / H), and the same share for the other seeds' parents (sets of
different networks: what any two counting sets share). Per seed, the hypergeometric
p-value of the overlap under random sets of the same sizes (and Holm over the seeds);
across seeds, the mean share with its 95 % t CI and a one-sided t-test of the excess over
chance (:func:`overlap`).

The two sets are chosen on different examples (lyrics, Gutenberg), so a low share alone
does not say the fine-tuning changed the set. Two more sets per seed separate the two
(:func:`fine_tuning_vs_reselection`): the parent's set chosen on the lyrics examples the
child's was chosen on (same examples, other weights: what the fine-tuning changed), and the
parent's set chosen again on the other half of its own Gutenberg test examples (same
weights, new examples of the same corpus: how far the selection reproduces at all, the
ceiling of any share).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from neuronstats.data.cache import prepare  # noqa: E402
from neuronstats.findings.common import subset_recording  # noqa: E402
from neuronstats.findings.context import Context  # noqa: E402
from neuronstats.model.train import heldout_examples, load_trained, resolve_key, run_dir_for  # noqa: E402
from neuronstats.stages.hypothesis import counting  # noqa: E402
from neuronstats.stages.neuronset import find  # noqa: E402
from neuronstats.study import load_study  # noqa: E402


def load_models(study, ds: str, cell: str, data_dir, cache_dir) -> list:
    """The trained runs of one dataset and cell, one per seed (shipped store or cache)."""
    runs = []
    for s in study.seeds:
        cfg = study.config(ds, cell, s)
        runs.append(load_trained(run_dir_for(cfg, cache_dir, key=resolve_key(cfg, data_dir),
                                             store=study.models or None)))
    return runs


def counting_sets(study, runs: list, ds: str, cell: str, data_dir, cache_dir, halves=("selection",)) -> list:
    """Each run's counting set, chosen on dataset ``ds``'s held-out examples (read with the
    runs' vocabulary), once per entry of ``halves``: on the selection half the study chooses
    sets on (``"selection"``) or on the other half (``"other"``); one list of sets per half,
    from one recording of each run."""
    tmpl = study.datasets[ds] if ds in study.datasets else study.parents[ds]
    data = prepare(tmpl.data, data_dir, cache_dir=cache_dir,
                   vocab=runs[0].vocab if ds in study.dataset_init else None)
    ctx = Context(ds, cell, [r.model for r in runs], heldout_examples(data, tmpl), study.analysis.findings_config())
    other = np.flatnonzero(ctx.test_mask)
    # n_perm = 0: the same sets as the study's (stage 1's probe test does not choose them), faster
    return [[np.asarray(find(m, ctx.selection_rec(s) if half == "selection" else subset_recording(ctx.recs[s], other),
                             counting(), n_perm=0, seed=ctx.cfg.seed + s).neurons) for s, m in enumerate(ctx.models)]
            for half in halves]


def _share(c, p) -> float:
    """The share of set ``c`` that is in set ``p``."""
    return len(set(c) & set(p)) / max(len(c), 1)


def overlap(child: list, parents: list, hidden: int) -> pd.DataFrame:
    """One row per seed: the share of the child's set in its parent's, in the other seeds'
    parents (sets of unrelated networks: what chance alone gives), the share a random set
    of the child's size would have (|S_parent| / H), and ``p_hypergeom``, the one-sided
    hypergeometric p-value of the overlap under random sets. Then one row ``seed = "all"``:
    the seeds' mean share in the parent with its 95 % t CI over seeds, and ``p_t``, the
    one-sided one-sample t-test of (share in parent − chance) > 0 across seeds."""
    rows = []
    for s, c in enumerate(child):
        others = [_share(c, p) for t, p in enumerate(parents) if t != s]
        k = len(set(c) & set(parents[s]))
        rows.append({"seed": s, "lyrics_set": len(c), "parent_set": len(parents[s]),
                     "share_in_parent": _share(c, parents[s]), "share_in_other_parents": float(np.mean(others))
                     if others else np.nan, "chance": len(parents[s]) / hidden,
                     "p_hypergeom": float(stats.hypergeom.sf(k - 1, hidden, len(parents[s]), len(c)))})
    t = pd.DataFrame(rows)
    n, mean = len(t), t.share_in_parent.mean()
    half = stats.t.ppf(0.975, n - 1) * t.share_in_parent.std(ddof=1) / np.sqrt(n) if n > 1 else np.nan
    p_t = stats.ttest_1samp(t.share_in_parent - t.chance, 0.0, alternative="greater").pvalue if n > 1 else np.nan
    summary = {"seed": "all", "lyrics_set": t.lyrics_set.mean(), "parent_set": t.parent_set.mean(),
               "share_in_parent": mean, "share_in_other_parents": t.share_in_other_parents.mean(),
               "chance": t.chance.mean(), "ci_low": mean - half, "ci_high": mean + half, "p_t": float(p_t)}
    return pd.concat([t.assign(seed=t.seed.astype(object)), pd.DataFrame([summary])], ignore_index=True)


def fine_tuning_vs_reselection(child: list, parent_same_examples: list, parent: list,
                               parent_reselected: list) -> pd.DataFrame:
    """One row per seed: ``share_same_examples``, the share of the child's set in the
    parent's set chosen on the child's examples (what the fine-tuning kept), and
    ``share_reselected``, the share of the parent's set in the parent's set chosen again
    on other examples of its own corpus (what the selection reproduces: the ceiling of
    any share), and ``share_parent_across_corpora``, the share of the parent's set on the
    child's examples in its set on its own (same weights, other corpus). Then one row
    ``seed = "all"``: the means with 95 % t CIs over seeds, and
    ``p_paired``, the one-sided paired t-test that the fine-tuning kept less than the
    ceiling (share_reselected − share_same_examples > 0)."""
    t = pd.DataFrame({"seed": range(len(child)),
                      "share_same_examples": [_share(c, p) for c, p in zip(child, parent_same_examples)],
                      "share_reselected": [_share(a, b) for a, b in zip(parent, parent_reselected)],
                      "share_parent_across_corpora": [_share(a, b) for a, b in zip(parent_same_examples, parent)]})
    summary = {"seed": "all"}
    for col in ("share_same_examples", "share_reselected", "share_parent_across_corpora"):
        m, n = t[col].mean(), len(t)
        half = stats.t.ppf(0.975, n - 1) * t[col].std(ddof=1) / np.sqrt(n) if n > 1 else np.nan
        summary |= {col: m, f"{col}_ci_low": m - half, f"{col}_ci_high": m + half}
    summary["p_paired"] = (stats.ttest_rel(t.share_reselected, t.share_same_examples, alternative="greater").pvalue
                           if len(t) > 1 else np.nan)
    return pd.concat([t.assign(seed=t.seed.astype(object)), pd.DataFrame([summary])], ignore_index=True)


def rejection_rate(keep: int, studies: int, rng, seeds: int = 5, size: int = 26, hidden: int = 128) -> float:
    """Share of simulated studies (by default as in the study: 5 seeds, sets of 26 of 128
    neurons) whose across-seed test (:func:`overlap`'s ``p_t``) rejects at 5 % when each
    child keeps ``keep`` of its parent's neurons and draws the rest at random: the test's
    size at ``keep = 0``, its power above."""
    hits = 0
    for _ in range(studies):
        parents = [rng.choice(hidden, size, replace=False) for _ in range(seeds)]
        child = []
        for p in parents:
            kept = rng.choice(p, keep, replace=False)
            rest = rng.choice(np.setdiff1d(np.arange(hidden), kept), size - keep, replace=False)
            child.append(np.concatenate([kept, rest]))
        hits += overlap(child, parents, hidden).iloc[-1].p_t < 0.05
    return hits / studies


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("study", nargs="?", help="the study whose fine-tunes to read (not needed with --calibrate)")
    p.add_argument("--calibrate", type=int, metavar="STUDIES", help="instead: the across-seed test's rejection "
                   "rate on this many simulated studies each with 0, 3 and 5 inherited neurons of 26 (seed 1)")
    p.add_argument("--data-dir", default=str(ROOT.parent / "shared" / "data"))
    p.add_argument("--cache-dir", default=None)
    p.add_argument("--child", default="lyrics")
    p.add_argument("--cell", default="gru")
    p.add_argument("--out", default="results/lyrics_overlap.csv")
    a = p.parse_args(argv)
    if a.calibrate:
        rng = np.random.default_rng(1)
        for keep in (0, 3, 5):
            print(f"{keep} of 26 inherited: rejects {rejection_rate(keep, a.calibrate, rng):.1%} of "
                  f"{a.calibrate} studies")
        return 0
    if a.study is None:
        p.error("a study file is needed (or --calibrate)")
    study = load_study(a.study)
    parent = study.dataset_init[a.child]
    child_runs = load_models(study, a.child, a.cell, a.data_dir, a.cache_dir)
    parent_runs = load_models(study, parent, a.cell, a.data_dir, a.cache_dir)
    [kids] = counting_sets(study, child_runs, a.child, a.cell, a.data_dir, a.cache_dir)
    pars, pars_again = counting_sets(study, parent_runs, parent, a.cell, a.data_dir, a.cache_dir,
                                     halves=("selection", "other"))
    [pars_on_child] = counting_sets(study, parent_runs, a.child, a.cell, a.data_dir, a.cache_dir)
    hidden = study.datasets[a.child].model.hidden
    t = overlap(kids, pars, hidden)
    seeds = t.seed != "all"  # Holm over the seeds here, not in overlap(): statsmodels collects garbage per call
    t.loc[seeds, "p_hypergeom_holm"] = multipletests(t.p_hypergeom[seeds], method="holm")[1]
    t = t.merge(fine_tuning_vs_reselection(kids, pars_on_child, pars, pars_again),
                                          on="seed", how="left")
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    t.to_csv(a.out, index=False, float_format="%.4g")
    print(t.to_string(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
