"""§5 — how triggering neurons open the gates (GRU). At decoder step T the gates read
h_{T−1}. Keeping only the triggering set in h_{T−1} (the rest zeroed) should give a low
update gate z on the token's outputting neurons (so they take the new candidate) and a
high reset gate r on its storing neurons (so stored information reaches the candidate),
compared with keeping only random sets of the same size. Per token, per seed:
statistic = mean gate value over the token's correctly positioned examples and the
target neurons; null = the same with random kept sets (drawn from all neurons).
The values with all neurons kept are rows of their own (descriptive, seed CI; the paper's
0.067 and 0.860 for token "i" are these values, *before* masking). Masking the triggering
set (keeping its complement) should raise z on the outputting neurons (paper, "i": 0.067
→ 0.410) and lower r on the storing neurons (0.860 → 0.594), compared with masking random
sets of the same size. With the all-kept rows they are the bars of the paper's Fig. 5.
The gates are the model's own (with the input x_t and the biases), not the paper's
simplified GRU′ of Eq. 3."""

from __future__ import annotations

import numpy as np
import torch

from neuronstats.errors import InsufficientData
from neuronstats.findings.common import combined_test, each_unit, pooled_test, units
from neuronstats.findings.result import FindingResult
from neuronstats.findings.spec import Figure, Finding
from neuronstats.stages.hypothesis import storing, triggering
from neuronstats.stages.neuronset import find, outputting_set
from neuronstats.stats.controls import control_sets


@torch.no_grad()
def gru_gates(model, h_prev: np.ndarray, tokens_in: np.ndarray, keep_sets) -> tuple[np.ndarray, np.ndarray]:
    """z and r at one step for h_prev with only each set of ``keep_sets`` kept:
    arrays (n_sets, n, H)."""
    tokens = torch.as_tensor(tokens_in)
    h = torch.as_tensor(h_prev)
    zs, rs = [], []
    for keep in keep_sets:
        mask = torch.zeros(h.shape[1])
        mask[list(keep)] = 1.0
        g = model.gates_from(h * mask, tokens)  # the model's own step, not a re-derivation
        zs.append(g["z"].numpy())
        rs.append(g["r"].numpy())
    return np.stack(zs), np.stack(rs)


def complement(neurons, hidden: int) -> list:
    """Every neuron except ``neurons``: keeping it masks ``neurons``."""
    return sorted(set(range(hidden)) - {int(i) for i in neurons})


