"""Batched greedy decoding and token-positioning accuracy."""

from __future__ import annotations

import numpy as np
import torch

from neuronstats.examples import Examples


@torch.no_grad()
def greedy_decode(model, ex: Examples, n_steps: int | None = None, batch_size: int = 1000,
                  sos_id: int | None = None, device="cpu") -> np.ndarray:
    """Greedy outputs (n, n_steps); ``n_steps`` defaults to max(T) (all a positioning
    test needs). No early stop at ``<eos>``: steps after it are still decoded."""
    model.eval()
    n_steps = int(ex.T.max()) if n_steps is None else n_steps
    out = np.zeros((len(ex), n_steps), dtype=np.int64)
    for a in range(0, len(ex), batch_size):
        src = torch.as_tensor(ex.src[a : a + batch_size], device=device)
        ln = torch.as_tensor(ex.src_len[a : a + batch_size])
        state = model.encode(src, ln)
        tok = torch.full((len(src),), model.sos_id if sos_id is None else sos_id, dtype=torch.long, device=device)
        for t in range(n_steps):
            state, logits = model.decoder_step_fast(tok, state)
            tok = logits.argmax(-1)
            out[a : a + len(src), t] = tok.cpu().numpy()
    return out


def positioned(outputs: np.ndarray, ex: Examples) -> np.ndarray:
    """Boolean (n, k): is w_j at 1-based position T_j of the output?"""
    rows = np.arange(len(ex))[:, None]
    return outputs[rows, ex.T - 1] == ex.w


def positioning_accuracy(model, ex: Examples, device="cpu") -> dict:
    """Share of examples with every w at its T (``all``) and share of (w, T) pairs (``per_token``)."""
    hit = positioned(greedy_decode(model, ex, device=device), ex)
    return {"accuracy": float(hit.all(1).mean()), "per_token": float(hit.mean()), "n": len(ex)}
