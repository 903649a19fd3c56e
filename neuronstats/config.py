"""Run configuration: dataclasses, strict TOML loading, and a stable hash.

A :class:`RunConfig` fully determines a trained model (data, model, training,
seed), so its hash is the cache key of that model. Unknown keys and wrong types
are errors that name the file and the key.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path

import tomllib

from neuronstats.errors import InputError


@dataclass
class DataConfig:
    source: str = "synthetic"  # synthetic | gutenberg | lyrics | text
    path: str = ""  # folder / csv / text file; relative paths resolve against --data-dir
    min_len: int = 3  # tokens per line (inclusive)
    max_len: int = 20
    vocab_size: int = 5000  # top-K training words (specials and position tokens come on top)
    chunk_lines: int = 0  # >0: cut each book into documents of this many lines (split unit)
    val_frac: float = 0.1
    test_frac: float = 0.1
    split_seed: int = 0
    max_pairs: int = 0  # >0: keep at most this many training pairs (seeded subsample)
    n_tokens: int = 1  # control pairs (w, <pT>) per example; >1 is the multi-token task
    resample_each_epoch: bool = True  # draw a new (w, T) for every training pair each epoch
    draws_per_pair: int = 1  # training examples per pair per epoch, each with its own (w, T)
    max_eval: int = 2000  # validation examples used for accuracy during training
    max_test: int = 5000  # test examples used for the final accuracy
    # synthetic corpus
    synth_vocab: int = 500
    synth_docs: int = 2000
    synth_lines_per_doc: int = 26
    synth_zipf: float = 1.1


@dataclass
class ModelConfig:
    cell: str = "gru"  # gru | lstm
    emb: int = 128
    hidden: int = 256


@dataclass
class TrainConfig:
    seed: int = 0
    lr: float = 3e-3
    lr_decay: float = 1.0  # multiply the learning rate by this after every epoch
    batch_size: int = 64
    max_epochs: int = 20
    max_minutes: float = 0.0  # >0: stop after this much training time (checked per batch)
    patience: int = 3  # early stopping: epochs without improvement
    early_stop_on: str = "loss"  # loss (validation loss, the paper's rule) | accuracy (validation positioning)
    clip: float = 1.0  # gradient-norm clipping
    device: str = "auto"  # auto | cpu | cuda
    threads: int = 0  # >0: torch.set_num_threads


@dataclass
class RunConfig:
    name: str = "run"
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def hash(self) -> str:
        """Stable 16-hex-digit hash of everything that determines the trained weights."""
        d = self.to_dict()
        d.pop("name")
        d["train"].pop("threads")
        for (section, key), default in _ADDED_LATER.items():  # keeps older cache keys valid
            if d[section].get(key) == default:
                d[section].pop(key)
        blob = json.dumps(d, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


# fields added after models were cached: left out of the hash while at their default
_ADDED_LATER = {("data", "draws_per_pair"): 1, ("train", "early_stop_on"): "loss"}

_SECTIONS = {"data": DataConfig, "model": ModelConfig, "train": TrainConfig}
_CHOICES = {
    ("data", "source"): {"synthetic", "gutenberg", "lyrics", "text"},
    ("model", "cell"): {"gru", "lstm"},
    ("train", "device"): {"auto", "cpu", "cuda"},
    ("train", "early_stop_on"): {"loss", "accuracy"},
}


def _check_type(value, tp, where: str, path):
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(tp):
            try:
                return _check_type(value, arg, where, path)
            except InputError:
                pass
        raise InputError(f"{where} = {value!r} has the wrong type", path=path, expected=str(tp))
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if tp is type(None) and value is None:
        return None
    if isinstance(tp, type) and isinstance(value, tp) and not (tp is int and isinstance(value, bool)):
        return value
    name = getattr(tp, "__name__", str(tp))
    raise InputError(f"{where} = {value!r} has the wrong type", path=path, expected=name)


def _build(cls, raw: dict, section: str, path):
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    kwargs = {}
    for key, value in raw.items():
        if key not in known:
            raise InputError(
                f"unknown key '{section}.{key}'", path=path, expected="one of " + ", ".join(sorted(known))
            )
        kwargs[key] = _check_type(value, hints[key], f"{section}.{key}", path)
        allowed = _CHOICES.get((section, key))
        if allowed and kwargs[key] not in allowed:
            raise InputError(f"{section}.{key} = {value!r}", path=path, expected=" | ".join(sorted(allowed)))
    return cls(**kwargs)


def config_from_dict(raw: dict, path=None) -> RunConfig:
    """Build a RunConfig from a nested dict (as read from TOML), strictly."""
    raw = dict(raw)
    name = raw.pop("name", None)
    parts = {}
    for key, value in raw.items():
        if key not in _SECTIONS:
            raise InputError(f"unknown section or key '{key}'", path=path, expected="name, [data], [model], [train]")
        if not isinstance(value, dict):
            raise InputError(f"'{key}' must be a table", path=path, expected=f"[{key}]")
        parts[key] = _build(_SECTIONS[key], value, key, path)
    cfg = RunConfig(**parts)
    if name is not None:
        cfg.name = _check_type(name, str, "name", path)
    return cfg


def load_config(path) -> RunConfig:
    """Read a run config from a TOML file (unknown keys and wrong types are errors)."""
    path = Path(path)
    if not path.is_file():
        raise InputError("config file not found", path=path, expected="a TOML run config")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None)
        raise InputError(f"not valid TOML: {exc}", path=path, line=line) from None
    return config_from_dict(raw, path)


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    return json.dumps(v)


def dump_config(cfg: RunConfig) -> str:
    """TOML text for a RunConfig; load_config(dump_config(c)) == c."""
    d = cfg.to_dict()
    lines = [f"name = {_toml_value(d.pop('name'))}"]
    for section, values in d.items():
        lines.append(f"\n[{section}]")
        lines += [f"{k} = {_toml_value(v)}" for k, v in values.items()]
    return "\n".join(lines) + "\n"
