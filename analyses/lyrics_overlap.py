"""How much of each lyrics fine-tune's counting set is its Gutenberg parent's set, per seed.

    python analyses/lyrics_overlap.py analyses/replication.toml --data-dir ../shared/data \
        --out results/lyrics_overlap.csv

For each seed: the counting set (stages 1-2, on the selection half of each model's own
test examples) of the Gutenberg GRU and of the lyrics GRU fine-tuned from it; the share of
the lyrics set that is in the parent's, against the share expected for a random set of the
same size (|S_parent| / H), and the same share for the other seeds' parents (sets of
different networks: what any two counting sets share). A share near the parent's own and
well above the others' says the lyrics counting set is inherited from the fine-tuning.
Per seed, the hypergeometric p-value of the overlap under random sets of the same sizes;
across seeds, the mean share with its 95 % t CI and a one-sided t-test of the excess over
chance (:func:`overlap`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from neuronstats.data.cache import prepare  # noqa: E402
from neuronstats.findings.context import Context  # noqa: E402
from neuronstats.model.train import heldout_examples, load_trained, resolve_key, run_dir_for  # noqa: E402
from neuronstats.stages.hypothesis import counting  # noqa: E402
from neuronstats.stages.neuronset import find  # noqa: E402
from neuronstats.study import load_study  # noqa: E402


def counting_sets(study, ds: str, cell: str, data_dir, cache_dir) -> list[np.ndarray]:
    tmpl = study.datasets[ds] if ds in study.datasets else study.parents[ds]
    runs = []
    for s in study.seeds:
        cfg = study.config(ds, cell, s)
        runs.append(load_trained(run_dir_for(cfg, cache_dir, key=resolve_key(cfg, data_dir),
                                             store=study.models or None)))
    data = prepare(tmpl.data, data_dir, cache_dir=cache_dir,
                   vocab=runs[0].vocab if ds in study.dataset_init else None)
    ctx = Context(ds, cell, [r.model for r in runs], heldout_examples(data, tmpl), study.analysis.findings_config())
    # n_perm = 0: the same sets as the study's (stage 1's probe test does not choose them), faster
    return [np.asarray(find(m, ctx.selection_rec(s), counting(), n_perm=0, seed=ctx.cfg.seed + s).neurons)
            for s, m in enumerate(ctx.models)]


def overlap(child: list, parents: list, hidden: int) -> pd.DataFrame:
    """One row per seed: the share of the child's set in its parent's, in the other seeds'
    parents (sets of unrelated networks: what chance alone gives), the share a random set
    of the child's size would have (|S_parent| / H), and ``p_hypergeom``, the one-sided
    hypergeometric p-value of the overlap under random sets. Then one row ``seed = "all"``:
    the seeds' mean share in the parent with its 95 % t CI over seeds, and ``p_t``, the
    one-sided one-sample t-test of (share in parent − chance) > 0 across seeds."""
    rows = []

    def share(c, p) -> float:
        return len(set(c) & set(p)) / max(len(c), 1)

    for s, c in enumerate(child):
        others = [share(c, p) for t, p in enumerate(parents) if t != s]
        k = len(set(c) & set(parents[s]))
        rows.append({"seed": s, "lyrics_set": len(c), "parent_set": len(parents[s]),
                     "share_in_parent": share(c, parents[s]), "share_in_other_parents": float(np.mean(others))
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


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("study")
    p.add_argument("--data-dir", default=str(ROOT.parent / "shared" / "data"))
    p.add_argument("--cache-dir", default=None)
    p.add_argument("--child", default="lyrics")
    p.add_argument("--cell", default="gru")
    p.add_argument("--out", default="results/lyrics_overlap.csv")
    a = p.parse_args(argv)
    study = load_study(a.study)
    parent = study.dataset_init[a.child]
    kids = counting_sets(study, a.child, a.cell, a.data_dir, a.cache_dir)
    pars = counting_sets(study, parent, a.cell, a.data_dir, a.cache_dir)
    hidden = study.datasets[a.child].model.hidden
    t = overlap(kids, pars, hidden)
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    t.to_csv(a.out, index=False, float_format="%.4g")
    print(t.to_string(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
