"""Finding 2 — counting neurons (one set per seed, from the hypothesis "steps remaining
T − t" over 0 ≤ t ≤ T−1): (probe) T − t is decodable beyond a permutation null;
(a) replacing the set at T−1 by its values at T−1−k moves w exactly k steps later, more
often than the same replacement on random sets; (b) the set's values change
monotonically from t = 0 to T−1 (mean |Spearman ρ| over examples and neurons, vs
random sets of the same size); (c) the drop at t = 0 grows with T (slope of the
oriented value at t = 0 against T, vs random sets); (d) the rate of change does not
depend on T: per example, the slope of the set's oriented mean value over 0 ≤ t ≤ T−1;
per seed, the slope of that rate against T relative to the mean rate; equivalence to 0
within ± the analysis margin (TOST over seeds) — the test of the t × T interaction.
For LSTMs the probe is repeated on the cell state c. Fig. 3 data: seed 0's mean oriented
set value against t for each T, with 95 % t-intervals over examples."""

from __future__ import annotations

import numpy as np
from scipy import stats
from scipy.stats import rankdata

from neuronstats.findings.common import (
    cell_state_probe_tests,
    combined_test,
    one_set_per_seed,
    oriented_set_values,
    probe_second,
    selectivity_test,
)
from neuronstats.findings.result import FindingResult
from neuronstats.findings.spec import Figure, Finding
from neuronstats.stages.hypothesis import counting
from neuronstats.stats.bootstrap import multi_bootstrap
from neuronstats.stats.controls import control_sets
from neuronstats.stats.effects import tost
from neuronstats.stats.row import stats_row


def monotonicity(rec, examples, min_T: int = 3) -> np.ndarray:
    """(m, H) Spearman ρ between t and h_t[j] over 0 ≤ t ≤ T−1, per example with T ≥ min_T."""
    T = rec.T[examples, 0]
    ex = examples[T >= min_T]
    out = np.full((len(ex), rec.dec_h.shape[2]), np.nan)
    for i, e in enumerate(ex):
        ts = np.arange(0, rec.T[e, 0])
        V = rec.at(np.full(len(ts), e), ts)  # (len(ts), H)
        r_t = rankdata(ts)
        r_v = rankdata(V, axis=0)
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


def rate_vs_T(rec, examples, neurons, rho, min_T: int = 3) -> tuple[float, int]:
    """The interaction of t and T for one counting set: per example with T ≥ ``min_T``,
    the least-squares slope of the set's oriented mean value over 0 ≤ t ≤ T−1 (its rate of
    change per step); returns (slope of rate against T / mean rate, number of examples).
    0: the rate does not depend on T."""
    sign = np.sign(np.nanmean(rho, 0))
    ex = examples[rec.T[examples, 0] >= min_T]
    if len(ex) < 3 or len(np.unique(rec.T[ex, 0])) < 2:
        return float("nan"), len(ex)
    rates = []
    for v in oriented_set_values(rec, ex, list(neurons), sign):
        t = np.arange(len(v)) - (len(v) - 1) / 2
        rates.append((t * v).sum() / (t**2).sum())
    rates, T = np.array(rates), rec.T[ex, 0].astype(float)
    b = np.polyfit(T, rates, 1)[0]
    return float(b / abs(rates.mean())) if rates.mean() != 0 else float("nan"), len(ex)


def curves_by_T(rec, examples, neurons, rho, min_examples: int = 10) -> dict:
    """Fig. 3 data: for each T with ≥ ``min_examples`` examples, the mean oriented set
    value at t = 0..T−1 and its 95 % t-interval over examples."""
    sign = np.sign(np.nanmean(rho, 0))
    out = {}
    for T in np.unique(rec.T[examples, 0]):
        ex = examples[rec.T[examples, 0] == T]
        if len(ex) < min_examples:
            continue
        V = np.array(oriented_set_values(rec, ex, list(neurons), sign))  # (m, T)
        m, se = V.mean(0), V.std(0, ddof=1) / np.sqrt(len(ex))
        q = stats.t.ppf(0.975, len(ex) - 1)
        out[str(int(T))] = {"t": list(range(int(T))), "mean": m.tolist(), "low": (m - q * se).tolist(),
                            "high": (m + q * se).tolist(), "n": int(len(ex))}
    return out


