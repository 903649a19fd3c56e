"""Line pairs, leak-free splits, and control-signal examples.

An example appends the control signals to the source line:
``x1 x2 x3 w <pT> → y1 y2 w y4 <eos>`` where ``w = y_T``.
With ``n_tokens = k > 1`` the source gets k pairs ``w_j <pT_j>`` (positions
distinct, in increasing order): the paper's multi-token experiment.

At scale (a million pairs from ~900 books) the corpus is held as integer arrays,
never as Python objects per pair: a table of distinct usable lines (flat token ids
plus offsets) and, per split, the line indices of each pair's source and target.
:func:`prepare` caches those arrays on disk (:mod:`neuronstats.data.cache`), keyed
by the corpus content and the data config, and loads them memory-mapped.
"""

from __future__ import annotations

import json
import logging
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from neuronstats.config import DataConfig
from neuronstats.data import corpora
from neuronstats.data.tokenize import tokenize
from neuronstats.errors import InputError
from neuronstats.examples import Examples
from neuronstats.vocab import SPECIALS, Vocab

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Pair:
    doc_id: str
    src: tuple[str, ...]
    tgt: tuple[str, ...]


# --------------------------------------------------------------------------- pairs
@dataclass
class LinePairs:
    """Usable lines and the pairs between them, as arrays.

    ``flat[off[i]:off[i+1]]`` are the token ids of line ``i`` (ids into ``words``);
    pair ``j`` is ``src[j] → tgt[j]`` within document ``doc[j]`` (``doc_ids[doc[j]]``).
    """

    words: list[str]
    flat: np.ndarray  # int32
    off: np.ndarray  # int64, len = n_lines + 1
    src: np.ndarray  # int64 line index per pair
    tgt: np.ndarray
    doc: np.ndarray  # int64 document index per pair
    doc_ids: list[str]
    counts: dict = field(default_factory=dict)  # what the filters dropped (collect_pairs)

    def tokens(self, line: int) -> tuple[str, ...]:
        return tuple(self.words[i] for i in self.flat[self.off[line] : self.off[line + 1]])


def collect_pairs(docs, min_len: int, max_len: int, drop_lines: str = "") -> LinePairs:
    """Consecutive non-empty lines of one document (a blank line, or a line matching
    ``drop_lines``, breaks the chain), both within [min_len, max_len] tokens; a
    (src, tgt) pair already seen (anywhere, any document) is dropped."""
    drop = re.compile(drop_lines) if drop_lines else None
    word_id: dict[str, int] = {}
    words: list[str] = []
    flat: list[int] = []
    lens: list[int] = []
    src: list[int] = []
    doc_of: list[int] = []
    doc_ids: list[str] = []
    n = {"corpus_lines": 0, "lines_dropped_by_pattern": 0, "lines_too_short": 0, "lines_too_long": 0,
         "consecutive_line_pairs": 0}
    for d, doc in enumerate(docs):
        doc_ids.append(doc.doc_id)
        prev = -1  # index of the previous line if it is usable, else -1
        after_text = False  # the previous line is not blank: the two would make a pair if both were kept
        for line in doc.lines:
            if not line.strip():
                prev, after_text = -1, False
                continue
            n["corpus_lines"] += 1
            n["consecutive_line_pairs"] += after_text
            after_text = True
            if drop is not None and drop.match(line):
                n["lines_dropped_by_pattern"] += 1
                prev = -1
                continue
            toks = tokenize(line)
            if not min_len <= len(toks) <= max_len:
                n["lines_too_short" if len(toks) < min_len else "lines_too_long"] += 1
                prev = -1
                continue
            for t in toks:
                i = word_id.get(t)
                if i is None:
                    i = word_id[t] = len(words)
                    words.append(t)
                flat.append(i)
            lens.append(len(toks))
            cur = len(lens) - 1
            if prev >= 0:
                src.append(prev)
                doc_of.append(d)
            prev = cur
    off = np.zeros(len(lens) + 1, dtype=np.int64)
    np.cumsum(lens, out=off[1:])
    flat_a = np.asarray(flat, dtype=np.int32)
    src_a = np.asarray(src, dtype=np.int64)
    tgt_a = src_a + 1  # the target is the next usable line (consecutive by construction)
    doc_a = np.asarray(doc_of, dtype=np.int64)
    keep = _first_occurrences(flat_a, off, src_a, tgt_a)
    n.update(pairs_within_length=len(src_a), pairs_distinct=len(keep))
    return LinePairs(words, flat_a, off, src_a[keep], tgt_a[keep], doc_a[keep], doc_ids, n)


