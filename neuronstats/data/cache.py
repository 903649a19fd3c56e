"""The prepared-data cache and the cache directory.

Preparing pairs from a corpus of ~900 books takes tens of seconds; loading the
prepared token-id arrays again takes well under one. Entries live in
``<cache root>/data/<key>/`` where the key covers everything that determines the
arrays: the corpus *content* (sha256 of its files, so the same corpus under another
``--data-dir`` hits and an edited one misses), the data-config fields that shape
pairs, splits and vocabulary, and :data:`PREP_VERSION` (bumped whenever the
preparation code changes what it produces).

The cache root is ``$NEURONSTATS_CACHE``, else ``$XDG_CACHE_HOME/neuronstats``, else
``~/.cache/neuronstats``: outside the work tree, so it outlives a fresh checkout.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from neuronstats.config import DataConfig
from neuronstats.data.examples import (
    build,
    corpus_path,
    dataset_from_arrays,
    dataset_to_arrays,
    load_documents,
    meta_of,
)
from neuronstats.errors import InputError

log = logging.getLogger(__name__)

PREP_VERSION = 2  # 2: Unicode tokenizer, array pipeline, corpus-wide pair de-duplication

# fields that do not change the prepared arrays (they act when examples are drawn)
_NOT_IN_KEY = ("path", "n_tokens", "resample_each_epoch", "draws_per_pair", "max_eval", "max_test")


def cache_root(cache_dir=None) -> Path:
    """The cache directory: ``cache_dir`` if given, else the environment's (see module doc)."""
    if cache_dir:
        return Path(cache_dir)
    if os.environ.get("NEURONSTATS_CACHE"):
        return Path(os.environ["NEURONSTATS_CACHE"])
    xdg = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(xdg) / "neuronstats"


def _corpus_files(cfg: DataConfig, data_dir) -> list[Path]:
    path = corpus_path(cfg, data_dir)
    if path.is_file():
        return [path]
    if path.is_dir():
        pattern = "*.csv" if cfg.source == "lyrics" else "*.txt"
        files = sorted(p for p in path.glob(pattern) if p.is_file())
        if files:
            return files
    load_documents(cfg, data_dir)  # raises the reader's own clear error
    raise InputError("corpus not found", path=path)


def corpus_fingerprint(cfg: DataConfig, data_dir=None) -> str:
    """sha256 of the corpus content (file names relative to the corpus, and bytes)."""
    if cfg.source == "synthetic":
        return "synthetic"
    h = hashlib.sha256()
    for f in _corpus_files(cfg, data_dir):
        h.update(f.name.encode() + b"\0")
        with open(f, "rb") as fh:
            while chunk := fh.read(1 << 22):
                h.update(chunk)
        h.update(b"\0")
    return h.hexdigest()


def data_key(cfg: DataConfig, data_dir=None, vocab=None) -> str:
    """The content key of the prepared data for ``cfg`` (16 hex digits)."""
    d = dataclasses.asdict(cfg)
    for k in _NOT_IN_KEY:
        d.pop(k)
    if not d["drop_lines"]:
        d.pop("drop_lines")
    parts = {"config": d, "corpus": corpus_fingerprint(cfg, data_dir), "prep_version": PREP_VERSION}
    if vocab is not None:
        parts["vocab"] = hashlib.sha256("\n".join(vocab.itos).encode()).hexdigest()
    blob = json.dumps(parts, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def prepared(cfg: DataConfig, data_dir=None, cache_dir=None, vocab=None, progress: bool = False):
    """Load the prepared dataset from the cache, or build and store it."""
    if cache_dir is False:
        ds = build(cfg, data_dir, vocab=vocab, progress=progress)
        ds.key = data_key(cfg, data_dir, vocab)
        return ds
    key = data_key(cfg, data_dir, vocab)
    folder = cache_root(cache_dir) / "data" / key
    if (folder / "meta.json").is_file():
        t = time.perf_counter()
        meta = json.loads((folder / "meta.json").read_text())
        arrays = {f.stem: np.load(f, mmap_mode="r") for f in folder.glob("*.npy")}
        ds = dataset_from_arrays(arrays, meta, key)
        ds.n_tokens = cfg.n_tokens
        log.info("prepared data %s loaded from %s (%.2f s)", key, folder, time.perf_counter() - t)
        return ds
    t = time.perf_counter()
    ds = build(cfg, data_dir, vocab=vocab, progress=progress)
    ds.key = key
    log.info("prepared data %s built (%.1f s): %s", key, time.perf_counter() - t, ds.summary())
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{key}."))
    try:
        for name, arr in dataset_to_arrays(ds).items():
            np.save(tmp / f"{name}.npy", np.ascontiguousarray(arr))
        (tmp / "meta.json").write_text(meta_of(ds))
        try:
            os.replace(tmp, folder)
        except OSError:  # another process stored the same key first: keep theirs
            shutil.rmtree(tmp, ignore_errors=True)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        log.warning("could not cache prepared data in %s: %s", folder.parent, exc)
    return ds


def prepare(cfg: DataConfig, data_dir=None, cache_dir=None, vocab=None, progress: bool = False):
    """The prepared :class:`~neuronstats.data.examples.Dataset` for ``cfg``: loaded from the
    data cache when the corpus content and the config match, else built and cached
    (``cache_dir=False`` turns the cache off)."""
    return prepared(cfg, data_dir, cache_dir, vocab=vocab, progress=progress)
