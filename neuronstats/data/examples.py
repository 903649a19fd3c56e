"""Line pairs, leak-free splits, and control-signal examples.

An example appends the control signals to the source line:
``x1 x2 x3 w <pT> → y1 y2 w y4 <eos>`` where ``w = y_T`` (DESIGN.md §1).
With ``n_tokens = k > 1`` the source gets k pairs ``w_j <pT_j>`` (positions
distinct, in increasing order): the paper's multi-token experiment.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from neuronstats.config import DataConfig
from neuronstats.data import corpora
from neuronstats.data.tokenize import Vocab, tokenize
from neuronstats.errors import InputError


@dataclass(frozen=True)
class Pair:
    doc_id: str
    src: tuple[str, ...]
    tgt: tuple[str, ...]


def make_pairs(docs, min_len: int, max_len: int) -> list[Pair]:
    """Consecutive non-empty lines of one document (a blank line breaks the chain),
    both within [min_len, max_len] tokens; duplicate (src, tgt) pairs dropped."""
    seen, pairs = set(), []
    for doc in docs:
        toks = [tuple(tokenize(line)) if line.strip() else None for line in doc.lines]
        for a, b in zip(toks, toks[1:]):
            if a is None or b is None:
                continue
            if not (min_len <= len(a) <= max_len and min_len <= len(b) <= max_len):
                continue
            if (a, b) in seen:
                continue
            seen.add((a, b))
            pairs.append(Pair(doc.doc_id, a, b))
    return pairs


def split_pairs(pairs, val_frac: float, test_frac: float, seed: int) -> dict[str, list[Pair]]:
    """Assign whole documents to train/val/test (seeded), so no document (book chunk,
    song) is on two sides; then drop val/test pairs whose (src, tgt) also occurs in
    train (repeated choruses across songs), and test pairs that occur in val."""
    docs = sorted({p.doc_id for p in pairs})
    if len(docs) < 3:
        raise InputError(f"only {len(docs)} document(s) with usable line pairs",
                         expected="at least 3 documents to split train/val/test by document")
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(docs))
    n_test = max(1, round(test_frac * len(docs)))
    n_val = max(1, round(val_frac * len(docs)))
    side = {}
    for rank, i in enumerate(order):
        side[docs[i]] = "test" if rank < n_test else "val" if rank < n_test + n_val else "train"
    out = {"train": [], "val": [], "test": []}
    for p in pairs:
        out[side[p.doc_id]].append(p)
    train_keys = {(p.src, p.tgt) for p in out["train"]}
    out["val"] = [p for p in out["val"] if (p.src, p.tgt) not in train_keys]
    seen_keys = train_keys | {(p.src, p.tgt) for p in out["val"]}
    out["test"] = [p for p in out["test"] if (p.src, p.tgt) not in seen_keys]
    assert_no_leak(out)
    return out


def assert_no_leak(splits: dict[str, list[Pair]]) -> None:
    """Raise AssertionError if a document or a (src, tgt) pair is on two sides."""
    names = list(splits)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            docs = {p.doc_id for p in splits[a]} & {p.doc_id for p in splits[b]}
            assert not docs, f"documents in both {a} and {b}: {sorted(docs)[:3]}"
            keys = {(p.src, p.tgt) for p in splits[a]} & {(p.src, p.tgt) for p in splits[b]}
            assert not keys, f"{len(keys)} line pairs in both {a} and {b}"


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

    def __len__(self) -> int:
        return len(self.src_len)

    def subset(self, idx) -> "Examples":
        idx = np.asarray(idx)
        s, t = self.src[idx], self.tgt[idx]
        ls, lt = self.src_len[idx], self.tgt_len[idx]
        return Examples(s[:, : max(1, ls.max(initial=1))], ls, t[:, : max(1, lt.max(initial=1))], lt,
                        self.w[idx], self.T[idx], self.pair_index[idx], 0)


def make_examples(src_ids: list, tgt_ids: list, vocab: Vocab, n_tokens: int, rng) -> Examples:
    """Draw (w, T) uniformly over each target's positions (k distinct positions for
    ``n_tokens = k``); examples where any drawn w is ``<unk>`` are dropped and counted."""
    n = len(src_ids)
    k = n_tokens
    keep, ws, Ts = [], [], []
    dropped = 0
    for i in range(n):
        tgt = tgt_ids[i]
        if len(tgt) < k:
            dropped += 1
            continue
        pos = np.sort(rng.choice(len(tgt), size=k, replace=False)) if k > 1 else rng.integers(len(tgt), size=1)
        w = [tgt[p] for p in pos]
        if vocab.unk_id in w:
            dropped += 1
            continue
        keep.append(i)
        ws.append(w)
        Ts.append([int(p) + 1 for p in pos])
    m = len(keep)
    ls = np.array([len(src_ids[i]) + 2 * k for i in keep], dtype=np.int64)
    lt = np.array([len(tgt_ids[i]) + 1 for i in keep], dtype=np.int64)
    src = np.zeros((m, int(ls.max(initial=1))), dtype=np.int64)
    tgt = np.zeros((m, int(lt.max(initial=1))), dtype=np.int64)
    for r, i in enumerate(keep):
        ctrl = []
        for w, t in zip(ws[r], Ts[r]):
            ctrl += [w, vocab.position_id(t)]
        s = list(src_ids[i]) + ctrl
        src[r, : len(s)] = s
        tg = list(tgt_ids[i]) + [vocab.eos_id]
        tgt[r, : len(tg)] = tg
    return Examples(src, ls, tgt, lt, np.array(ws, dtype=np.int64).reshape(m, k),
                    np.array(Ts, dtype=np.int64).reshape(m, k), np.array(keep, dtype=np.int64), dropped)


@dataclass
class Dataset:
    """A corpus prepared for training: vocabulary and encoded pairs per split."""

    vocab: Vocab
    pairs: dict  # split -> list[Pair]
    ids: dict  # split -> (src_ids list, tgt_ids list)
    n_tokens: int

    def examples(self, split: str, seed: int, limit: int = 0, draws: int = 1) -> Examples:
        """Examples of one split with (w, T) drawn by ``seed`` (first ``limit`` pairs);
        ``draws > 1`` repeats every pair with independent (w, T) draws."""
        src, tgt = self.ids[split]
        if limit:
            src, tgt = src[:limit], tgt[:limit]
        if draws > 1:
            src, tgt = src * draws, tgt * draws
        return make_examples(src, tgt, self.vocab, self.n_tokens, np.random.default_rng(seed))

    def summary(self) -> dict:
        out = {"vocab": len(self.vocab)}
        for s, p in self.pairs.items():
            out[f"{s}_pairs"] = len(p)
            out[f"{s}_docs"] = len({q.doc_id for q in p})
        tl = [len(p.tgt) for p in self.pairs["train"]]
        out["mean_tgt_len"] = float(np.mean(tl)) if tl else 0.0
        return out


def load_documents(cfg: DataConfig, data_dir=None) -> list:
    """Read the corpus named by ``cfg`` (relative paths resolve against ``data_dir``)."""
    if cfg.source == "synthetic":
        return corpora.synthetic_corpus(cfg.synth_docs, cfg.synth_lines_per_doc, cfg.synth_vocab,
                                        cfg.min_len, cfg.max_len, cfg.synth_zipf, cfg.split_seed)
    if not cfg.path:
        raise InputError(f"data.source = '{cfg.source}' needs data.path", expected="a path to the corpus")
    path = Path(cfg.path)
    if not path.is_absolute() and data_dir is not None:
        path = Path(data_dir) / path
    if cfg.source == "gutenberg":
        return corpora.read_gutenberg_dir(path, cfg.chunk_lines)
    if cfg.source == "lyrics":
        return corpora.read_lyrics_csv(path)
    return [corpora.read_text_file(path)]


def prepare(cfg: DataConfig, data_dir=None) -> Dataset:
    """Corpus → pairs → leak-free splits → vocabulary (train only) → encoded ids."""
    docs = load_documents(cfg, data_dir)
    pairs = make_pairs(docs, cfg.min_len, cfg.max_len)
    splits = split_pairs(pairs, cfg.val_frac, cfg.test_frac, cfg.split_seed)
    if cfg.max_pairs and len(splits["train"]) > cfg.max_pairs:
        idx = np.sort(np.random.default_rng(cfg.split_seed).choice(len(splits["train"]), cfg.max_pairs, replace=False))
        splits["train"] = [splits["train"][i] for i in idx]
    if not splits["train"] or not splits["val"] or not splits["test"]:
        raise InputError("a split is empty after de-duplication",
                         expected=f"pairs in train/val/test, got {[len(v) for v in splits.values()]}")
    vocab = Vocab.build((p.src + p.tgt for p in splits["train"]), cfg.vocab_size, cfg.max_len)
    ids = {s: ([vocab.encode(p.src) for p in ps], [vocab.encode(p.tgt) for p in ps]) for s, ps in splits.items()}
    return Dataset(vocab, splits, ids, cfg.n_tokens)
