"""§5 — how triggering neurons open the gates (GRU). At decoder step T the gates read
h_{T−1}. Keeping only the triggering set in h_{T−1} (the rest zeroed) should give a low
update gate z on the token's outputting neurons (so they take the new candidate) and a
high reset gate r on its storing neurons (so stored information reaches the candidate),
compared with keeping only random sets of the same size. Per token, per seed:
statistic = mean gate value over the token's correctly positioned examples and the
target neurons; null = the same with random kept sets (drawn from all neurons).
The values with all neurons kept are rows of their own (descriptive, seed CI): with the
two tested rows they are the three bars of the paper's Fig. 5."""

from __future__ import annotations

import numpy as np
import torch

from neuronstats.errors import InsufficientData
from neuronstats.findings.common import combined_test, each_unit, units
from neuronstats.findings.result import FindingResult
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


def gates_finding(ctx, tokens=None) -> FindingResult:
    if ctx.cell != "gru":
        raise InsufficientData("the §5 gate analysis is defined for GRU update/reset gates")
    kw = ctx.combined_kw("gates")
    tokens, note = units(ctx, tokens)
    trig = [find(m, ctx.selection_rec(s), triggering(), n_perm=ctx.cfg.n_perm, seed=ctx.cfg.seed + s).neurons
            for s, m in enumerate(ctx.models)]
    tests = []
    for tok in each_unit(ctx, "gates", tokens):
        z_obs, z_null, r_obs, r_null, z_all, r_all = [], [], [], [], [], []
        for s, (model, rec) in enumerate(zip(ctx.models, ctx.recs)):
            out_set = outputting_set(model, ctx.selection_rec(s), tok)
            store_set = find(model, ctx.selection_rec(s), storing(tok), n_perm=ctx.cfg.n_perm,
                             seed=ctx.cfg.seed + s).neurons
            idx = ctx.correct_subset(s, rec.w[:, 0] == tok)
            T = rec.T[idx, 0]
            h_prev = rec.at(idx, T - 1)
            tok_in = np.where(T == 1, model.sos_id, rec.outputs[idx, np.maximum(T - 2, 0)])  # input of step T
            sets = control_sets(ctx.hidden, trig[s], ctx.cfg.n_sets, seed=ctx.cfg.seed + s)
            z, r = gru_gates(model, h_prev, tok_in, [trig[s], range(ctx.hidden)] + list(sets))
            zo, ro = z[:, :, out_set].mean(2), r[:, :, store_set].mean(2)  # (n_sets + 2, n)
            z_obs.append(zo[0])
            r_obs.append(ro[0])
            z_all.append(zo[1])
            r_all.append(ro[1])
            z_null.append(zo[2:].mean(1))
            r_null.append(ro[2:].mean(1))
        unit = ctx.unit_name(tok)
        tests.append(combined_test(**kw, test="keep only triggering in h_(T-1): z on outputting neurons",
                                   test_id="gates.z_keep_trigger", unit=unit,
                                   statistic="mean z", per_seed_values=z_obs, per_seed_null=z_null, alternative="less",
                                   notes=f"{note}; null: keeping only random sets; paper value: token 'i'"))
        tests.append(combined_test(**kw, test="keep only triggering in h_(T-1): r on storing neurons",
                                   test_id="gates.r_keep_trigger", unit=unit,
                                   statistic="mean r", per_seed_values=r_obs, per_seed_null=r_null,
                                   alternative="greater",
                                   notes="null: keeping only random sets; paper value: token 'i'"))
        for gate, vals, target in (("z", z_all, "outputting"), ("r", r_all, "storing")):
            tests.append(combined_test(**kw, test=f"all neurons kept in h_(T-1): {gate} on {target} neurons",
                                       test_id=f"gates.{gate}_all", unit=unit,
                                       statistic=f"mean {gate}", per_seed_values=vals,
                                       notes="descriptive: the unmasked reference of the two tests above"))
    return FindingResult("gates", tests)