def counting_finding(ctx, ks=(1, 2, 3)) -> FindingResult:
    kw = ctx.combined_kw("counting")
    probe, probe_null, moved, per_seed = one_set_per_seed(ctx, counting(), ks)
    mono, mono_null, drop, drop_null, rate, n_rate, mono_idx, mono_ctl = [], [], [], [], [], [], [], []
    figures = {}
    for s, (ns, idx) in enumerate(per_seed):
        signed = monotonicity(ctx.recs[s], idx)
        rho = np.abs(signed)
        sets = control_sets(ctx.hidden, ns.neurons, ctx.cfg.n_sets, seed=ctx.cfg.seed + s)
        mono.append(rho[:, ns.neurons].mean(1))
        mono_null.append(np.array([rho[:, row].mean() for row in sets]))
        mono_idx.append(idx[ctx.recs[s].T[idx, 0] >= 3])
        mono_ctl.append(np.mean([rho[:, row].mean(1) for row in sets], axis=0))
        slopes = drop_slope(ctx.recs[s], idx, [ns.neurons] + list(sets), signed)
        drop.append(slopes[0])
        drop_null.append(slopes[1:])
        r, n = rate_vs_T(ctx.recs[s], idx, ns.neurons, signed)
        if np.isfinite(r):
            rate.append(r)
            n_rate.append(n)
        if s == 0:
            figures["counting_curves"] = curves_by_T(ctx.recs[0], idx, ns.neurons, signed)
    tests = [combined_test(**kw, test="probe: steps remaining T - t, h_t for 0<=t<=T-1", test_id="counting.probe",
                           unit="all tokens",
                           statistic="held-out balanced accuracy", per_seed_values=probe, per_seed_null=probe_null,
                           second=probe_second([ns for ns, _ in per_seed]),
                           n_examples=sum(ns.stage1["n_examples"] for ns, _ in per_seed),
                           notes="one counting set per seed over all tokens; ridge probe, CV grouped by example; null: "
                                 + per_seed[0][0].stage1.get("null_kind", ""))]
    tests.append(selectivity_test(kw, "counting", "all tokens", [ns for ns, _ in per_seed]))
    tests += cell_state_probe_tests(ctx, counting(), kw, "probe: steps remaining T - t, h_t for 0<=t<=T-1",
                                    "counting.probe_c", "all tokens")
    for k in ks:
        tests.append(combined_test(**kw, test="value from t-k at T-1: w exactly k steps later",
                                   test_id="counting.shift", unit=f"k = {k}", statistic="share moved by k",
                                   per_seed_values=moved[k][0], per_seed_null=moved[k][1], index=moved[k][2],
                                   index_control=moved[k][3],
                                   notes="null: the same replacement on random sets of the same size"))
    tests.append(combined_test(**kw, test="drop at t=0 grows with T", test_id="counting.drop_vs_T", unit="all tokens",
                               statistic="slope of oriented value at t=0 vs T", per_seed_values=drop,
                               per_seed_null=drop_null, alternative="less", bounds=None, effect="g",
                               notes="orientation: sign of each neuron's mean Spearman rho(t, value); "
                                     "null: random sets of the same size"))
    tests.append(combined_test(**kw, test="monotone from t=0 to T-1", test_id="counting.monotone", unit="all tokens",
                               statistic="mean |Spearman rho| (t, value)", per_seed_values=mono,
                               per_seed_null=mono_null, effect="pp", index=mono_idx, index_control=mono_ctl,
                               notes="examples with T >= 3; null: random sets of the same size"))
    if len(rate) >= 2:
        t = tost(np.array(rate), low=-ctx.cfg.margin, high=ctx.cfg.margin)
        ci = multi_bootstrap([[r] for r in rate], method=ctx.cfg.ci_method)
        tests.append(stats_row(**ctx.row_kw("counting"), test="rate of change independent of T (TOST)",
                               test_id="counting.rate_vs_T", unit="all tokens",
                               statistic="slope of per-example rate vs T / mean rate",
                               estimate=t.estimate, ci_low=ci.ci_low, ci_high=ci.ci_high, p_value=t.p_value,
                               alternative="equivalence",
                               n_seeds=len(rate), n_examples=int(sum(n_rate)),
                               effect_size=100 * t.estimate, effect_size_kind="% change of rate per unit T",
                               notes=f"t x T interaction (margin: a 10 % change of the rate per unit T doubles it "
                                     f"across the paper's T = 1..13, no longer 'mostly constant'); "
                                     f"equivalence within +-{100 * ctx.cfg.margin:.0f} % of the "
                                     f"mean rate per unit T (TOST over seeds); examples with T >= 3"))
    return FindingResult("counting", tests, figures)

FINDING = Finding(
    name="counting", verb="counting", run=counting_finding,
    summary="Finding 2: a set of neurons counts the steps left to T",
    hypotheses=("counting",),
    verifications=("replace the set at T-1 by its value at T-1-k",),
    tests=("counting.probe", "counting.probe_c", "counting.selectivity", "counting.shift", "counting.drop_vs_T",
           "counting.monotone", "counting.rate_vs_T"),
    claims=("counting-k1-gutenberg", "counting-k1-lyrics", "counting-k2-gutenberg", "counting-k2-lyrics",
            "counting-k3-gutenberg", "counting-k3-lyrics", "counting-drop-grows-with-T", "counting-monotone",
            "counting-constant-rate"),
    figures=(Figure("fig3_counting", "counting_curves", "Fig. 3, counting neurons",
                    "The counting set's mean oriented value against t, one line per target position T, with 95 % "
                    "bands over examples. Look for lines that move steadily from t = 0 and reach the same level "
                    "at t = T−1 whatever T is (the set counts the steps left to T); lines that overlap or stay "
                    "flat mean it does not.",
                    "neuronstats.report.figures:counting_curves_figure"),),
)
