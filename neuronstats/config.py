"""Run configuration: dataclasses, strict TOML loading, and a stable hash.

A :class:`RunConfig` fully determines a trained model (data, model, training,
seed), so its hash is the cache key of that model. Unknown keys and wrong types
are errors that name the file and the key.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path

import tomllib

from neuronstats.errors import InputError


@dataclass(frozen=True)
class DataConfig:
    source: str = "synthetic"  # synthetic | gutenberg | lyrics | text
    path: str = ""  # folder / csv / text file; relative paths resolve against --data-dir
    min_len: int = 3  # tokens per line (inclusive)
    max_len: int = 20
    vocab_size: int = 5000  # top-K training words (specials and position tokens come on top)
    chunk_lines: int = 0  # >0: cut each book (or text file) into documents of this many lines (split unit)
    drop_lines: str = ""  # regex: matching lines are dropped (they break pairs), e.g. "^--" for attributions
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


@dataclass(frozen=True)
class ModelConfig:
    cell: str = "gru"  # gru | lstm | rnn (config.CELLS)
    emb: int = 128
    hidden: int = 256


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class RunConfig:
    """Everything that determines a trained model: data, model, training, seed. Written
    as TOML with the sections ``[data]``, ``[model]``, ``[train]`` (see analyses/).

    Examples
    --------
    >>> import neuronstats as ns
    >>> cfg = ns.RunConfig(model=ns.ModelConfig(cell="lstm", hidden=64))
    >>> cfg.model.cell, len(cfg.hash())
    ('lstm', 16)
    >>> ns.RunConfig(model=ns.ModelConfig(hidden=0)).check()
    Traceback (most recent call last):
    ...
    neuronstats.errors.InputError: ...hidden...
    """

    name: str = "run"
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    # fine-tuning: the model starts from the trained weights (and vocabulary) of this run
    init: "RunConfig | None" = None

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        inner = d
        while inner.get("init", 0) is None or isinstance(inner.get("init"), dict):
            if inner["init"] is None:
                inner.pop("init")
                break
            inner = inner["init"]
        return d

    def hash(self) -> str:
        """Stable 16-hex-digit hash of the config fields that determine the trained
        weights (the cache key adds the data's content: see model.train.model_key)."""
        d = self.to_dict()
        _drop_unkeyed(d)
        blob = json.dumps(d, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def check(self, path=None) -> "RunConfig":
        """Range-check every value; raise one :class:`InputError` naming the key."""
        for (section, key), (ok, expected) in _RANGES.items():
            value = getattr(getattr(self, section), key)
            if not ok(value):
                raise InputError(f"{section}.{key} = {value!r}", path=path, expected=expected)
        d = self.data
        if d.min_len > d.max_len:
            raise InputError(f"data.min_len = {d.min_len} > data.max_len = {d.max_len}", path=path,
                             expected="min_len ≤ max_len")
        if d.n_tokens > d.min_len:
            raise InputError(f"data.n_tokens = {d.n_tokens} > data.min_len = {d.min_len}", path=path,
                             expected="every target line to have n_tokens distinct positions")
        if d.val_frac + d.test_frac >= 1:
            raise InputError(f"data.val_frac + data.test_frac = {d.val_frac + d.test_frac}", path=path,
                             expected="< 1, leaving training documents")
        if d.drop_lines:
            try:
                re.compile(d.drop_lines)
            except re.error as exc:
                raise InputError(f"data.drop_lines is not a regular expression: {exc}", path=path) from None
        if self.init is not None:
            self.init.check(path)
            if self.init.model != self.model:
                raise InputError("[model] differs from [init.model]", path=path,
                                 expected="a fine-tuned model of the same cell and sizes as its parent")
            if self.data.max_len > self.init.data.max_len:
                raise InputError(f"data.max_len = {self.data.max_len} > init.data.max_len = "
                                 f"{self.init.data.max_len}", path=path,
                                 expected="no position beyond the parent's position tokens")
        return self


def _drop_unkeyed(d: dict) -> None:
    """Fields that never change the weights: the name, the thread count, and the corpus
    *path* (the data's content is keyed instead), recursively into ``init``."""
    d.pop("name", None)
    d["train"].pop("threads")
    d["data"].pop("path")
    if not d["data"].get("drop_lines"):
        d["data"].pop("drop_lines", None)
    if d.get("init"):
        _drop_unkeyed(d["init"])


def _positive(v) -> bool:
    return v > 0


def _nonneg(v) -> bool:
    return v >= 0


def _fraction(v) -> bool:
    return 0 < v < 1


_RANGES = {
    ("data", "min_len"): (_positive, "> 0"), ("data", "max_len"): (_positive, "> 0"),
    ("data", "vocab_size"): (_positive, "> 0"), ("data", "chunk_lines"): (_nonneg, "≥ 0"),
    ("data", "val_frac"): (_fraction, "0 < val_frac < 1"), ("data", "test_frac"): (_fraction, "0 < test_frac < 1"),
    ("data", "max_pairs"): (_nonneg, "≥ 0 (0 = all)"), ("data", "n_tokens"): (_positive, "> 0"),
    ("data", "draws_per_pair"): (_positive, "> 0"), ("data", "max_eval"): (_positive, "> 0"),
    ("data", "max_test"): (_positive, "> 0"), ("data", "synth_vocab"): (_positive, "> 0"),
    ("data", "synth_docs"): (_positive, "> 0"), ("data", "synth_lines_per_doc"): (_positive, "> 0"),
    ("data", "synth_zipf"): (_positive, "> 0"),
    ("model", "emb"): (_positive, "> 0"), ("model", "hidden"): (_positive, "> 0"),
    ("train", "lr"): (lambda v: 0 < v <= 1, "0 < lr ≤ 1"),
    ("train", "lr_decay"): (lambda v: 0 < v <= 1, "0 < lr_decay ≤ 1"),
    ("train", "batch_size"): (_positive, "> 0"), ("train", "max_epochs"): (_positive, "> 0"),
    ("train", "max_minutes"): (_nonneg, "≥ 0 (0 = no limit)"), ("train", "patience"): (_positive, "> 0"),
    ("train", "clip"): (_nonneg, "≥ 0 (0 = no clipping)"), ("train", "threads"): (_nonneg, "≥ 0 (0 = automatic)"),
}

_SECTIONS = {"data": DataConfig, "model": ModelConfig, "train": TrainConfig}
CELLS = ("gru", "lstm", "rnn")  # the cells with an adapter (neuronstats.model.cells; a test keeps the two in step)
_CHOICES = {
    ("data", "source"): {"synthetic", "gutenberg", "lyrics", "text"},
    ("model", "cell"): set(CELLS),
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
    if tp is tuple and isinstance(value, list):
        return tuple(value)
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
        if key == "init" and (value is None or isinstance(value, dict)):
            continue
        if key not in _SECTIONS:
            raise InputError(f"unknown section or key '{key}'", path=path,
                             expected="name, [data], [model], [train], [init]")
        if not isinstance(value, dict):
            raise InputError(f"'{key}' must be a table", path=path, expected=f"[{key}]")
        parts[key] = _build(_SECTIONS[key], value, key, path)
    init = raw.get("init") if isinstance(raw.get("init"), dict) else None
    parts.pop("init", None)
    if init is not None:
        parts["init"] = config_from_dict(init, path)
    if name is not None:
        parts["name"] = _check_type(name, str, "name", path)
    return RunConfig(**parts)


def read_toml(path, expected: str) -> dict:
    """The one TOML reader of run configs, studies and bench grids: a missing file or
    invalid TOML is one clear error naming the file (and line)."""
    path = Path(path)
    if not path.is_file():
        raise InputError("file not found", path=path, expected=expected)
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}", path=path, line=getattr(exc, "lineno", None),
                         expected=expected) from None
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text", path=path, expected=expected) from None


def load_config(path) -> RunConfig:
    """Read a run config from a TOML file (unknown keys and wrong types are errors)."""
    return config_from_dict(read_toml(path, "a TOML run config"), path).check(path)


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    return json.dumps(v)


def dump_config(cfg: RunConfig) -> str:
    """TOML text for a RunConfig; load_config(dump_config(c)) == c."""
    return _dump(cfg.to_dict(), "")


def _dump(d: dict, prefix: str) -> str:
    lines = [f"name = {_toml_value(d.pop('name'))}"] if not prefix else []
    init = d.pop("init", None)
    for section, values in d.items():
        lines.append(f"\n[{prefix}{section}]")
        lines += [f"{k} = {_toml_value(v)}" for k, v in values.items()]
    text = "\n".join(lines) + "\n"
    if init is not None:
        text += f"\n[{prefix}init]\nname = {_toml_value(init.pop('name'))}\n" + _dump(init, prefix + "init.")
    return text
