"""Record every neuron (and gate) at every step, with the paper's time index.

``t = 0`` is the encoder state after reading ``<pT>`` (= the decoder's initial state
h_0, identical bridge); ``t = -1`` after reading w; earlier source tokens are more
negative. Decoder step ``t ≥ 1`` produces h_t, from which output token t is predicted.

Arrays (float32, or float16 with ``dtype=np.float16``):

* ``enc_h`` (n, L, H): column ``L - 1 + t`` holds h_t for t = −(L−1) … 0
  (right-aligned; NaN before an example's first token). LSTM: ``enc_c`` likewise.
* ``dec_h`` (n, S, H): column ``t - 1`` holds h_t for t = 1 … S. LSTM: ``dec_c``.
* ``gates[name]`` (n, S, H): GRU z, r, n; LSTM i, f, g, o (and c in ``dec_c``).
* ``outputs`` (n, S) tokens; ``p_w`` (n, S) probability of w (the first control token)
  at each step.

``mode="greedy"`` feeds back the model's own argmax tokens; ``mode="teacher"`` feeds
the reference tokens (teacher forcing). Both are needed; the result says which.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import numpy as np
import torch

from neuronstats.examples import Examples


@dataclass
class Recording:
    mode: str
    cell: str
    enc_h: np.ndarray
    dec_h: np.ndarray
    gates: dict
    outputs: np.ndarray
    p_w: np.ndarray
    w: np.ndarray
    T: np.ndarray
    src_len: np.ndarray
    enc_c: np.ndarray | None = None
    dec_c: np.ndarray | None = None
    meta: dict = field(default_factory=dict)
    correct_as: np.ndarray | None = None  # (n,) bool: overrides ``correct`` (the untrained baseline: all examples)

    @property
    def n(self) -> int:
        return len(self.T)

    @property
    def correct(self) -> np.ndarray:
        """(n,) bool: every w at its T in this recording's outputs (or ``correct_as``)."""
        if self.correct_as is not None:
            return self.correct_as
        S = self.outputs.shape[1]
        ok = self.T <= S
        T = np.minimum(self.T, S)
        return ok.all(1) & (self.outputs[np.arange(self.n)[:, None], T - 1] == self.w).all(1)

    def at(self, examples, times, which: str = "h") -> np.ndarray:
        """(m, H) state ``which`` ("h" or LSTM "c") of ``examples[j]`` at time ``times[j]``;
        NaN where an example has no state at that time."""
        examples = np.asarray(examples)
        times = np.broadcast_to(np.asarray(times), examples.shape)
        enc, dec = (self.enc_h, self.dec_h) if which == "h" else (self.enc_c, self.dec_c)
        if enc is None:
            raise ValueError("this recording has no cell state c (GRU)")
        L, S = enc.shape[1], dec.shape[1]
        out = np.full((len(examples), dec.shape[2]), np.nan, dtype=np.float32)
        e = (times <= 0) & (times > -L)
        d = (times >= 1) & (times <= S)
        out[e] = enc[examples[e], L - 1 + times[e]]
        out[d] = dec[examples[d], times[d] - 1]
        return out

    def h(self, t) -> np.ndarray:
        """(n, H) states at time t (an int, or an (n,) array of per-example times)."""
        return self.at(np.arange(self.n), np.broadcast_to(np.asarray(t), (self.n,)))

    def select(self, lo="-1", hi="T-1", k: int = 0, which: str = "h"):
        """All states ``which`` ("h", or LSTM "c") with lo ≤ t ≤ hi, where lo/hi are ints or
        strings like ``"T-1"`` (relative to each example's T for control pair k). Returns
        ``(X (m, H), example (m,), t (m,))``, ordered by example then t."""
        T = self.T[:, k]
        lo_t, hi_t = resolve_step(lo, T), resolve_step(hi, T)
        ex, ts = [], []
        S = self.dec_h.shape[1]
        first = -(self.src_len - 1)
        for i in range(self.n):
            a, b = max(lo_t[i], first[i]), min(hi_t[i], S)
            ex.append(np.full(max(0, b - a + 1), i))
            ts.append(np.arange(a, b + 1))
        ex, ts = np.concatenate(ex).astype(int), np.concatenate(ts).astype(int)
        return self.at(ex, ts, which), ex, ts


def recording_arrays(rec: Recording) -> dict:
    """A recording as named arrays (what :func:`neuronstats.io.save_recording` writes), its
    metadata as a JSON string under ``meta``."""
    arrays = {"enc_h": rec.enc_h, "dec_h": rec.dec_h, "outputs": rec.outputs, "p_w": rec.p_w, "w": rec.w,
              "T": rec.T, "src_len": rec.src_len, "correct": rec.correct}
    arrays.update({f"gate_{k}": v for k, v in rec.gates.items()})
    if rec.enc_c is not None:
        arrays.update(enc_c=rec.enc_c, dec_c=rec.dec_c)
    arrays["meta"] = np.array(json.dumps({"mode": rec.mode, "cell": rec.cell, **rec.meta,
                                          "time_index": "enc_h[:, L-1+t] for t<=0; dec_h[:, t-1] for t>=1"}))
    return arrays