def dropped_data_warnings(counts: dict, min_len: int, max_len: int, drop_lines: str = "") -> list[str]:
    """What :func:`collect_pairs` dropped, in words, where it is more than half of the
    corpus's non-empty lines or of its pairs of consecutive lines, naming the setting that
    dropped them; ``[]`` when the filters kept most of the corpus.

    Examples
    --------
    >>> counts = {"corpus_lines": 1000, "lines_too_long": 850, "lines_too_short": 20, "lines_dropped_by_pattern": 0,
    ...           "consecutive_line_pairs": 900, "pairs_within_length": 40, "pairs_distinct": 40}
    >>> print(dropped_data_warnings(counts, min_len=3, max_len=10)[0])  # doctest: +NORMALIZE_WHITESPACE
    data.max_len = 10 drops 85 % of the corpus's 1,000 non-empty lines (longer than 10 tokens), data.min_len = 3
    another 2 % (shorter than 3 tokens): 13 % kept (lines of 3-10 tokens)
    >>> dropped_data_warnings({**counts, "lines_too_long": 10, "pairs_within_length": 880, "pairs_distinct": 870},
    ...                       min_len=3, max_len=10)
    []
    """
    def share(k, n):
        v = 100 * k / n
        return "< 1 %" if 0 < v < 1 else "> 99 %" if 99 < v < 100 else f"{v:.0f} %"

    out = []
    lines = counts.get("corpus_lines", 0)
    causes = sorted([(counts.get("lines_too_long", 0), f"data.max_len = {max_len}", f"longer than {max_len} tokens"),
                     (counts.get("lines_too_short", 0), f"data.min_len = {min_len}", f"shorter than {min_len} tokens"),
                     (counts.get("lines_dropped_by_pattern", 0), f"data.drop_lines = {drop_lines!r}", "matching it")],
                    key=lambda c: -c[0])
    causes = [c for c in causes if c[0]]
    dropped = sum(c[0] for c in causes)
    if lines and dropped > lines / 2:
        said = [f"{causes[0][1]} drops {share(causes[0][0], lines)} of the corpus's {lines:,} non-empty lines "
                f"({causes[0][2]})"] + [f"{s} another {share(k, lines)} ({why})" for k, s, why in causes[1:]]
        out.append(", ".join(said) + f": {share(lines - dropped, lines)} kept (lines of {min_len}-{max_len} tokens)")
    pairs, within = counts.get("consecutive_line_pairs", 0), counts.get("pairs_within_length", 0)
    if pairs and within < pairs / 2:
        out.append(f"of its {pairs:,} pairs of consecutive lines, {within:,} have both lines kept "
                   f"({share(pairs - within, pairs)} dropped by data.min_len = {min_len}, data.max_len = "
                   f"{max_len}{', data.drop_lines' if drop_lines else ''})")
    distinct = counts.get("pairs_distinct", within)
    if within and distinct < within / 2:
        out.append(f"{share(within - distinct, within)} of its {within:,} line pairs repeat an earlier pair and are "
                   "dropped (repeated choruses or boilerplate)")
    return out


