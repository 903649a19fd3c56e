"""Vanilla encoder–decoder for the paper's task (x1 … xL w <pT> → y1 … yL <eos>, y_T = w): one
shared embedding → GRU/LSTM encoder → final state handed unchanged to a GRU/LSTM decoder → linear
layer over the vocabulary. No attention, not bidirectional.

:meth:`Seq2Seq.step` is an explicit single decoder step written out from the
cell's own weights, returning the new state *and* the gate values — the hook that
recording and interventions use. It matches ``nn.GRU``/``nn.LSTM`` to float
tolerance (tested).

States are tuples: ``(h,)`` for a GRU, ``(h, c)`` for an LSTM, each ``(batch, hidden)``.
"""

from __future__ import annotations

import copy

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from neuronstats.model.cells import adapter_for
from neuronstats.vocab import SPECIALS, Vocab


class Seq2Seq(nn.Module):
    def __init__(self, cell: str, vocab_size: int, emb: int, hidden: int, pad_id: int = Vocab.pad_id,
                 sos_id: int = Vocab.sos_id):
        super().__init__()
        self.adapter = adapter_for(cell)  # every cell-specific line lives there
        self.cell, self.vocab_size, self.emb_dim, self.hidden, self.pad_id = cell, vocab_size, emb, hidden, pad_id
        self.sos_id = sos_id  # the decoder's first input (the vocabulary's <sos>)
        self.n_special = len(SPECIALS)  # ids below this are special tokens (never drawn as random inputs)
        rnn = self.adapter.module
        self.embedding = nn.Embedding(vocab_size, emb, padding_idx=pad_id)
        self.encoder = rnn(emb, hidden, batch_first=True)
        self.decoder = rnn(emb, hidden, batch_first=True)
        self.out = nn.Linear(hidden, vocab_size)

    @property
    def state_names(self) -> tuple:
        """The parts of the state: ("h",), or an LSTM's ("h", "c")."""
        return self.adapter.state_names

    @property
    def gate_names(self) -> tuple:
        return self.adapter.gate_names

    @property
    def dec_embedding(self) -> nn.Module:
        """The decoder's input embedding: the shared one, or a model's own (see :meth:`wrap`)."""
        return self._modules.get("decoder_embedding") or self.embedding

    @classmethod
    def wrap(cls, embedding: nn.Module, encoder: nn.Module, decoder: nn.Module, out: nn.Linear,
             decoder_embedding: nn.Module | None = None, pad_id: int = 0, sos_id: int = 2,
             n_special: int = 0) -> "Seq2Seq":
        """A model built elsewhere, seen through this class: the user's embedding(s), one-layer
        unidirectional ``nn.GRU``/``nn.LSTM``/``nn.RNN`` encoder and decoder, and output layer
        (the weights are shared with the given modules; an RNN with ``batch_first=False`` is
        copied once as batch-first, weights included). ``decoder_embedding``: the decoder's
        input map when it differs from the encoder's (any module from ids to vectors, e.g.
        an embedding followed by a ReLU, as in the PyTorch seq2seq tutorial)."""
        adapter = adapter_for(decoder)
        if adapter_for(encoder) is not adapter:
            raise ValueError(f"encoder ({type(encoder).__name__}) and decoder ({type(decoder).__name__}) "
                             "must be the same kind of cell")
        for name, rnn in (("encoder", encoder), ("decoder", decoder)):
            if rnn.num_layers != 1 or rnn.bidirectional or getattr(rnn, "proj_size", 0):
                raise ValueError(f"the {name} must be one layer, unidirectional, without projection")
        if encoder.hidden_size != decoder.hidden_size:
            raise ValueError("the encoder's final state is the decoder's first: their hidden sizes must agree")

        def batch_first(rnn):
            if rnn.batch_first:
                return rnn
            twin = copy.deepcopy(rnn)
            twin.batch_first = True
            return twin

        m = cls.__new__(cls)
        nn.Module.__init__(m)
        m.adapter, m.cell = adapter, adapter.name
        m.vocab_size, m.emb_dim, m.hidden = out.out_features, encoder.input_size, decoder.hidden_size
        m.pad_id, m.sos_id, m.n_special = pad_id, sos_id, n_special
        m.embedding, m.encoder, m.decoder, m.out = embedding, batch_first(encoder), batch_first(decoder), out
        if decoder_embedding is not None and decoder_embedding is not embedding:
            m.decoder_embedding = decoder_embedding
        return m.eval()

    # -- state helpers -------------------------------------------------------
    def _to_torch_state(self, state):
        return self.adapter.to_torch(state)

    def _from_torch_state(self, st):
        return self.adapter.from_torch(st)

    # -- encoder ---------------------------------------------------------------
    def encode(self, src: torch.Tensor, src_len: torch.Tensor):
        """Final encoder state (the decoder's t = 0 state) for padded ``src``."""
        packed = pack_padded_sequence(self.embedding(src), src_len.cpu(), batch_first=True, enforce_sorted=False)
        _, st = self.encoder(packed)
        return self._from_torch_state(st)

    def encode_all(self, src: torch.Tensor, src_len: torch.Tensor):
        """Encoder states after every source token: tuple of (batch, Ls, hidden) arrays, one
        per state part (positions beyond ``src_len`` hold padding garbage)."""
        x = self.embedding(src)
        if len(self.state_names) == 1:  # the torch module returns every step's (only) state part
            hs, _ = self.encoder(x)
            return (hs,)
        # several state parts (LSTM: h and c): the torch module returns only h per step; step explicitly
        state = self.adapter.zero_state(x, src.shape[0], self.hidden)
        steps = []
        for t in range(src.shape[1]):
            state, _ = self.cell_step(self.encoder, x[:, t], state)
            steps.append(state)
        return tuple(torch.stack([st[k] for st in steps], 1) for k in range(len(state)))

    # -- decoder ---------------------------------------------------------------
    def decode_teacher(self, state, dec_in: torch.Tensor) -> torch.Tensor:
        """Decoder hidden states h_1..h_L under teacher forcing: (batch, L, hidden)."""
        hs, _ = self.decoder(self.dec_embedding(dec_in), self._to_torch_state(state))
        return hs

    def forward(self, src, src_len, dec_in):
        """Logits (batch, L, vocab) under teacher forcing."""
        return self.out(self.decode_teacher(self.encode(src, src_len), dec_in))

    def advance(self, tokens: torch.Tensor, state):
        """One decoder step through ``nn.GRU``/``nn.LSTM`` (no gates, no output): the new state."""
        _, st = self.decoder(self.dec_embedding(tokens).unsqueeze(1), self._to_torch_state(state))
        return self._from_torch_state(st)

    def decoder_step_fast(self, tokens: torch.Tensor, state):
        """One decoder step through ``nn.GRU``/``nn.LSTM`` (no gates): (new state, logits)."""
        new_state = self.advance(tokens, state)
        return new_state, self.out(new_state[0])

    def cell_step(self, rnn: nn.Module, x: torch.Tensor, state):
        """Explicit cell update from ``rnn``'s weights. Returns (new state, gates dict)."""
        return self.adapter.step(rnn, x, state)

    def gates_from(self, h_prev: torch.Tensor, tokens: torch.Tensor) -> dict:
        """The decoder's gates at one step from state ``h_prev`` (other state parts zero)
        and input ``tokens``: the dict of :meth:`cell_step`."""
        return self.cell_step(self.decoder, self.dec_embedding(tokens), self.adapter.state_from_h(h_prev))[1]

    def step(self, tokens: torch.Tensor, state):
        """One explicit decoder step: (new state, gates, logits). Gate names: GRU z, r, n;
        LSTM i, f, g, o and c (PyTorch's conventions: GRU h' = (1 − z)·n + z·h)."""
        new_state, gates = self.cell_step(self.decoder, self.dec_embedding(tokens), state)
        return new_state, gates, self.out(new_state[0])
