"""Positioning: does the model put w at T?

H0: the output matches the control signals no more often than it matches another test
example's (w, T) — the chance that w lands at T anyway, given what the model writes.
Statistic: positioning accuracy, averaged over seeds (every seed is scored on the same
test examples). Null: the same statistic with (w, T) permuted across test examples
(one permutation shared by all seeds), ``n_null`` times; one-sided p. CI: seed-level.
"""

from __future__ import annotations

import numpy as np

from neuronstats.model.decode import greedy_decode
from neuronstats.stats.bootstrap import multi_bootstrap
from neuronstats.stats.effects import pp_difference
from neuronstats.stats.pvalues import null_pvalue
from neuronstats.stats.row import stats_row

PAPER = {("gutenberg", "gru"): 0.985, ("lyrics", "gru"): 0.981, ("gutenberg", "lstm"): 0.975,
         ("lyrics", "lstm"): 0.975}


def hits_per_seed(models, ex, device="cpu") -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Greedy outputs of each seed's model on the examples → (per-example all-w-at-T hits, outputs)."""
    hits, outs = [], []
    for m in models:
        out = greedy_decode(m, ex, device=device)
        outs.append(out)
        hits.append((out[np.arange(len(ex))[:, None], ex.T - 1] == ex.w).all(1).astype(float))
    return hits, outs


def shuffled_null(outs, ex, n_null: int, seed: int = 0) -> np.ndarray:
    """(n_null,) mean-over-seeds accuracy when example i is scored against (w, T) of π(i)."""
    rng = np.random.default_rng(seed)
    null = np.empty(n_null)
    rows = np.arange(len(ex))[:, None]
    for k in range(n_null):
        p = rng.permutation(len(ex))
        w, T = ex.w[p], ex.T[p]
        null[k] = np.mean([(o[rows, T - 1] == w).all(1).mean() for o in outs])
    return null


def positioning_rows(dataset: str, cell: str, models, ex, n_null: int = 1000, alpha: float = 0.05,
                     ci_method: str = "seed_t", seed: int = 0, device="cpu", store=None) -> list[dict]:
    """One row; ``store`` (a dict) receives the per-seed accuracies for GRU-vs-LSTM tests."""
    hits, outs = hits_per_seed(models, ex, device)
    ci = multi_bootstrap(hits, method=ci_method, shared_examples=True, seed=seed)
    null = shuffled_null(outs, ex, n_null, seed)
    p = float(null_pvalue(ci.estimate, null, "greater"))
    k = ex.w.shape[1]
    unit = "all examples" if k == 1 else f"{k} tokens"
    if store is not None:
        store[("positioning", "w at T vs shuffled (w, T)", unit)] = [float(h.mean()) for h in hits]
    return [stats_row(
        dataset=dataset, cell=cell, finding="positioning", test="w at T vs shuffled (w, T)",
        unit=unit, statistic="accuracy",
        estimate=ci.estimate, ci_low=max(0.0, ci.ci_low), ci_high=min(1.0, ci.ci_high), null_mean=float(null.mean()),
        null_ci_high=float(np.quantile(null, 0.95)), effect_size=pp_difference(ci.estimate, null.mean()),
        effect_size_kind="pp vs shuffled", p_value=p, alpha=alpha, n_seeds=len(models), n_examples=len(ex),
        n_null=n_null, paper_value=PAPER.get((dataset, cell)) if k == 1 else 0.952,
        notes=f"greedy decoding; CI {ci_method} over seeds; same test examples for every seed")]