def _line_hashes(flat: np.ndarray, off: np.ndarray) -> np.ndarray:
    """Two independent 64-bit polynomial hashes of every line's token ids (n, 2).

    Exact de-duplication of millions of pairs as Python tuples costs gigabytes; two
    64-bit hashes (plus the line length) make a collision vanishingly unlikely
    (~n²/2¹²⁸) and keep it to a few array passes. Deterministic across processes,
    unlike Python's salted ``hash``."""
    n = len(off) - 1
    lens = np.diff(off)
    out = np.zeros((n, 2), dtype=np.uint64)
    if len(flat) == 0:
        return out
    pos = np.arange(len(flat), dtype=np.int64) - np.repeat(off[:-1], lens)
    ids = flat.astype(np.uint64) + np.uint64(1)
    with np.errstate(over="ignore"):
        for col, base in enumerate((np.uint64(1_000_003), np.uint64(998_244_353))):
            powers = np.ones(int(lens.max()) + 1, dtype=np.uint64)
            for k in range(1, len(powers)):
                powers[k] = powers[k - 1] * base
            terms = ids * powers[pos]
            nz = lens > 0
            out[nz, col] = np.add.reduceat(terms, off[:-1][nz])
            out[:, col] = out[:, col] * np.uint64(31) + lens.astype(np.uint64)
    return out


def _first_occurrences(flat, off, src, tgt) -> np.ndarray:
    """Indices (sorted) of the first pair of each distinct (src tokens, tgt tokens)."""
    if len(src) == 0:
        return np.zeros(0, dtype=np.int64)
    h = _line_hashes(flat, off)
    key = np.ascontiguousarray(np.concatenate([h[src], h[tgt]], axis=1))
    _, first = np.unique(key.view(np.dtype((np.void, key.dtype.itemsize * 4))).ravel(), return_index=True)
    return np.sort(first)


def make_pairs(docs, min_len: int, max_len: int) -> list[Pair]:
    """:func:`collect_pairs` as a list of token-tuple :class:`Pair` objects (small data)."""
    lp = collect_pairs(docs, min_len, max_len)
    return [Pair(lp.doc_ids[d], lp.tokens(s), lp.tokens(t)) for s, t, d in zip(lp.src, lp.tgt, lp.doc)]


def split_documents(doc_ids: list[str], val_frac: float, test_frac: float, seed: int) -> dict[str, str]:
    """Assign whole documents to train/val/test (seeded, by sorted document id)."""
    docs = sorted(doc_ids)
    if len(docs) < 3:
        raise InputError(f"only {len(docs)} document(s) with usable line pairs",
                         expected="at least 3 documents to split train/val/test by document (a plain text "
                                  "file is split at blank lines, or by data.chunk_lines = N lines)")
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(docs))
    n_test = max(1, round(test_frac * len(docs)))
    n_val = max(1, round(val_frac * len(docs)))
    side = {}
    for rank, i in enumerate(order):
        side[docs[i]] = "test" if rank < n_test else "val" if rank < n_test + n_val else "train"
    return side


def split_pairs(pairs, val_frac: float, test_frac: float, seed: int) -> dict[str, list[Pair]]:
    """Whole documents to train/val/test; then drop val/test pairs whose (src, tgt)
    also occurs in train (repeated choruses across songs), and test pairs in val."""
    side = split_documents(list({p.doc_id for p in pairs}), val_frac, test_frac, seed)
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


def _gather(flat: np.ndarray, starts: np.ndarray, lens: np.ndarray, width: int) -> np.ndarray:
    """Rows ``flat[starts[i] : starts[i] + lens[i]]`` right-padded with 0 to ``width``."""
    cols = np.arange(width)
    mask = cols < lens[:, None]
    idx = np.where(mask, starts[:, None] + cols, 0)
    out = flat[idx].astype(np.int64) if len(flat) else np.zeros(idx.shape, dtype=np.int64)
    out[~mask] = 0
    return out