def gates_finding(ctx, tokens=None) -> FindingResult:
    if not {"z", "r"} <= set(ctx.models[0].gate_names):  # a cell with update and reset gates (GRU), trained or not
        raise InsufficientData("the §5 gate analysis is defined for a cell with update (z) and reset (r) gates")
    kw = ctx.combined_kw("gates")
    tokens, note = units(ctx, tokens)
    # only the sets are read here (the triggering and storing findings test their probes):
    # n_perm = 0 skips stage 1's probe test, the same sets
    trig = [find(m, ctx.selection_rec(s), triggering(), n_perm=0, seed=ctx.cfg.seed + s).neurons
            for s, m in enumerate(ctx.models)]
    tests = []
    pool = {"z": [], "r": []}  # per token: the keep-only rows' data, for the claims' pooled rows
    for tok in each_unit(ctx, "gates", tokens):
        z_obs, z_null, r_obs, r_null, z_all, r_all = [], [], [], [], [], []
        z_mask, z_mask_null, r_mask, r_mask_null, ids = [], [], [], [], []
        ctl = {k: [] for k in ("z", "r", "zm", "rm")}  # per seed: each example's mean over the random sets
        for s, (model, rec) in enumerate(zip(ctx.models, ctx.recs)):
            out_set = outputting_set(model, ctx.selection_rec(s), tok)
            store_set = find(model, ctx.selection_rec(s), storing(tok), n_perm=0, seed=ctx.cfg.seed + s).neurons
            idx = ctx.correct_subset(s, rec.w[:, 0] == tok)
            T = rec.T[idx, 0]
            h_prev = rec.at(idx, T - 1)
            tok_in = np.where(T == 1, model.sos_id, rec.outputs[idx, np.maximum(T - 2, 0)])  # input of step T
            sets = list(control_sets(ctx.hidden, trig[s], ctx.cfg.n_sets, seed=ctx.cfg.seed + s))
            n = len(sets)
            keep = ([trig[s], range(ctx.hidden), complement(trig[s], ctx.hidden)] + sets
                    + [complement(x, ctx.hidden) for x in sets])
            z, r = gru_gates(model, h_prev, tok_in, keep)
            zo, ro = z[:, :, out_set].mean(2), r[:, :, store_set].mean(2)  # (2 n_sets + 3, n)
            z_obs.append(zo[0])
            r_obs.append(ro[0])
            z_all.append(zo[1])
            r_all.append(ro[1])
            z_null.append(zo[3:3 + n].mean(1))
            r_null.append(ro[3:3 + n].mean(1))
            z_mask.append(zo[2])
            r_mask.append(ro[2])
            z_mask_null.append(zo[3 + n:].mean(1))
            r_mask_null.append(ro[3 + n:].mean(1))
            ids.append(idx)
            ctl["z"].append(zo[3:3 + n].mean(0))
            ctl["r"].append(ro[3:3 + n].mean(0))
            ctl["zm"].append(zo[3 + n:].mean(0))
            ctl["rm"].append(ro[3 + n:].mean(0))
        unit = ctx.unit_name(tok)
        pool["z"].append({"values": z_obs, "null": z_null, "index": ids, "index_control": ctl["z"]})
        pool["r"].append({"values": r_obs, "null": r_null, "index": ids, "index_control": ctl["r"]})
        tests.append(combined_test(**kw, test="keep only triggering in h_(T-1): z on outputting neurons",
                                   test_id="gates.z_keep_trigger", unit=unit,
                                   statistic="mean z", per_seed_values=z_obs, per_seed_null=z_null, alternative="less",
                                   index=ids, index_control=ctl["z"],
                                   notes=f"{note}; null: keeping only random sets; paper value: token 'i'"))
        tests.append(combined_test(**kw, test="keep only triggering in h_(T-1): r on storing neurons",
                                   test_id="gates.r_keep_trigger", unit=unit,
                                   statistic="mean r", per_seed_values=r_obs, per_seed_null=r_null,
                                   alternative="greater", index=ids, index_control=ctl["r"],
                                   notes="null: keeping only random sets; paper value: token 'i'"))
        for gate, target, vals, null, alt, paper in (
                ("z", "outputting", z_mask, z_mask_null, "greater", "0.067 -> 0.410"),
                ("r", "storing", r_mask, r_mask_null, "less", "0.860 -> 0.594")):
            tests.append(combined_test(**kw, test=f"triggering set masked in h_(T-1): {gate} on {target} neurons",
                                       test_id=f"gates.{gate}_masked_trigger", unit=unit, statistic=f"mean {gate}",
                                       per_seed_values=vals, per_seed_null=null, alternative=alt,
                                       index=ids, index_control=ctl[gate + "m"],
                                       notes="the triggering set zeroed, every other neuron kept; null: masking "
                                             f"random sets of the same size; paper value: token 'i' ({paper})"))
        for gate, vals, target in (("z", z_all, "outputting"), ("r", r_all, "storing")):
            tests.append(combined_test(**kw, test=f"all neurons kept in h_(T-1): {gate} on {target} neurons",
                                       test_id=f"gates.{gate}_all", unit=unit,
                                       statistic=f"mean {gate}", per_seed_values=vals, index=ids,
                                       notes="descriptive: the unmasked reference of the two tests above"))
    for gate, target, alt in (("z", "outputting", "less"), ("r", "storing", "greater")):
        row = pooled_test(**kw, test=f"keep only triggering in h_(T-1): {gate} on {target} neurons",
                          test_id=f"gates.{gate}_keep_trigger", statistic=f"mean {gate}", units_data=pool[gate],
                          alternative=alt, notes="the claim's one estimate (per-token rows are description); "
                                                 "null: keeping only random sets")
        if row is not None:
            tests.append(row)
    return FindingResult("gates", tests)

FINDING = Finding(
    name="gates", verb="gates", run=gates_finding, token_level=True, gates=("z", "r"),
    summary="§5: the triggering set drives the update gate of outputting and the reset gate of storing neurons",
    verifications=("keep only the triggering set", "mask the triggering set"),
    tests=("gates.z_keep_trigger", "gates.r_keep_trigger", "gates.z_masked_trigger", "gates.r_masked_trigger",
           "gates.z_all", "gates.r_all"),
    claims=("gates-z-keep-trigger", "gates-r-keep-trigger", "gates-z-masked", "gates-r-masked", "gates-z-clean",
            "gates-r-clean"),
    version=1,  # 1: pooled rows for the keep-only claims
    figures=(Figure("fig5_gates", "rows", "Fig. 5, gates",
                    "Per token, the update gate z on outputting neurons (left) and the reset gate r on storing "
                    "neurons (right) in h_(T−1): all neurons kept (grey), only the triggering set kept (blue, seed "
                    "CI), only random sets of the same size kept (orange), the paper's value for token 'i' (red "
                    "dashes). Look for blue bars apart from the orange ones: only then does the triggering set, "
                    "rather than any set of its size, drive the gates.",
                    "neuronstats.report.figures:gates_figure"),),
)
