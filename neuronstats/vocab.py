"""The vocabulary: token ↔ id, with the special and position tokens at fixed ids.

``<pad> <unk> <sos> <eos>``, the position tokens ``<p1> … <pN>``, then the words
(:meth:`Vocab.build`: the K most frequent training words, ties broken alphabetically,
so the vocabulary is deterministic).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

PAD, UNK, SOS, EOS = "<pad>", "<unk>", "<sos>", "<eos>"
SPECIALS = (PAD, UNK, SOS, EOS)


def position_token(t: int) -> str:
    return f"<p{t}>"


@dataclass
class Vocab:
    """Token ↔ id mapping. ``itos[i]`` is the token of id ``i``."""

    itos: list[str]
    n_positions: int

    def __post_init__(self):
        self.stoi = {s: i for i, s in enumerate(self.itos)}

    @classmethod
    def build(cls, token_lists, size: int, n_positions: int) -> "Vocab":
        counts = Counter(tok for toks in token_lists for tok in toks)
        return cls.from_words(sorted(counts, key=lambda w: (-counts[w], w))[:size], n_positions)

    @classmethod
    def from_words(cls, words, n_positions: int) -> "Vocab":
        """Specials, position tokens, then ``words`` in the order given."""
        return cls(list(SPECIALS) + [position_token(t) for t in range(1, n_positions + 1)] + list(words),
                   n_positions)

    def __len__(self) -> int:
        return len(self.itos)

    pad_id, unk_id, sos_id, eos_id = 0, 1, 2, 3

    def position_id(self, t: int) -> int:
        if not 1 <= t <= self.n_positions:
            raise ValueError(f"position {t} outside 1..{self.n_positions}")
        return len(SPECIALS) + t - 1

    def encode(self, tokens) -> list[int]:
        return [self.stoi.get(t, self.unk_id) for t in tokens]

    def decode(self, ids) -> list[str]:
        return [self.itos[i] for i in ids]

    def to_dict(self) -> dict:
        return {"itos": self.itos, "n_positions": self.n_positions}

    @classmethod
    def from_dict(cls, d: dict) -> "Vocab":
        return cls(list(d["itos"]), int(d["n_positions"]))