def make_examples_arrays(flat, off, src_lines, tgt_lines, vocab: Vocab, n_tokens: int, rng) -> Examples:
    """Draw (w, T) uniformly over each target's positions (k distinct positions, in
    increasing order, for ``n_tokens = k``); examples where a drawn w is ``<unk>`` (or
    whose target is shorter than k) are dropped and counted. Vectorised over pairs."""
    k = n_tokens
    s0, t0 = off[src_lines], off[tgt_lines]
    sl, tl = off[src_lines + 1] - s0, off[tgt_lines + 1] - t0
    n = len(src_lines)
    if k == 1:
        pos = np.minimum((rng.random(n) * tl).astype(np.int64), np.maximum(tl - 1, 0))[:, None]
    else:
        width = int(tl.max(initial=k))
        keys = rng.random((n, width))
        keys[np.arange(width)[None, :] >= tl[:, None]] = np.inf
        pos = np.sort(np.argsort(keys, axis=1, kind="stable")[:, :k], axis=1)
    ok = tl >= k
    w = np.zeros((n, k), dtype=np.int64)
    w[ok] = flat[t0[ok, None] + pos[ok]]
    ok &= ~(w == vocab.unk_id).any(axis=1)
    keep = np.flatnonzero(ok)
    dropped = n - len(keep)
    s0, t0, sl, tl, w, pos = s0[keep], t0[keep], sl[keep], tl[keep], w[keep], pos[keep]
    T = pos + 1
    ls, lt = sl + 2 * k, tl + 1
    src = _gather(flat, s0, sl, int(ls.max(initial=1)))
    tgt = _gather(flat, t0, tl, int(lt.max(initial=1)))
    rows = np.arange(len(keep))
    for j in range(k):
        src[rows, sl + 2 * j] = w[:, j]
        src[rows, sl + 2 * j + 1] = len(SPECIALS) + T[:, j] - 1  # <pT> id (Vocab.position_id)
    if len(keep) and T.max() > vocab.n_positions:
        raise InputError(f"target position {int(T.max())} has no position token",
                         expected=f"lines of at most {vocab.n_positions} tokens")
    tgt[rows, tl] = vocab.eos_id
    return Examples(src, ls, tgt, lt, w, T.astype(np.int64), keep.astype(np.int64), int(dropped))


def make_examples(src_ids: list, tgt_ids: list, vocab: Vocab, n_tokens: int, rng) -> Examples:
    """:func:`make_examples_arrays` for lists of id lists (small data, tests)."""
    lines = list(src_ids) + list(tgt_ids)
    lens = np.array([len(x) for x in lines], dtype=np.int64)
    off = np.zeros(len(lines) + 1, dtype=np.int64)
    np.cumsum(lens, out=off[1:])
    flat = np.array([i for x in lines for i in x], dtype=np.int32)
    n = len(src_ids)
    return make_examples_arrays(flat, off, np.arange(n), np.arange(n, 2 * n), vocab, n_tokens, rng)


# ------------------------------------------------------------------------- dataset
@dataclass
class Dataset:
    """A corpus prepared for training: the vocabulary, the usable lines encoded with it
    (``flat``/``off``), and per split the line indices of each pair (``pairs[split]``
    is ``(src_lines, tgt_lines)``)."""

    vocab: Vocab
    flat: np.ndarray
    off: np.ndarray
    pairs: dict  # split -> (src line indices, tgt line indices)
    n_tokens: int
    stats: dict
    key: str = ""  # content key of the prepared data (data.cache)

    def n_pairs(self, split: str) -> int:
        return len(self.pairs[split][0])

    def tokens(self, line: int) -> list[str]:
        return self.vocab.decode(self.flat[self.off[line] : self.off[line + 1]])

    def examples(self, split: str, seed: int, limit: int = 0, draws: int = 1) -> Examples:
        """Examples of one split with (w, T) drawn by ``seed`` (first ``limit`` pairs);
        ``draws > 1`` repeats every pair with independent (w, T) draws."""
        src, tgt = self.pairs[split]
        if limit:
            src, tgt = src[:limit], tgt[:limit]
        if draws > 1:
            src, tgt = np.tile(src, draws), np.tile(tgt, draws)
        return make_examples_arrays(self.flat, self.off, np.asarray(src), np.asarray(tgt), self.vocab,
                                    self.n_tokens, np.random.default_rng(seed))

    def summary(self) -> dict:
        return {"vocab": len(self.vocab), **self.stats}


