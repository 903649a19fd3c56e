"""Recordings with known (planted) neurons, built directly: every state is written by
hand, so the findings' statistics can be checked against a ground truth."""

from __future__ import annotations

import numpy as np

from neuronstats.microscope.record import Recording


def planted_recording(n=300, H=40, L=10, S=10, seed=0, counters=(0, 1, 2, 3, 4), rate="constant",
                      storers=(), tokens=(5, 6, 7), noise=1.0) -> Recording:
    """States are N(0, noise²) except:
    * ``counters``: value 0.1·(t − T) for 0 ≤ t ≤ T (``rate="constant"``: the same rate for
      every T), or (t − T)/T (``rate="by_T"``: the rate 1/T depends on T);
    * ``storers``: a constant per token (token index + 1) for every t, no noise.
    Every example is correctly positioned (outputs[T−1] = w)."""
    rng = np.random.default_rng(seed)
    T = rng.integers(3, 9, n)
    w = rng.choice(tokens, n)
    enc = rng.normal(0, noise, (n, L, H)).astype(np.float32)
    dec = rng.normal(0, noise, (n, S, H)).astype(np.float32)
    for i in range(n):
        for t in range(-L + 1, S + 1):
            cell = (enc, i, L - 1 + t) if t <= 0 else (dec, i, t - 1)
            arr = cell[0]
            if 0 <= t <= T[i]:
                val = 0.1 * (t - T[i]) if rate == "constant" else (t - T[i]) / T[i]
                arr[cell[1], cell[2], list(counters)] = val
            if storers:
                arr[cell[1], cell[2], list(storers)] = tokens.index(w[i]) + 1
    outputs = np.full((n, S), 3, dtype=np.int64)
    outputs[np.arange(n), T - 1] = w
    return Recording("greedy", "gru", enc, dec, {}, outputs, np.ones((n, 1), np.float32), w[:, None], T[:, None],
                     np.full(n, L))