def recording_from_arrays(z) -> Recording:
    """The inverse of :func:`recording_arrays` (``z``: a mapping of arrays, e.g. an open ``.npz``)."""
    files = list(z.keys()) if hasattr(z, "keys") else z.files
    meta = json.loads(str(z["meta"]))
    gates = {k[5:]: z[k] for k in files if k.startswith("gate_")}
    return Recording(meta.pop("mode"), meta.pop("cell"), z["enc_h"], z["dec_h"], gates, z["outputs"], z["p_w"],
                     z["w"], z["T"], z["src_len"], z["enc_c"] if "enc_c" in files else None,
                     z["dec_c"] if "dec_c" in files else None, meta)


_REL = re.compile(r"^\s*T\s*([+-]\s*\d+)?\s*$")


def resolve_step(spec, T: np.ndarray) -> np.ndarray:
    """Per-example decoder times of a step spec: an int (``3``) or a string relative to
    each example's target position (``"T"``, ``"T-1"``, ``"T+2"``)."""
    if isinstance(spec, (int, np.integer)):
        return np.full(len(T), int(spec))
    if isinstance(spec, str):
        s = spec.strip()
        if re.fullmatch(r"[+-]?\d+", s):
            return np.full(len(T), int(s))
        m = _REL.match(s)
        if m:
            return T + (int(m.group(1).replace(" ", "")) if m.group(1) else 0)
    raise ValueError(f"time {spec!r}: expected an int or 'T', 'T-k', 'T+k'")


@torch.no_grad()
def record(model, ex: Examples, mode: str = "greedy", n_steps: int | None = None, chunk: int = 1000,
           dtype=np.float32, sos_id: int | None = None) -> Recording:
    """Record encoder and decoder states, gates, outputs and P(w) for every example."""
    if mode not in ("greedy", "teacher"):
        raise ValueError("mode must be 'greedy' or 'teacher'")
    model.eval()
    n, L = len(ex), int(ex.src_len.max())
    S = int(ex.T.max()) if n_steps is None else n_steps
    if mode == "teacher" and S > ex.tgt.shape[1]:
        raise ValueError(f"teacher forcing can record at most {ex.tgt.shape[1]} steps")
    H, lstm = model.hidden, "c" in model.state_names  # a cell state beside h (LSTM)
    names = tuple(g for g in model.gate_names if g not in model.state_names)
    enc_h = np.full((n, L, H), np.nan, dtype=dtype)
    enc_c = np.full((n, L, H), np.nan, dtype=dtype) if lstm else None
    dec_h = np.empty((n, S, H), dtype=dtype)
    dec_c = np.empty((n, S, H), dtype=dtype) if lstm else None
    gates = {g: np.empty((n, S, H), dtype=dtype) for g in names}
    outputs = np.empty((n, S), dtype=np.int64)
    p_w = np.empty((n, S), dtype=np.float32)
    for a in range(0, n, chunk):
        sl = slice(a, min(a + chunk, n))
        src = torch.as_tensor(ex.src[sl])
        ln = ex.src_len[sl]
        allst = model.encode_all(src, torch.as_tensor(ln))
        rows = np.arange(sl.stop - sl.start)
        for j in range(L):  # right-align: source position p of length l sits at column L - l + p
            take = ln > j
            if not take.any():
                continue
            cols = L - ln[take] + j
            enc_h[a + rows[take], cols] = allst[0][take, j].numpy()
            if lstm:
                enc_c[a + rows[take], cols] = allst[1][take, j].numpy()
        last = torch.as_tensor(ln - 1)
        state = tuple(s[torch.arange(len(ln)), last] for s in allst)
        tok = torch.full((len(ln),), model.sos_id if sos_id is None else sos_id, dtype=torch.long)
        w0 = torch.as_tensor(ex.w[sl, 0])
        for t in range(S):
            state, g, logits = model.step(tok, state)
            dec_h[sl, t] = state[0].numpy()
            if lstm:
                dec_c[sl, t] = state[1].numpy()
            for name in names:
                gates[name][sl, t] = g[name].numpy()
            out = logits.argmax(-1)
            outputs[sl, t] = out.numpy()
            p_w[sl, t] = torch.softmax(logits, -1).gather(1, w0[:, None])[:, 0].numpy()
            tok = out if mode == "greedy" else torch.as_tensor(ex.tgt[sl, t])
    return Recording(mode, model.cell, enc_h, dec_h, gates, outputs, p_w, ex.w.copy(), ex.T.copy(),
                     ex.src_len.copy(), enc_c, dec_c, {"n_steps": S, "hidden": H})