def load_documents(cfg: DataConfig, data_dir=None, progress: bool = False):
    """The documents of the corpus named by ``cfg`` (relative paths resolve against
    ``data_dir``), as an iterable."""
    if cfg.source == "synthetic":
        return corpora.synthetic_corpus(cfg.synth_docs, cfg.synth_lines_per_doc, cfg.synth_vocab,
                                        cfg.min_len, cfg.max_len, cfg.synth_zipf, cfg.split_seed)
    path = corpus_path(cfg, data_dir)
    if cfg.source == "gutenberg":
        corpora.gutenberg_files(path)  # fails now, with one clear line, if the corpus is missing
        return corpora.iter_gutenberg(path, cfg.chunk_lines, progress=progress)
    if cfg.source == "lyrics":
        return corpora.read_lyrics_csv(path)
    return corpora.read_text_file(path, chunk_lines=cfg.chunk_lines)


def corpus_path(cfg: DataConfig, data_dir=None) -> Path:
    if not cfg.path:
        raise InputError(f"data.source = '{cfg.source}' needs data.path", expected="a path to the corpus")
    path = Path(cfg.path)
    if not path.is_absolute() and data_dir is not None:
        path = Path(data_dir) / path
    return path


def check_corpus(cfg: DataConfig, data_dir=None) -> Path | None:
    """Fail now, with one :class:`InputError` naming the path, if the corpus ``cfg`` names
    is not where it should be: no text is read (of a zip archive, only its index), so a
    study can check every corpus in milliseconds before it starts any work. Returns the
    corpus path (None for the synthetic corpus).

    Examples
    --------
    >>> from neuronstats.config import DataConfig
    >>> check_corpus(DataConfig(source="text", path="poems.txt"), data_dir="/no/such/folder")
    Traceback (most recent call last):
    ...
    neuronstats.errors.InputError: /no/such/folder: the data folder does not exist (expected --data-dir ...)
    """
    if cfg.source == "synthetic":
        return None
    path = corpus_path(cfg, data_dir)
    if data_dir is not None and not Path(cfg.path).is_absolute() and not Path(data_dir).is_dir():
        raise InputError("the data folder does not exist", path=data_dir,
                         expected=f"--data-dir (or $NEURONSTATS_DATA) naming the folder that holds {cfg.path}")
    if cfg.source == "gutenberg":
        corpora.gutenberg_files(path)
    elif cfg.source == "lyrics":
        if path.is_dir() and not any(p.is_file() for p in path.glob("*.csv")):
            raise InputError("no .csv files in the lyrics folder", path=path, expected="LyricsFreak CSV files")
        if not path.exists():
            raise InputError("lyrics file not found", path=path, expected="a LyricsFreak CSV file or a folder of them")
    elif not path.is_file():
        raise InputError("text file not found", path=path, expected="a plain text file")
    return path


