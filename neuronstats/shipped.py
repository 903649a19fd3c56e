"""The replication's trained models, shipped with the project (``results/models``): one
line gives a model and the examples it is analysed on.

>>> import neuronstats as ns                                         # doctest: +SKIP
>>> model, examples = ns.pretrained("gutenberg", cell="gru", seed=0)  # doctest: +SKIP

The store is ``models`` if given, else ``$NEURONSTATS_MODELS``, else ``results/models``
under the current folder (a clone of the project). The test examples are read from the
store where it ships them (the Gutenberg models': public domain), so those models open
without their corpus; otherwise they are rebuilt from the corpus the model was trained on
(``data_dir``, else ``$NEURONSTATS_DATA``, else ``../shared/data``), and cached like every
prepared corpus. Both ways give the same examples.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from neuronstats.errors import InputError
from neuronstats.model.store import read_manifest, shipped_examples
from neuronstats.model.train import load_model, load_with_data, split_examples

DEFAULT_STORE = Path("results") / "models"


def store_path(models=None) -> Path:
    """The model store to read: ``models``, ``$NEURONSTATS_MODELS`` or ./results/models."""
    return Path(models or os.environ.get("NEURONSTATS_MODELS") or DEFAULT_STORE)


def available(models=None) -> list[str]:
    """The names of the shipped models (e.g. ``gutenberg-gru-s0``)."""
    return sorted(read_manifest(store_path(models)))


def pretrained(dataset: str = "gutenberg", cell: str = "gru", seed: int = 0, split: str = "test",
               limit: int | None = None, models=None, data_dir=None, cache_dir=None):
    """A shipped replication model and its examples.

    Parameters
    ----------
    dataset : "gutenberg", "lyrics" or "gutenberg-2tokens".
    cell : "gru" or "lstm".
    seed : 0-4.
    split : "test" (the held-out examples every seed is scored on), "val" or "train".
    limit : keep the first ``limit`` examples.
    models : the model store (default: see the module's doc).
    data_dir : the folder holding the corpora (default: ``$NEURONSTATS_DATA`` or ../shared/data);
        not read for the test split where the store ships the model's test examples.

    Returns
    -------
    (model, examples) : a ``Seq2Seq`` in eval mode (with ``.vocab_itos``) and its
        :class:`~neuronstats.data.examples.Examples`.

    Examples
    --------
    In a clone of the project, ``ns.pretrained("gutenberg", cell="gru", seed=0)`` reads
    results/models. Any store works the same way, e.g. one holding a small model:

    >>> import tempfile, neuronstats as ns
    >>> from neuronstats.model.store import export_model
    >>> cfg = ns.RunConfig(data=ns.DataConfig(synth_docs=60, synth_vocab=30, max_len=8, max_test=100),
    ...                    model=ns.ModelConfig(emb=16, hidden=16), train=ns.TrainConfig(max_epochs=1, threads=1))
    >>> store = tempfile.mkdtemp()
    >>> _ = export_model(ns.train(cfg, progress=False).run_dir, store, "synthetic-gru-s0")
    >>> model, examples = ns.pretrained("synthetic", cell="gru", seed=0, models=store, limit=50)
    >>> model.cell, len(examples)
    ('gru', 50)
    """
    store = store_path(models)
    name = f"{dataset}-{cell}-s{seed}"
    shipped = available(store)
    if not shipped:
        raise InputError("no shipped models here", path=store,
                         expected="a clone of the project (results/models), or models= / $NEURONSTATS_MODELS")
    if name not in shipped:
        raise InputError(f"no shipped model {name!r}", path=store, expected="one of " + ", ".join(shipped))
    data_dir = data_dir or os.environ.get("NEURONSTATS_DATA") or Path("..") / "shared" / "data"
    model, _, _, ex = model_with_examples(store / name, split, data_dir, cache_dir)
    if limit:
        ex = ex.subset(np.arange(min(limit, len(ex))))
    return model, ex


def model_with_examples(path, split: str = "test", data_dir=None, cache_dir=None):
    """A model (its file or run folder) and the examples of ``split`` it is analysed on:
    the test examples its store ships where it sits in a store that ships them (no corpus
    is read), else those rebuilt from its corpus under ``data_dir`` (cached).

    Returns
    -------
    (model, vocab, cfg, examples) : the model in eval mode and the examples, both with
        ``.vocab_itos`` (the vocabulary's words).
    """
    run = Path(path) if Path(path).is_dir() else Path(path).parent
    ex = shipped_examples(run.parent, run.name) if split == "test" else None
    if ex is not None:
        model, vocab, cfg = load_model(path)
    else:
        model, vocab, cfg, ds = load_with_data(path, data_dir, cache_dir)
        ex = split_examples(ds, cfg, split)
    model.vocab_itos = ex.vocab_itos = vocab.itos  # words in reprs, tokens by word
    return model, vocab, cfg, ex
