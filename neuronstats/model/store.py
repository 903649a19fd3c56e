"""A store of shipped models: trained models kept with a project (the replication's are
in ``results/models``), one folder per model name, found by content key.

Layout::

    <store>/manifest.json          {name: {model_key, test_accuracy, weights_sha256, bytes, config_hash}}
    <store>/<name>/model.json      config, vocabulary, key, accuracy, sha256 (neuronstats.model.files)
    <store>/<name>/model.safetensors
    <store>/<name>/metrics.json    training history and held-out accuracy
    <store>/examples/<dataset>-<digest>.npz
                                   held-out test examples, where their licence allows shipping
                                   them (the manifest entries of the dataset's models name the
                                   file and its digest): the models then open without the corpus
    <store>/unfinished/<name>-<key>/checkpoint.pt
                                   the last per-epoch checkpoint of a model still training (weights,
                                   optimiser and early-stopping state): training on another machine
                                   resumes from it instead of from scratch; removed when the
                                   finished model is exported

A model exported under a name that the store already holds replaces it: the store keeps
one model per name (version control keeps the old ones). Training looks here first
(:func:`neuronstats.model.train.train` with ``store=``), so a study whose models are all
shipped trains nothing.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from neuronstats import io
from neuronstats.errors import InputError
from neuronstats.model.files import META, WEIGHTS, has_model, read_model, save_model

MANIFEST = "manifest.json"
EXAMPLES = "examples"
UNFINISHED = "unfinished"
CHECKPOINT = "checkpoint.pt"


def read_manifest(store) -> dict:
    path = Path(store) / MANIFEST
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON ({exc})", path=path, expected="a model store manifest") from None


def find_in_store(store, key: str) -> Path | None:
    """The folder of the shipped model with content key ``key``, or None."""
    store = Path(store)
    for name, facts in read_manifest(store).items():
        if facts.get("model_key") == key and has_model(store / name):
            return store / name
    return None


def export_model(run_dir, store, name: str | None = None) -> dict:
    """Copy a trained run folder into ``store`` under ``name`` (default: the run's config
    name), converting a legacy ``model.pt``; replaces what the store held under that name.
    Returns the model's manifest entry."""
    run_dir, store = Path(run_dir), Path(store)
    metrics = json.loads((run_dir / "metrics.json").read_text())
    name = name or metrics["name"]
    model, vocab, cfg = read_model(run_dir)
    target = store / name
    tmp = store / f".{name}.export"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        save_model(tmp, model, vocab, cfg, model_key=metrics["model_key"],
                               test_accuracy=metrics["test"]["accuracy"])
        io.copy_file(run_dir / "metrics.json", tmp / "metrics.json")
        shutil.rmtree(target, ignore_errors=True)
        tmp.replace(target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    meta = json.loads((target / META).read_text())
    entry = {"model_key": metrics["model_key"], "config_hash": metrics["config_hash"],
             "test_accuracy": metrics["test"]["accuracy"], "n_test": metrics["test"].get("n"),
             "weights_sha256": meta["weights_sha256"], "bytes": (target / WEIGHTS).stat().st_size,
             "epochs": len(metrics["history"]), "stopped": metrics["stopped"],
             "train_minutes": round(metrics["train_seconds"] / 60, 1), "cell": cfg.model.cell,
             "fine_tuned_from": cfg.init.name if cfg.init is not None else ""}
    manifest = read_manifest(store)
    manifest[name] = entry
    io.write_json(store / MANIFEST, dict(sorted(manifest.items())))
    for old in (store / UNFINISHED).glob(f"*-{metrics['model_key']}"):  # finished: its checkpoint is spent
        shutil.rmtree(old)
    if (store / UNFINISHED).is_dir() and not any((store / UNFINISHED).iterdir()):
        (store / UNFINISHED).rmdir()
    return entry


def export_checkpoint(run_dir, store) -> Path:
    """Copy the last per-epoch checkpoint of a model still training (its cache folder
    ``run_dir``, named ``<name>-<key>``) into ``<store>/unfinished/``, replacing an older
    one, so that training resumes from it on a machine without this cache. Returns the
    copy's path."""
    run_dir = Path(run_dir)
    target = Path(store) / UNFINISHED / run_dir.name / CHECKPOINT
    target.parent.mkdir(parents=True, exist_ok=True)
    io.copy_file(run_dir / CHECKPOINT, target)
    key = run_dir.name.rsplit("-", 1)[-1]
    for other in (Path(store) / UNFINISHED).glob(f"*-{key}"):  # the same run under an older name
        if other != target.parent:
            shutil.rmtree(other)
    return target


def unfinished_checkpoint(store, key: str) -> Path | None:
    """The checkpoint the store carries for the unfinished model with content key ``key``,
    or None."""
    found = sorted((Path(store) / UNFINISHED).glob(f"*-{key}/{CHECKPOINT}"))
    return found[0] if found else None


def export_examples(store, names: list, examples, dataset: str) -> str:
    """Ship ``examples`` (the held-out test examples of the store's models ``names``, all of
    one dataset) as ``<store>/examples/<dataset>-<digest>.npz`` and name the file and its
    digest in those models' manifest entries. The same examples are written once; a file no
    manifest entry names any more is removed. Returns the file's path within the store."""
    store = Path(store)
    digest = examples.digest()
    rel = f"{EXAMPLES}/{dataset}-{digest[:16]}.npz"
    if not (store / rel).is_file() or _digest_of(store / rel) != digest:  # the same examples: kept as they are
        io.save_examples(examples, store / rel)
    manifest = read_manifest(store)
    for name in names:
        manifest[name].update(test_examples=rel, test_examples_sha256=digest)
    io.write_json(store / MANIFEST, dict(sorted(manifest.items())))
    named = {e.get("test_examples") for e in manifest.values()}
    for old in (store / EXAMPLES).glob("*.npz"):
        if f"{EXAMPLES}/{old.name}" not in named:
            old.unlink()
    return rel


def _digest_of(path: Path) -> str | None:
    try:
        return io.load_examples(path).digest()
    except InputError:
        return None


def shipped_examples(store, name: str):
    """The held-out test examples shipped for the store's model ``name`` (an
    :class:`~neuronstats.examples.Examples`), or None where the store has none for it (its
    manifest entry names none, or the file is not there: e.g. a copy of the store without
    ``examples/``). A file that does not hold the examples the manifest names is one
    :class:`InputError`."""
    entry = read_manifest(store).get(name, {})
    if not entry.get("test_examples") or not (Path(store) / entry["test_examples"]).is_file():
        return None
    path = Path(store) / entry["test_examples"]
    ex = io.load_examples(path)
    want = entry.get("test_examples_sha256", "")
    if ex.digest() != want:
        raise InputError("the examples' digest differs from the manifest's", path=path,
                         expected=f"the examples of {name} (sha256 {want[:16] or 'missing in the manifest'}…); "
                                  "rerun replicate --export-models")
    return ex
