"""Vanilla encoder–decoder (DESIGN.md §1): one shared embedding → GRU/LSTM encoder →
final state handed unchanged to a GRU/LSTM decoder → linear layer over the vocabulary.
No attention, not bidirectional.

:meth:`Seq2Seq.step` is an explicit single decoder step written out from the
cell's own weights, returning the new state *and* the gate values — the hook that
recording and interventions use. It matches ``nn.GRU``/``nn.LSTM`` to float
tolerance (tested).

States are tuples: ``(h,)`` for a GRU, ``(h, c)`` for an LSTM, each ``(batch, hidden)``.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from neuronstats.data.tokenize import Vocab

GRU_GATES = ("z", "r", "n")
LSTM_GATES = ("i", "f", "g", "o", "c")


class Seq2Seq(nn.Module):
    def __init__(self, cell: str, vocab_size: int, emb: int, hidden: int, pad_id: int = Vocab.pad_id,
                 sos_id: int = Vocab.sos_id):
        super().__init__()
        if cell not in ("gru", "lstm"):
            raise ValueError(f"cell must be 'gru' or 'lstm', got {cell!r}")
        self.cell, self.vocab_size, self.emb_dim, self.hidden, self.pad_id = cell, vocab_size, emb, hidden, pad_id
        self.sos_id = sos_id  # the decoder's first input (the vocabulary's <sos>)
        rnn = nn.GRU if cell == "gru" else nn.LSTM
        self.embedding = nn.Embedding(vocab_size, emb, padding_idx=pad_id)
        self.encoder = rnn(emb, hidden, batch_first=True)
        self.decoder = rnn(emb, hidden, batch_first=True)
        self.out = nn.Linear(hidden, vocab_size)

    # -- state helpers -------------------------------------------------------
    def _to_torch_state(self, state):
        if self.cell == "gru":
            return state[0].unsqueeze(0).contiguous()
        return (state[0].unsqueeze(0).contiguous(), state[1].unsqueeze(0).contiguous())

    def _from_torch_state(self, st):
        if self.cell == "gru":
            return (st[0],)
        return (st[0][0], st[1][0])

    # -- encoder ---------------------------------------------------------------
    def encode(self, src: torch.Tensor, src_len: torch.Tensor):
        """Final encoder state (the t = 0 state of DESIGN.md §2) for padded ``src``."""
        packed = pack_padded_sequence(self.embedding(src), src_len.cpu(), batch_first=True, enforce_sorted=False)
        _, st = self.encoder(packed)
        return self._from_torch_state(st)

    def encode_all(self, src: torch.Tensor, src_len: torch.Tensor):
        """Encoder states after every source token: tuple of (batch, Ls, hidden) arrays
        (positions beyond ``src_len`` hold padding garbage)."""
        x = self.embedding(src)
        if self.cell == "gru":
            hs, _ = self.encoder(x)
            return (hs,)
        # LSTM: nn.LSTM returns only h per step; run the explicit cell to get c too
        B = src.shape[0]
        h = x.new_zeros(B, self.hidden)
        state = (h, h.clone())
        hs, cs = [], []
        for t in range(src.shape[1]):
            state, _ = self.cell_step(self.encoder, x[:, t], state)
            hs.append(state[0])
            cs.append(state[1])
        return (torch.stack(hs, 1), torch.stack(cs, 1))

    # -- decoder ---------------------------------------------------------------
    def decode_teacher(self, state, dec_in: torch.Tensor) -> torch.Tensor:
        """Decoder hidden states h_1..h_L under teacher forcing: (batch, L, hidden)."""
        hs, _ = self.decoder(self.embedding(dec_in), self._to_torch_state(state))
        return hs

    def forward(self, src, src_len, dec_in):
        """Logits (batch, L, vocab) under teacher forcing."""
        return self.out(self.decode_teacher(self.encode(src, src_len), dec_in))

    def advance(self, tokens: torch.Tensor, state):
        """One decoder step through ``nn.GRU``/``nn.LSTM`` (no gates, no output): the new state."""
        _, st = self.decoder(self.embedding(tokens).unsqueeze(1), self._to_torch_state(state))
        return self._from_torch_state(st)

    def decoder_step_fast(self, tokens: torch.Tensor, state):
        """One decoder step through ``nn.GRU``/``nn.LSTM`` (no gates): (new state, logits)."""
        new_state = self.advance(tokens, state)
        return new_state, self.out(new_state[0])

    def cell_step(self, rnn: nn.Module, x: torch.Tensor, state):
        """Explicit cell update from ``rnn``'s weights. Returns (new state, gates dict)."""
        W, U = rnn.weight_ih_l0, rnn.weight_hh_l0
        bi, bh = rnn.bias_ih_l0, rnn.bias_hh_l0
        h = state[0]
        gi = x @ W.T + bi
        gh = h @ U.T + bh
        if self.cell == "gru":
            i_r, i_z, i_n = gi.chunk(3, dim=-1)
            h_r, h_z, h_n = gh.chunk(3, dim=-1)
            r = torch.sigmoid(i_r + h_r)
            z = torch.sigmoid(i_z + h_z)
            n = torch.tanh(i_n + r * h_n)
            h_new = (1 - z) * n + z * h
            return (h_new,), {"z": z, "r": r, "n": n}
        c = state[1]
        i, f, g, o = (gi + gh).chunk(4, dim=-1)
        i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
        c_new = f * c + i * g
        h_new = o * torch.tanh(c_new)
        return (h_new, c_new), {"i": i, "f": f, "g": g, "o": o, "c": c_new}

    def gates_from(self, h_prev: torch.Tensor, tokens: torch.Tensor) -> dict:
        """The decoder's gates at one step from state ``h_prev`` (GRU; LSTM: from (h, c=0))
        and input ``tokens``: the dict of :meth:`cell_step`."""
        state = (h_prev,) if self.cell == "gru" else (h_prev, torch.zeros_like(h_prev))
        return self.cell_step(self.decoder, self.embedding(tokens), state)[1]

    def step(self, tokens: torch.Tensor, state):
        """One explicit decoder step: (new state, gates, logits). Gate names: GRU z, r, n;
        LSTM i, f, g, o and c (PyTorch's conventions: GRU h' = (1 − z)·n + z·h)."""
        new_state, gates = self.cell_step(self.decoder, self.embedding(tokens), state)
        return new_state, gates, self.out(new_state[0])
