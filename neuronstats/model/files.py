"""Model files: weights in safetensors, everything else in JSON. Nothing is unpickled.

A trained model is two files in its run folder:

* ``model.safetensors`` — the weights (``embedding.weight``, ``encoder.*``, ``decoder.*``,
  ``out.*``), loadable by any safetensors reader;
* ``model.json`` — the run config, the vocabulary, the content key, the held-out
  accuracy and the sha256 of the weights file (checked on load).

Older ``model.pt`` files (a torch pickle of config, vocab and state dict) are still read,
with ``weights_only=True``, so opening a file never runs code; ``convert_pt`` rewrites one
in the new format. A file that is not one of ours gets one line saying what it is and
what to do.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from neuronstats import io
from neuronstats.config import RunConfig, config_from_dict
from neuronstats.errors import InputError
from neuronstats.model.seq2seq import Seq2Seq
from neuronstats.vocab import Vocab

WEIGHTS = "model.safetensors"
META = "model.json"
LEGACY = "model.pt"
FORMAT = "neuronstats-model/1"


def sha256_of(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def model_file(run_dir) -> Path | None:
    """The model file of a run folder (new format first), or None."""
    run_dir = Path(run_dir)
    for name in (META, LEGACY):
        if (run_dir / name).is_file():
            return run_dir / name
    return None


def has_model(run_dir) -> bool:
    return model_file(run_dir) is not None


def model_key_of(run_dir) -> str:
    """The content key of the model in ``run_dir`` (its ``metrics.json``): the same model
    has the same key in the cache and in a store, and a retrained one another, whatever
    the folders are named. A folder without one (a model trained elsewhere) is named by
    its path."""
    path = Path(run_dir) / "metrics.json"
    if path.is_file():
        try:
            key = json.loads(path.read_text()).get("model_key")
        except (json.JSONDecodeError, AttributeError):
            key = None
        if key:
            return str(key)
    return str(Path(run_dir).resolve())


def save_model(run_dir, model: Seq2Seq, vocab: Vocab, cfg: RunConfig, **facts) -> Path:
    """Write ``model.safetensors`` and ``model.json`` (atomically, weights first) into
    ``run_dir``; ``facts`` (key, test accuracy, ...) go into the JSON. Returns the JSON path."""
    run_dir = Path(run_dir)
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    io._atomic(run_dir / WEIGHTS, lambda tmp: save_file(state, tmp, metadata={"format": FORMAT}))
    meta = {"format": FORMAT, "cell": model.cell, "vocab_size": model.vocab_size, "emb": model.emb_dim,
            "hidden": model.hidden, "config": cfg.to_dict(), "vocab": vocab.to_dict(),
            "weights_sha256": sha256_of(run_dir / WEIGHTS), **facts}
    io.write_json(run_dir / META, meta)
    return run_dir / META


def _what_is(path: Path, obj) -> str:
    """One line on what a loaded foreign object is, and what to do with it."""
    if isinstance(obj, dict) and obj and all(isinstance(v, torch.Tensor) for v in obj.values()):
        return ("a plain state dict (weights without config or vocabulary): wrap your model with "
                "ns.from_torch(module, vocab=...) instead")
    if isinstance(obj, torch.nn.Module):
        return "a pickled torch module: load it yourself and wrap it with ns.from_torch(module, vocab=...)"
    return f"a torch file holding {type(obj).__name__}, not a neuronstats model"


def _read_legacy(path: Path) -> tuple[dict, dict, dict]:
    try:
        saved = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if "weights_only" in str(exc) or "Unsupported global" in str(exc):
            raise InputError("a torch pickle that holds code, not a neuronstats model (not loaded: opening it "
                             "would run that code)", path=path,
                             expected="a model.json + model.safetensors written by neuronstats; for your own "
                                      "module use ns.from_torch") from None
        raise InputError(f"not a readable model file ({first[:120]})", path=path,
                         expected="a model.json + model.safetensors written by neuronstats (is the file "
                                  "truncated?)") from None
    if not (isinstance(saved, dict) and {"config", "vocab", "state"} <= set(saved)):
        raise InputError(_what_is(path, saved), path=path, expected="a model file written by neuronstats")
    return saved["config"], saved["vocab"], saved["state"]


def _read_new(path: Path) -> tuple[dict, dict, dict]:
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"not valid JSON ({exc})", path=path, expected="model.json written by neuronstats") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise InputError(f"no 'format': {FORMAT!r} entry", path=path, expected="model.json written by neuronstats")
    weights = path.parent / WEIGHTS
    if not weights.is_file():
        raise InputError(f"{WEIGHTS} is missing beside it", path=path, expected="both files of the model")
    if meta.get("weights_sha256") and sha256_of(weights) != meta["weights_sha256"]:
        raise InputError("the weights' sha256 differs from the one in model.json (a changed or truncated file)",
                         path=weights, expected="the weights written with this model.json")
    try:
        state = load_file(weights)
    except Exception as exc:  # safetensors raises its own error type for a damaged header
        raise InputError(f"not a readable safetensors file ({str(exc).splitlines()[0]})", path=weights) from None
    return meta["config"], meta["vocab"], state


def read_model(path, map_location="cpu") -> tuple[Seq2Seq, Vocab, RunConfig]:
    """A model file (``model.json``, ``model.safetensors``, a run folder, or a legacy
    ``model.pt``) → (model in eval mode, vocabulary, run config)."""
    path = Path(path)
    if path.is_dir():
        found = model_file(path)
        if found is None:
            raise InputError("no model here", path=path, expected=f"a run folder with {META} (or {LEGACY})")
        path = found
    if path.name == WEIGHTS:
        path = path.parent / META
    if not path.is_file():
        raise InputError("model file not found", path=path, expected=f"a {META} written by `neuronstats train`")
    if path.suffix == ".pt" or path.suffix == ".pth":
        raw_cfg, raw_vocab, state = _read_legacy(path)
    elif path.suffix == ".json":
        raw_cfg, raw_vocab, state = _read_new(path)
    else:
        raise InputError(f"unknown model file type '{path.suffix}'", path=path,
                         expected=f"{META} (with {WEIGHTS} beside it) or a legacy {LEGACY}")
    try:
        cfg = config_from_dict(raw_cfg, path)
        vocab = Vocab.from_dict(raw_vocab)
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"cannot read the model's config or vocabulary: {exc}", path=path) from None
    model = Seq2Seq(cfg.model.cell, len(vocab), cfg.model.emb, cfg.model.hidden)
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        raise InputError(f"weights do not fit the model config: {str(exc).splitlines()[0]}", path=path) from None
    return model.to(map_location).eval(), vocab, cfg


def convert_pt(path) -> Path:
    """Rewrite a legacy ``model.pt`` beside itself as ``model.json`` + ``model.safetensors``
    (the ``.pt`` is then removed). Returns the new JSON path."""
    path = Path(path)
    model, vocab, cfg = read_model(path)
    metrics = path.parent / "metrics.json"
    facts = {}
    if metrics.is_file():
        m = json.loads(metrics.read_text())
        facts = {"model_key": m.get("model_key", ""), "test_accuracy": m.get("test", {}).get("accuracy")}
    out = save_model(path.parent, model, vocab, cfg, **facts)
    path.unlink()
    return out
