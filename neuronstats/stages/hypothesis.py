"""A hypothesis is a labelling of recorded states: which (example, t) take part, and
their labels. The paper's four are built in; users can write their own with
``Hypothesis(name, lo, hi, label_fn)``.

``label_fn(w, T, t) -> labels`` gets per-state arrays (token to position, its target
position, the state's time) and returns one label per state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np


@dataclass(frozen=True)
class Hypothesis:
    name: str
    lo: int | str  # first time step (int, or "T", "T-k")
    hi: int | str  # last time step
    label_fn: Callable = field(compare=False, repr=False)
    attr_step: str = "T-1"  # the h_t whose integrated gradients filter the candidates (stage 2)
    params: dict = field(default_factory=dict, compare=False)
    only_correct: bool = True  # condition on examples the model positions correctly (as the paper)

    def data(self, rec, which: str = "h"):
        """(X, y, groups, t, types): the states ``which`` ("h", or LSTM "c"), their labels,
        the example of each state (for grouped CV), its time, and its type (the positioned
        token; control task)."""
        keep = rec.correct if self.only_correct else np.ones(rec.n, dtype=bool)
        X, ex, t = rec.select(self.lo, self.hi, which=which)
        m = keep[ex]
        X, ex, t = X[m], ex[m], t[m]
        w, T = rec.w[ex, 0], rec.T[ex, 0]
        return X, np.asarray(self.label_fn(w, T, t)), ex, t, w

    def describe(self) -> dict:
        return {"name": self.name, "lo": self.lo, "hi": self.hi, "attr_step": self.attr_step, **self.params}


def storing(token: int) -> Hypothesis:
    """States −1 ≤ t ≤ T−1; positive where the positioned token is ``token``."""
    return Hypothesis("storing", -1, "T-1", lambda w, T, t: (w == token).astype(int), "T-1", {"token": int(token)})


def counting() -> Hypothesis:
    """States 0 ≤ t ≤ T−1 labelled by the steps remaining, T − t."""
    return Hypothesis("counting", 0, "T-1", lambda w, T, t: T - t, "T-1", {})


def triggering() -> Hypothesis:
    """States 0 ≤ t ≤ T−1; positive at t = T−1 (one step before the output)."""
    return Hypothesis("triggering", 0, "T-1", lambda w, T, t: (t == T - 1).astype(int), "T-1", {})


def outputting(token: int) -> Hypothesis:
    """States at t = T; positive where the positioned token is ``token``."""
    return Hypothesis("outputting", "T", "T", lambda w, T, t: (w == token).astype(int), "T", {"token": int(token)})


BUILTIN = {"storing": storing, "counting": counting, "triggering": triggering, "outputting": outputting}
