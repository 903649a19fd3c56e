"""A ground truth: a GRU encoder–decoder whose storing, counting and outputting neurons
are known because they were wired by hand.

The model does the paper's task (put ``w`` at position ``T``) with three planted
groups of neurons and a group of random background neurons that carry no mechanism:

* **storing** (``d`` units): the encoder overwrites them with a ±1 code of each word it
  reads and holds them on the position token, so after ``x… w <pT>`` they hold the
  code of ``w``; the decoder holds them (update gate z ≈ 1).
* **counting** (``n_positions + 1`` units, a shift register): the position token
  writes +1 into unit ``T`` and −1 elsewhere; each decoder step moves the +1 one unit
  down, so at h_t the +1 sits in unit ``T − t``.
* **outputting** (``d`` units): zero, except at the step where the +1 reaches unit 0
  (t = T), when the reset gate lets the storing code through; the output layer maps
  that code to ``w``'s logit.
* **background** (the rest): random GRU weights driven by the input embeddings (so
  they carry some information about every token read, ``w`` included) and read by the
  output layer with small random weights (they choose the other output tokens).

Nothing is trained: :func:`planted_model` returns the same model for the same seed,
with different background weights, codes and examples per seed. The stages must find
the planted sets (:func:`recovery`), and the findings' tests must reject.

Examples
--------
>>> from neuronstats.planted import planted_model
>>> p = planted_model(seed=0)
>>> p.model.cell, p.model.hidden, len(p.truth["storing"]), len(p.truth["counting"])
('gru', 40, 8, 7)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from neuronstats.wrap import examples_from, from_torch

BIG = 12.0  # gate pre-activations that saturate: sigmoid(±12) = 1 − 6e-6 / 6e-6
GAIN = 4.0  # tanh(4) = 0.9993: a ±1 value that survives copying


@dataclass
class Planted:
    """A planted model, its examples, and the truth: the indices of each planted group."""

    model: nn.Module
    examples: object
    truth: dict  # group name -> sorted list of neuron indices
    seed: int


def _codes(n: int, d: int, rng) -> np.ndarray:
    """``n`` distinct ±1 codes of length ``d`` (so any two codes' dot product is ≤ d − 2)."""
    if n > 2**d:
        raise ValueError(f"{n} words need codes longer than {d}")
    picks = rng.choice(2**d, n, replace=False)
    return np.array([[1.0 if (p >> k) & 1 else -1.0 for k in range(d)] for p in picks])


def planted_model(seed: int = 0, n_words: int = 30, n_positions: int = 6, code: int = 8, background: int = 17,
                  noise_dims: int = 8, n_examples: int = 600, readout: float = 3.0) -> Planted:
    """A hand-wired GRU encoder–decoder with known storing, counting and outputting neurons.

    Parameters
    ----------
    seed : background weights, word codes and examples.
    n_words, n_positions : the vocabulary's words and position tokens ``<p1>…<pN>``.
    code : storing (and outputting) units: the length of each word's ±1 code.
    background : random units that carry no mechanism.
    noise_dims : embedding dimensions with random values per word (the background's input).
    n_examples : examples of the task, targets 6–8 words, T uniform on 1…min(N, length).
    readout : the output layer's weight on the outputting units.

    Returns
    -------
    Planted
        ``model`` (a :class:`~neuronstats.model.seq2seq.Seq2Seq` over ``nn.GRU``
        modules), ``examples``, and ``truth``: {"storing", "counting", "outputting",
        "background"} → neuron indices.
    """
    rng = np.random.default_rng(seed)
    words = [f"w{i}" for i in range(n_words)]
    positions = [f"<p{t}>" for t in range(1, n_positions + 1)]
    itos = ["<pad>", "<unk>", "<sos>", "<eos>"] + positions + words
    V, N, d = len(itos), n_positions, code
    first_word = 4 + N

    # embedding: [is-position | position one-hot (N) | word code (d) | noise]
    E = 1 + N + d + noise_dims
    emb = np.zeros((V, E))
    for t in range(1, N + 1):
        emb[3 + t, 0] = 1.0
        emb[3 + t, t] = 1.0
    C = _codes(n_words, d, rng)
    emb[first_word:, 1 + N: 1 + N + d] = C
    emb[first_word:, 1 + N + d:] = rng.normal(0, 1, (n_words, noise_dims))
    emb[2, 1 + N + d:] = rng.normal(0, 1, noise_dims)  # <sos>: the decoder's first input

    S = np.arange(d)  # storing
    K = d + np.arange(N + 1)  # counting: unit K[j] = +1 when j steps remain
    OUT = d + N + 1 + np.arange(d)  # outputting
    B = d + N + 1 + d + np.arange(background)
    H = d + N + 1 + d + background
    is_pos, pos_hot, word_code = 0, 1 + np.arange(N), 1 + N + np.arange(d)
    noise = 1 + N + d + np.arange(noise_dims)

    def gru_weights():
        # gate blocks in PyTorch's order r, z, n; rows of W_ih (3H, E), W_hh (3H, H)
        W_ih, W_hh, b_ih, b_hh = np.zeros((3 * H, E)), np.zeros((3 * H, H)), np.zeros(3 * H), np.zeros(3 * H)
        r, z, n = 0, H, 2 * H
        # background: random recurrent units reading the noise dimensions
        for blk in (r, z, n):
            W_ih[np.ix_(blk + B, noise)] = rng.normal(0, 1.0 / np.sqrt(noise_dims), (background, noise_dims))
            W_hh[np.ix_(blk + B, B)] = rng.normal(0, 1.0 / np.sqrt(background), (background, background))
        return W_ih, W_hh, b_ih, b_hh, (r, z, n)

    # ---- encoder
    W_ih, W_hh, b_ih, b_hh, (r, z, n) = gru_weights()
    # storing: overwrite with the word's code (z ≈ 0 on words), hold on position tokens (z ≈ 1)
    W_ih[z + S, is_pos], b_ih[z + S] = 2 * BIG, -BIG
    W_ih[n + S[:, None], word_code[None, :]] = GAIN * np.eye(d)
    # counting: overwrite on position tokens with +1 at unit T, −1 elsewhere; hold on words
    W_ih[z + K, is_pos], b_ih[z + K] = -2 * BIG, BIG
    W_ih[n + K[1:, None], pos_hot[None, :]] = 2 * GAIN * np.eye(N)
    b_ih[n + K] = -GAIN
    # outputting: stay at zero in the encoder (n = 0, whatever z)
    enc = (W_ih, W_hh, b_ih, b_hh)

    # ---- decoder (its input is the previous output token; planted units ignore it)
    W_ih, W_hh, b_ih, b_hh, (r, z, n) = gru_weights()
    b_ih[z + S] = BIG  # storing: hold
    b_ih[z + K], b_ih[r + K] = -BIG, BIG  # counting: shift down, unit j ← unit j + 1, the top ← −1
    W_hh[n + K[:-1], K[1:]] = GAIN
    b_hh[n + K[-1]] = -GAIN
    b_ih[z + OUT] = -BIG  # outputting: n = tanh(r · GAIN · storing), r open only when one step remained
    W_hh[r + OUT, K[1]] = 2 * BIG
    W_hh[n + OUT[:, None], S[None, :]] = GAIN * np.eye(d)
    dec = (W_ih, W_hh, b_ih, b_hh)

    # ---- output layer: the outputting code picks the word; background picks the rest
    W_out, b_out = np.zeros((V, H)), np.zeros(V)
    W_out[first_word:, OUT] = readout * C
    W_out[np.ix_(np.arange(first_word, V), B)] = rng.normal(0, 0.3, (n_words, background))
    b_out[:first_word] = -4 * readout * d  # never a special or position token

    def gru(weights):
        m = nn.GRU(E, H, batch_first=True)
        with torch.no_grad():
            for name, val in zip(("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"), weights):
                getattr(m, name).copy_(torch.tensor(val, dtype=torch.float32))
        return m

    embedding = nn.Embedding(V, E, padding_idx=0)
    out = nn.Linear(H, V)
    with torch.no_grad():
        embedding.weight.copy_(torch.tensor(emb, dtype=torch.float32))
        out.weight.copy_(torch.tensor(W_out, dtype=torch.float32))
        out.bias.copy_(torch.tensor(b_out, dtype=torch.float32))
    model = from_torch(embedding, gru(enc), gru(dec), out, vocab=itos)

    items = []
    for _ in range(n_examples):
        src = list(rng.choice(words, rng.integers(3, 7)))
        tgt = list(rng.choice(words, rng.integers(6, 9)))
        T = int(rng.integers(1, min(N, len(tgt)) + 1))
        items.append((src, tgt, tgt[T - 1], T))
    truth = {"storing": S.tolist(), "counting": K.tolist(), "outputting": OUT.tolist(), "background": B.tolist()}
    return Planted(model, examples_from(items, vocab=itos), truth, seed)


def recovery(found, planted) -> dict:
    """Precision (found ∩ planted / found) and recall (found ∩ planted / planted) of a
    found neuron set against a planted group."""
    found, planted = set(int(i) for i in found), set(int(i) for i in planted)
    hit = len(found & planted)
    return {"found": len(found), "planted": len(planted), "hit": hit,
            "precision": hit / len(found) if found else float("nan"),
            "recall": hit / len(planted) if planted else float("nan")}
