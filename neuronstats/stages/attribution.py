"""Stage 2 — filter: integrated gradients of F = P(w at step T) with respect to h_t.

F is computed by running the decoder forward from h_t for T − t steps, feeding the
tokens of the example's clean greedy run (so F is a differentiable function of h_t
alone; for an LSTM the cell state c_t is held at its clean value). The function is
wrapped as a plain function of a tensor for captum's ``IntegratedGradients`` (captum's
layer attributions fail on a GRU layer used at every step, captum #1236).

Completeness is checked: attributions must sum to F(h_t) − F(baseline) within
``max_rel_delta`` (relative, median over examples); otherwise the result is refused
(raise ``n_steps``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from captum.attr import IntegratedGradients

from neuronstats.errors import InsufficientData
from neuronstats.microscope.record import resolve_step


@dataclass
class Stage2:
    mean_abs_attribution: np.ndarray = field(repr=False)  # (H,) over examples
    kept: np.ndarray  # candidate neurons that survive the filter
    median_rel_delta: float
    n_examples: int
    n_steps: int
    baseline: str


def _forward(model):
    def f(h, tokens, w, c=None):
        state = (h,) if c is None else (h, c)
        if tokens.shape[1] == 0:
            logits = model.out(h)
        for j in range(tokens.shape[1]):
            state, _, logits = model.step(tokens[:, j], state)
        return torch.softmax(logits, -1).gather(1, w[:, None])[:, 0]

    return f


def integrated_gradients(model, rec, examples=None, step="T-1", n_steps: int = 50, baseline: str = "zeros",
                         chunk: int = 500):
    """(attributions (m, H), F(x) (m,), F(baseline) (m,), delta (m,)) for examples whose
    ``step`` lies in 0..T. ``baseline``: "zeros" or "mean" (mean state at that step)."""
    model.eval()
    idx = np.arange(rec.n) if examples is None else np.asarray(examples)
    T = rec.T[idx, 0]
    t = resolve_step(step, T)
    ok = (t >= 0) & (t <= T)
    idx, T, t = idx[ok], T[ok], t[ok]
    H = rec.dec_h.shape[2]
    attrs, fx, fb, deltas = (np.zeros((len(idx), H), np.float32), np.zeros(len(idx)), np.zeros(len(idx)),
                             np.zeros(len(idx)))
    f = _forward(model)
    ig = IntegratedGradients(f)
    lstm = "c" in model.state_names  # the cell state is held at its recorded value
    for k in np.unique(T - t):
        sel = np.flatnonzero(T - t == k)
        for a in range(0, len(sel), chunk):
            part = sel[a : a + chunk]
            ex, tt = idx[part], t[part]
            h = torch.as_tensor(rec.at(ex, tt, "h"))
            c = torch.as_tensor(rec.at(ex, tt, "c")) if lstm else None
            toks = np.empty((len(ex), k), dtype=np.int64)
            for j in range(k):  # input of step s = tt + 1 + j is the clean output of step s - 1
                s_in = tt + j  # output step feeding step tt + 1 + j
                toks[:, j] = np.where(s_in == 0, model.sos_id, rec.outputs[ex, np.maximum(s_in - 1, 0)])
            toks = torch.as_tensor(toks)
            w = torch.as_tensor(rec.w[ex, 0])
            base = torch.zeros_like(h) if baseline == "zeros" else h.mean(0, keepdim=True).expand_as(h).clone()
            args = (toks, w) if c is None else (toks, w, c)
            att, delta = ig.attribute(h, baselines=base, additional_forward_args=args, n_steps=n_steps,
                                      return_convergence_delta=True)
            with torch.no_grad():
                fx[part], fb[part] = f(h, *args).numpy(), f(base, *args).numpy()
            attrs[part] = att.detach().numpy()
            deltas[part] = delta.detach().numpy()
    return attrs, fx, fb, deltas, idx


def stage2(model, rec, candidates, examples=None, step="T-1", keep: float = 0.5, n_steps: int = 50,
           baseline: str = "zeros", max_rel_delta: float = 0.05) -> Stage2:
    """Keep the ``keep`` fraction of ``candidates`` with the largest mean |attribution|."""
    attrs, fx, fb, delta, idx = integrated_gradients(model, rec, examples, step, n_steps, baseline)
    if len(idx) == 0:
        raise InsufficientData(f"no example has step {step!r} within 0..T")
    rel = np.abs(delta) / np.maximum(np.abs(fx - fb), 1e-6)
    med = float(np.median(rel))
    if med > max_rel_delta:
        raise InsufficientData(f"integrated gradients did not converge (median relative delta {med:.3f} > "
                         f"{max_rel_delta}); raise n_steps")
    score = np.abs(attrs).mean(0)
    candidates = np.asarray(candidates)
    n_keep = max(1, int(round(keep * len(candidates))))
    kept = np.sort(candidates[np.argsort(-score[candidates], kind="stable")[:n_keep]])
    return Stage2(score, kept, med, len(idx), n_steps, baseline)
