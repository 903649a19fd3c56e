"""The examples every analysis runs on: padded integer arrays of sources (the source
line plus its control tokens), targets, and the (w, T) each example asks for.

Built from a corpus by :mod:`neuronstats.data.examples`, or from your own tuples by
:func:`neuronstats.examples_from`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np

ARRAYS = ("src", "src_len", "tgt", "tgt_len", "w", "T", "pair_index")  # what a saved Examples holds


@dataclass
class Examples:
    """Padded integer arrays for n examples (pad id 0).

    ``src`` holds the source line plus control tokens, ``tgt`` the target line plus
    ``<eos>``; ``w[i, j]`` must appear at 1-based position ``T[i, j]`` of the output.
    """

    src: np.ndarray  # (n, Ls) int64
    src_len: np.ndarray  # (n,)
    tgt: np.ndarray  # (n, Lt) int64
    tgt_len: np.ndarray  # (n,)
    w: np.ndarray  # (n, k)
    T: np.ndarray  # (n, k), 1-based
    pair_index: np.ndarray  # (n,) index into the encoded pair list
    n_dropped_unk: int = 0
    vocab_itos: list | None = field(default=None, repr=False, compare=False)  # token of each id, for reading them

    def __len__(self) -> int:
        return len(self.src_len)

    def subset(self, idx) -> "Examples":
        idx = np.asarray(idx)
        s, t = self.src[idx], self.tgt[idx]
        ls, lt = self.src_len[idx], self.tgt_len[idx]
        return Examples(s[:, : max(1, ls.max(initial=1))], ls, t[:, : max(1, lt.max(initial=1))], lt,
                        self.w[idx], self.T[idx], self.pair_index[idx], 0, self.vocab_itos)

    def digest(self) -> str:
        """SHA-256 of the arrays (dtype, shape and values) and the dropped-pair count: the
        same examples give the same digest, however they were stored."""
        h = hashlib.sha256(str(self.n_dropped_unk).encode())
        for name in ARRAYS:
            a = np.ascontiguousarray(getattr(self, name))
            h.update(f"{name}:{a.dtype.str}:{a.shape}".encode())
            h.update(a.tobytes())
        return h.hexdigest()

    def __repr__(self) -> str:
        """Counts and shapes, and the first examples as words when the vocabulary is at
        hand (``vocab_itos``, which :func:`neuronstats.load` sets): never raw arrays.

        Examples
        --------
        >>> import numpy as np
        >>> from neuronstats.data.examples import make_examples
        >>> from neuronstats.vocab import Vocab
        >>> v = Vocab.build([["the", "cat", "sat", "on", "a", "mat"]], size=10, n_positions=6)
        >>> ex = make_examples([v.encode("the cat sat".split())], [v.encode("on a mat".split())], v, 1,
        ...                    np.random.default_rng(0))
        >>> ex.vocab_itos = v.itos
        >>> ex
        Examples: 1 example, 1 (w, T) pair each; T 2-2; source lines of 3-3 tokens (then w <pT>), target lines of 3-3
        (then <eos>)
        arrays: src (1, 5), tgt (1, 4), w (1, 1), T (1, 1); ids padded with 0
          [0] the cat sat → on a mat   (w = 'a' at T = 2)
        """
        n = len(self)
        k = self.w.shape[1] if self.w.ndim == 2 else 1
        src_words, tgt_words = self.src_len - 2 * k, self.tgt_len - 1
        head = f"Examples: {n:,} example{'' if n == 1 else 's'}, {k} (w, T) pair{'' if k == 1 else 's'} each"
        if n:
            head += (f"; T {self.T.min()}-{self.T.max()}; source lines of {src_words.min()}-{src_words.max()} tokens "
                     f"(then {'w <pT>' if k == 1 else f'{k} × w <pT>'}), target lines of {tgt_words.min()}-"
                     f"{tgt_words.max()} (then <eos>)")
        if self.n_dropped_unk:
            head += f"; {self.n_dropped_unk:,} dropped for an <unk> w"
        lines = [head, f"arrays: src {self.src.shape}, tgt {self.tgt.shape}, w {self.w.shape}, T {self.T.shape}; "
                       "ids padded with 0"]
        itos = self.vocab_itos
        for i in range(min(3, n) if itos is not None else 0):
            words = " ".join(itos[j] for j in self.src[i, : src_words[i]])
            target = " ".join(itos[j] for j in self.tgt[i, : tgt_words[i]])
            told = ", ".join(f"w = {itos[w]!r} at T = {t}" for w, t in zip(self.w[i], self.T[i]))
            lines.append(f"  [{i}] {words} → {target}   ({told})")
        if itos is not None and n > 3:
            lines.append(f"  ... {n - 3:,} more")
        return "\n".join(lines)
