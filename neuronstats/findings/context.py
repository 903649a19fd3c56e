"""What every finding receives: one dataset × cell, its seeds' models, the shared test
examples, each seed's clean greedy recording, and the analysis settings. Findings read
it and never write to it; it only memoises what they share (the recordings, made on
first use, and the selection half of each)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from neuronstats.findings.common import subset_recording
from neuronstats.findings.settings import FindingsConfig
from neuronstats.microscope.record import record


@dataclass
class Context:
    dataset: str
    cell: str
    models: list
    ex: object  # Examples shared by every seed
    cfg: FindingsConfig = field(default_factory=FindingsConfig)
    vocab: list | None = None  # token id -> word, for unit names

    def __post_init__(self):
        self._recs = None  # each seed's clean recording, made on first use (positioning alone never needs them)
        n = len(self.ex)
        self.test_mask = np.ones(n, dtype=bool)
        self.select_idx = np.arange(n)
        if self.cfg.split:  # select on one part, test on another (a seeded half of the examples)
            perm = np.random.default_rng(self.cfg.seed + 7919).permutation(n)
            self.select_idx = np.sort(perm[: n // 2])
            self.test_mask[self.select_idx] = False
        self._selection = {}

    @property
    def recs(self) -> list:
        if self._recs is None:
            self._recs = [record(m, self.ex) for m in self.models]
            if self.cfg.all_examples:  # an untrained network positions nothing: test it on every example
                for rec in self._recs:
                    rec.correct_as = np.ones(rec.n, dtype=bool)
        return self._recs

    @recs.setter
    def recs(self, value) -> None:
        self._recs = value

    def selection_rec(self, s: int):
        """Seed s's recording of the selection half: neuron sets are chosen on it."""
        if s not in self._selection:
            self._selection[s] = subset_recording(self.recs[s], self.select_idx) if self.cfg.split else self.recs[s]
        return self._selection[s]

    @property
    def split_note(self) -> str:
        if not self.cfg.split:
            return "sets selected and tested on the same examples"
        return (f"sets selected on {len(self.select_idx)} test examples, tested on the other "
                f"{int(self.test_mask.sum())}")

    @property
    def hidden(self) -> int:
        return self.models[0].hidden

    def unit_name(self, token: int) -> str:
        """``token 24 'you'`` (the word when the vocabulary is known)."""
        word = self.vocab[token] if self.vocab is not None and 0 <= token < len(self.vocab) else None
        return f"token {token}" + (f" {word!r}" if word is not None else "")

    def row_kw(self, finding: str) -> dict:
        return {"dataset": self.dataset, "cell": self.cell, "finding": finding, "alpha": self.cfg.alpha}

    def combined_kw(self, finding: str) -> dict:
        return {**self.row_kw(finding), "ci_method": self.cfg.ci_method}

    def correct_subset(self, s: int, mask=None, limit: int | None = None) -> np.ndarray:
        """Indices of seed s's correctly positioned examples of the *testing* half (within
        ``mask``), at most ``limit``."""
        ok = self.recs[s].correct & self.test_mask if mask is None else self.recs[s].correct & self.test_mask & mask
        idx = np.flatnonzero(ok)
        limit = limit or self.cfg.max_examples
        if len(idx) > limit:
            idx = np.sort(np.random.default_rng(self.cfg.seed + s).choice(idx, limit, replace=False))
        return idx