def build(cfg: DataConfig, data_dir=None, vocab: Vocab | None = None, progress: bool = False) -> Dataset:
    """Corpus → pairs → leak-free splits → vocabulary (train only, unless ``vocab`` is
    given: a fine-tuned model keeps its parent's) → encoded lines. Not cached."""
    lp = collect_pairs(load_documents(cfg, data_dir, progress), cfg.min_len, cfg.max_len, cfg.drop_lines)
    lost = dropped_data_warnings(lp.counts, cfg.min_len, cfg.max_len, cfg.drop_lines)
    if lost:
        where = "the synthetic corpus" if cfg.source == "synthetic" else str(corpus_path(cfg, data_dir))
        warnings.warn(f"{where}: " + "; ".join(lost) + f"; {len(lp.src):,} line pairs left", stacklevel=2)
    used = sorted({lp.doc_ids[d] for d in np.unique(lp.doc)})
    side_of = split_documents(used, cfg.val_frac, cfg.test_frac, cfg.split_seed)
    code = {"train": 0, "val": 1, "test": 2}
    doc_side = np.array([code.get(side_of.get(d, "train")) for d in lp.doc_ids], dtype=np.int8)
    pair_side = doc_side[lp.doc] if len(lp.doc) else np.zeros(0, dtype=np.int8)
    # pairs are unique corpus-wide (collect_pairs), so no (src, tgt) is on two sides
    idx = {s: np.flatnonzero(pair_side == c) for s, c in code.items()}
    if cfg.max_pairs and len(idx["train"]) > cfg.max_pairs:
        pick = np.random.default_rng(cfg.split_seed).choice(len(idx["train"]), cfg.max_pairs, replace=False)
        idx["train"] = idx["train"][np.sort(pick)]
    if not all(len(v) for v in idx.values()):
        raise InputError("a split is empty after de-duplication",
                         expected=f"pairs in train/val/test, got {[len(v) for v in idx.values()]}")
    if vocab is None:
        tr = idx["train"]
        counts = np.zeros(len(lp.words), dtype=np.int64)
        for lines in (lp.src[tr], lp.tgt[tr]):
            lens = lp.off[lines + 1] - lp.off[lines]
            starts = np.repeat(lp.off[lines], lens)
            within = np.arange(int(lens.sum())) - np.repeat(np.cumsum(lens) - lens, lens)
            counts += np.bincount(lp.flat[starts + within], minlength=len(lp.words))
        present = np.flatnonzero(counts)
        top = sorted(present.tolist(), key=lambda i: (-counts[i], lp.words[i]))[: cfg.vocab_size]
        vocab = Vocab.from_words([lp.words[i] for i in top], cfg.max_len)
    elif vocab.n_positions < cfg.max_len:
        raise InputError(f"the parent vocabulary has positions up to {vocab.n_positions}",
                         expected=f"data.max_len ≤ {vocab.n_positions} when fine-tuning")
    remap = np.array([vocab.stoi.get(wd, vocab.unk_id) for wd in lp.words], dtype=np.int32)
    flat = remap[lp.flat] if len(lp.flat) else lp.flat
    pairs = {s: (lp.src[i], lp.tgt[i]) for s, i in idx.items()}
    stats = {}
    for s, i in idx.items():
        stats[f"{s}_pairs"] = int(len(i))
        stats[f"{s}_docs"] = int(len(np.unique(lp.doc[i])))
    tl = lp.off[lp.tgt[idx["train"]] + 1] - lp.off[lp.tgt[idx["train"]]]
    stats["mean_tgt_len"] = float(tl.mean()) if len(tl) else 0.0
    stats["corpus_words"] = len(lp.words)
    stats.update(lp.counts)
    return Dataset(vocab, flat, lp.off, pairs, cfg.n_tokens, stats)


def dataset_to_arrays(ds: Dataset) -> dict:
    arrays = {"flat": ds.flat, "off": ds.off}
    for s, (a, b) in ds.pairs.items():
        arrays[f"{s}_src"], arrays[f"{s}_tgt"] = a, b
    return arrays


def dataset_from_arrays(arrays: dict, meta: dict, key: str) -> Dataset:
    pairs = {s: (arrays[f"{s}_src"], arrays[f"{s}_tgt"]) for s in ("train", "val", "test")}
    return Dataset(Vocab.from_dict(meta["vocab"]), arrays["flat"], arrays["off"], pairs, meta["n_tokens"],
                   meta["stats"], key)


def meta_of(ds: Dataset) -> str:
    return json.dumps({"vocab": ds.vocab.to_dict(), "n_tokens": ds.n_tokens, "stats": ds.stats})
