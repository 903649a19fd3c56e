"""Cell adapters: everything that differs between recurrent cells, in one place per cell.

An adapter names the cell's state parts (``("h",)``; an LSTM's ``("h", "c")``) and gates,
converts between the package's state tuples (each part ``(batch, hidden)``) and the
torch module's, and computes one step explicitly from the module's own weights,
returning the gates too (the hook that recording, interventions and §5 read). Every
other module asks the adapter (``model.adapter``) and never branches on a cell's name;
a new cell is one class here and one line in :data:`ADAPTERS`.

Conventions are PyTorch's: GRU h' = (1 − z)·n + z·h (gate order r, z, n in the weights);
LSTM gates i, f, g, o (weights in that order); RNN h' = tanh(W x + b + U h + b').
"""

from __future__ import annotations

import torch
from torch import nn


class CellAdapter:
    """The cell-specific part of an encoder–decoder (one subclass per cell)."""

    name: str = ""
    module: type = nn.Module  # the torch module of this cell
    state_names: tuple = ("h",)
    gate_names: tuple = ()

    def to_torch(self, state):
        """The package's state tuple → the torch module's hidden-state argument."""
        return state[0].unsqueeze(0).contiguous()

    def from_torch(self, st):
        """The torch module's returned hidden state → the package's state tuple."""
        return (st[0],)

    def zero_state(self, like: torch.Tensor, batch: int, hidden: int):
        return tuple(like.new_zeros(batch, hidden) for _ in self.state_names)

    def state_from_h(self, h: torch.Tensor):
        """A full state from h alone (other parts zero): what the gates of §5 read."""
        return (h,) + tuple(torch.zeros_like(h) for _ in self.state_names[1:])

    def step(self, rnn: nn.Module, x: torch.Tensor, state):
        """One explicit update from ``rnn``'s weights: (new state, gates dict)."""
        raise NotImplementedError

    @staticmethod
    def _pre(rnn: nn.Module, x: torch.Tensor, h: torch.Tensor):
        gi = x @ rnn.weight_ih_l0.T + (rnn.bias_ih_l0 if rnn.bias else 0.0)
        gh = h @ rnn.weight_hh_l0.T + (rnn.bias_hh_l0 if rnn.bias else 0.0)
        return gi, gh


class GRUAdapter(CellAdapter):
    name, module, state_names, gate_names = "gru", nn.GRU, ("h",), ("z", "r", "n")

    def step(self, rnn, x, state):
        h = state[0]
        gi, gh = self._pre(rnn, x, h)
        i_r, i_z, i_n = gi.chunk(3, dim=-1)
        h_r, h_z, h_n = gh.chunk(3, dim=-1)
        r = torch.sigmoid(i_r + h_r)
        z = torch.sigmoid(i_z + h_z)
        n = torch.tanh(i_n + r * h_n)
        return ((1 - z) * n + z * h,), {"z": z, "r": r, "n": n}


class LSTMAdapter(CellAdapter):
    name, module, state_names, gate_names = "lstm", nn.LSTM, ("h", "c"), ("i", "f", "g", "o", "c")

    def to_torch(self, state):
        return (state[0].unsqueeze(0).contiguous(), state[1].unsqueeze(0).contiguous())

    def from_torch(self, st):
        return (st[0][0], st[1][0])

    def step(self, rnn, x, state):
        h, c = state
        gi, gh = self._pre(rnn, x, h)
        i, f, g, o = (gi + gh).chunk(4, dim=-1)
        i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
        c_new = f * c + i * g
        return (o * torch.tanh(c_new), c_new), {"i": i, "f": f, "g": g, "o": o, "c": c_new}


class RNNAdapter(CellAdapter):
    """A vanilla (Elman, tanh) RNN: no gates; its pre-activation is reported as ``a``."""

    name, module, state_names, gate_names = "rnn", nn.RNN, ("h",), ("a",)

    def step(self, rnn, x, state):
        if getattr(rnn, "nonlinearity", "tanh") != "tanh":
            raise ValueError("only the tanh RNN is supported (nn.RNN(nonlinearity='tanh'))")
        gi, gh = self._pre(rnn, x, state[0])
        a = gi + gh
        return (torch.tanh(a),), {"a": a}


ADAPTERS = {a.name: a for a in (GRUAdapter(), LSTMAdapter(), RNNAdapter())}
CELLS = tuple(ADAPTERS)


def adapter_for(cell) -> CellAdapter:
    """The adapter of a cell name ("gru") or of a torch module (an ``nn.GRU`` instance)."""
    if isinstance(cell, str):
        if cell not in ADAPTERS:
            raise ValueError(f"cell must be one of {', '.join(CELLS)}, got {cell!r}")
        return ADAPTERS[cell]
    for a in ADAPTERS.values():
        if type(cell) is a.module:
            return a
    raise ValueError(f"no cell adapter for {type(cell).__name__} (supported: nn.GRU, nn.LSTM, nn.RNN)")
