"""The public surface: a few verbs from a trained model (or several seeds) to a tidy
DataFrame of stats rows, each with its null, CI and control. Re-exported by
``import neuronstats as ns``; see that module's docstring for a worked example.

Every finding verb takes ``models`` (one or more seeds of the same data and vocabulary)
and ``examples`` (:func:`load` gives both) and returns a DataFrame of stats rows
(:data:`neuronstats.stats.row.COLUMNS`), Holm-corrected within each test's family. One
seed works: the rows then say that their CI has no between-seed term.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from neuronstats.errors import InputError, InsufficientData  # noqa: F401 (re-exported)

FINDING_VERBS = ("storing", "counting", "triggering", "outputting", "gates", "inputs")


def _model_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if (path / "model.pt").is_file():
        return [path / "model.pt"]
    files = sorted(path.glob("*/model.pt"))
    if not files:
        raise InputError("no model.pt here", path=path, expected="a model.pt, a run folder, or a folder of run folders")
    return files


def load(path, split: str = "test", data_dir=None, limit: int | None = None, cache_dir=None):
    """Trained models and the examples they are analysed on.

    Parameters
    ----------
    path : a ``model.pt``, a run folder holding one, or a folder of run folders (the seeds
        of one configuration: they must share their data and vocabulary).
    split : "test" (the held-out examples every seed is scored on), "val" or "train".
    data_dir : folder the config's corpus path is relative to.
    limit : keep the first ``limit`` examples.

    Returns
    -------
    (models, examples) : a list of ``Seq2Seq`` (eval mode; each carries ``.vocab_itos``)
        and one :class:`~neuronstats.data.examples.Examples`.
    """
    from neuronstats.model.train import load_with_data, split_examples

    models, examples, first = [], None, None
    for f in _model_files(Path(path).expanduser()):
        model, vocab, cfg, ds = load_with_data(f, data_dir, cache_dir)
        key = (ds.key, tuple(vocab.itos))
        if first is None:
            first = key
            examples = split_examples(ds, cfg, split)
            if limit:
                examples = examples.subset(np.arange(min(limit, len(examples))))
        elif key != first:
            raise InputError("models trained on different data or vocabularies", path=f,
                             expected="the seeds of one configuration")
        model.vocab_itos = vocab.itos
        models.append(model)
    return models, examples


def record(model, examples, mode: str = "greedy"):
    """States h_t (t = −L..T_max, the paper's time index), gates, outputs and P(w) of
    every example: a :class:`~neuronstats.microscope.record.Recording`."""
    from neuronstats.microscope.record import record as _record

    return _record(model, examples, mode)


def sweep(model, examples, *interventions, n_sets: int = 0, seed: int = 0) -> pd.DataFrame:
    """Decode ``examples`` clean and under each intervention (and, with ``n_sets``, under
    the same intervention on that many random neuron sets of the same size): one row per
    condition with its positioning accuracy (w at T)."""
    from neuronstats.microscope.intervene import run
    from neuronstats.microscope.intervene import sweep as expand
    from neuronstats.stats.controls import control_sets

    conds, names = [()], ["clean"]
    for spec in interventions:
        conds.append((spec,))
        names.append(str(spec))
        if n_sets and getattr(spec, "neurons", None):
            sets = control_sets(model.hidden, spec.neurons, n_sets, seed=seed)
            conds += expand((spec,), sets)
            names += [f"random set {i} ({str(spec)})" for i in range(len(sets))]
    out = run(model, examples, conds)
    return pd.DataFrame({"condition": names, "accuracy": out.at_T.mean(0), "n_examples": len(examples)})


def _context(models, examples, dataset, options):
    from neuronstats.findings.context import Context, FindingsConfig

    models = list(models) if isinstance(models, (list, tuple)) else [models]
    vocab = getattr(models[0], "vocab_itos", None)
    cell = models[0].cell
    return Context(dataset, cell, models, examples, FindingsConfig(**options), vocab=vocab)


def _token_ids(ctx, tokens):
    if tokens is None:
        return None
    ids = []
    for t in tokens:
        if isinstance(t, (int, np.integer)):
            ids.append(int(t))
        elif ctx.vocab is not None and t in ctx.vocab:
            ids.append(ctx.vocab.index(t))
        else:
            raise InputError(f"token {t!r} is not in the model's vocabulary", expected="a word or a token id")
    return ids


def _finish(rows, correction: str = "holm") -> pd.DataFrame:
    from neuronstats.stats.multitest import correct
    from neuronstats.stats.row import rows_to_frame

    return correct(rows_to_frame(rows), correction)


def positioning(models, examples, dataset: str = "data", n_null: int = 1000) -> pd.DataFrame:
    """Does the model put w at T because it was told to? (null: re-decoded without its
    own (w, T)). One row."""
    from neuronstats.findings.positioning import positioning_rows

    models = list(models) if isinstance(models, (list, tuple)) else [models]
    return _finish(positioning_rows(dataset, models[0].cell, models, examples, n_null=n_null))


def _finding(name: str, models, examples, dataset: str, tokens=None, **options) -> pd.DataFrame:
    from neuronstats.findings.run import FINDINGS

    ctx = _context(models, examples, dataset, options)
    fn = FINDINGS[name]
    kwargs = {"tokens": _token_ids(ctx, tokens)} if tokens is not None else {}
    return _finish(fn(ctx, **kwargs))


def storing(models, examples, tokens=None, dataset: str = "data", **options) -> pd.DataFrame:
    """Finding 1 (storing neurons) per token: probe, zeroing at T−1, previous value,
    stability, position independence, set size. ``tokens``: words or ids (default: the
    most frequent positioned tokens). ``options``: :class:`FindingsConfig` fields."""
    return _finding("storing", models, examples, dataset, tokens, **options)


def counting(models, examples, dataset: str = "data", **options) -> pd.DataFrame:
    """Finding 2 (counting neurons): probe, k-step shift, monotonicity, drop vs T, rate vs T."""
    return _finding("counting", models, examples, dataset, **options)


def triggering(models, examples, dataset: str = "data", **options) -> pd.DataFrame:
    """Finding 3 (triggering neurons): probe, w emitted k steps early."""
    return _finding("triggering", models, examples, dataset, **options)


def outputting(models, examples, tokens=None, dataset: str = "data", **options) -> pd.DataFrame:
    """Finding 4 (outputting neurons) per token: zero at T, keep only at T, values near ±1."""
    return _finding("outputting", models, examples, dataset, tokens, **options)


def gates(models, examples, tokens=None, dataset: str = "data", **options) -> pd.DataFrame:
    """§5 (GRU): z on outputting and r on storing neurons with only the triggering set kept."""
    return _finding("gates", models, examples, dataset, tokens, **options)


def inputs(models, examples, dataset: str = "data", **options) -> pd.DataFrame:
    """§5: decoder inputs x_t replaced by random tokens — equivalence test (TOST)."""
    return _finding("x_t negligible", models, examples, dataset, **options)
