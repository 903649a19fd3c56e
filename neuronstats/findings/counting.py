"""Finding 2 — counting neurons (one set per seed, from the hypothesis "steps remaining
T − t" over 0 ≤ t ≤ T−1): (probe) T − t is decodable beyond a permutation null;
(a) replacing the set at T−1 by its values at T−1−k moves w exactly k steps later, more
often than the same replacement on random sets; (b) the set's values change
monotonically from t = 0 to T−1 (mean |Spearman ρ| over examples and neurons, vs
random sets of the same size); (c) the drop at t = 0 grows with T (slope of the
oriented value at t = 0 against T, vs random sets). Not yet: (d) the rate of change
does not depend on T."""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

from neuronstats.findings.common import combined_row, one_set_per_seed
from neuronstats.stages.hypothesis import counting
from neuronstats.stats.controls import random_neuron_sets

PAPER = {"lyrics": {1: 0.999, 2: 0.999, 3: 0.993}, "gutenberg": {1: 0.995, 2: 0.993, 3: 0.989}}


def monotonicity(rec, examples, min_T: int = 3) -> np.ndarray:
    """(m, H) Spearman ρ between t and h_t[j] over 0 ≤ t ≤ T−1, per example with T ≥ min_T."""
    T = rec.T[examples, 0]
    ex = examples[T >= min_T]
    out = np.full((len(ex), rec.dec_h.shape[2]), np.nan)
    for i, e in enumerate(ex):
        ts = np.arange(0, rec.T[e, 0])
        V = rec.at(np.full(len(ts), e), ts)  # (len(ts), H)
        r_t = rankdata(ts)
        r_v = np.apply_along_axis(rankdata, 0, V)
        r_t, r_v = r_t - r_t.mean(), r_v - r_v.mean(0)
        den = np.sqrt((r_t**2).sum() * (r_v**2).sum(0))
        out[i] = np.where(den > 0, (r_t[:, None] * r_v).sum(0) / np.where(den > 0, den, 1), 0.0)
    return out


def drop_slope(rec, examples, neurons_sets, rho) -> np.ndarray:
    """For each neuron set: the least-squares slope over examples of the set's mean
    *oriented* value at t = 0 against T (orientation: each neuron's sign of mean Spearman
    ρ(t, value), so that values rise towards T−1). Negative: a larger T starts lower."""
    sign = np.sign(np.nanmean(rho, 0))
    h0 = rec.at(examples, np.zeros(len(examples), int)) * sign
    T = rec.T[examples, 0].astype(float)
    Tc = T - T.mean()
    out = []
    for S in neurons_sets:
        v = h0[:, list(S)].mean(1)
        out.append(float((Tc * (v - v.mean())).sum() / max((Tc**2).sum(), 1e-12)))
    return np.array(out)


def counting_rows(ctx, ks=(1, 2, 3)) -> list[dict]:
    kw = ctx.combined_kw("counting")
    probe, probe_null, moved, per_seed = one_set_per_seed(ctx, counting(), ks)
    mono, mono_null, drop, drop_null = [], [], [], []
    for s, (ns, idx) in enumerate(per_seed):
        signed = monotonicity(ctx.recs[s], idx)
        rho = np.abs(signed)
        sets = random_neuron_sets(ctx.hidden, len(ns.neurons), ctx.cfg.n_sets, exclude=ns.neurons,
                                  seed=ctx.cfg.seed + s)
        mono.append(rho[:, ns.neurons].mean(1))
        mono_null.append(np.array([rho[:, row].mean() for row in sets]))
        slopes = drop_slope(ctx.recs[s], idx, [ns.neurons] + list(sets), signed)
        drop.append(slopes[0])
        drop_null.append(slopes[1:])
    rows = [combined_row(**kw, test="probe: steps remaining T - t, h_t for 0<=t<=T-1", unit="all tokens",
                         statistic="held-out balanced accuracy", per_seed_values=probe, per_seed_null=probe_null,
                         notes="one counting set per seed over all tokens; ridge probe, CV grouped by example")]
    for k in ks:
        rows.append(combined_row(**kw, test="value from t-k at T-1: w exactly k steps later", unit=f"k = {k}",
                                 statistic="share moved by k", per_seed_values=moved[k][0],
                                 per_seed_null=moved[k][1], paper_value=PAPER.get(ctx.dataset, {}).get(k),
                                 notes="null: the same replacement on random sets of the same size"))
    rows.append(combined_row(**kw, test="drop at t=0 grows with T", unit="all tokens",
                             statistic="slope of oriented value at t=0 vs T", per_seed_values=drop,
                             per_seed_null=drop_null, alternative="less", bounds=None, effect="g",
                             notes="orientation: sign of each neuron's mean Spearman rho(t, value); "
                                   "null: random sets of the same size"))
    rows.append(combined_row(**kw, test="monotone from t=0 to T-1", unit="all tokens",
                             statistic="mean |Spearman rho| (t, value)", per_seed_values=mono,
                             per_seed_null=mono_null, effect="pp",
                             notes="examples with T >= 3; null: random sets of the same size"))
    return rows
