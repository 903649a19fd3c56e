"""Training: Adam, teacher forcing, cross-entropy over every target token (no extra
loss on w, as in the paper), gradient clipping, early stopping on validation loss (the
paper's rule; ``early_stop_on = "accuracy"`` uses validation positioning accuracy).

Deterministic on CPU: same config + seed → identical weights. The (w, T) draw and
the batch order of epoch e come from a generator seeded by (seed, e), so a run
killed mid-way and resumed from its last per-epoch checkpoint ends with the same
weights as an uninterrupted run. Trained models are cached under
``<cache root>/models/<name>-<key>/`` where the key (:func:`model_key`) covers the
config, the prepared data's content key, the parent model (fine-tuning) and
:data:`TRAIN_VERSION`; a changed input never returns an old model. A run stopped by
``max_epochs`` keeps its last checkpoint (``continue.pt``, about 4× the model file): the
same config with a larger ``max_epochs`` continues it instead of training from scratch,
to the weights an uninterrupted run would reach on the same device (nothing in epoch e
depends on ``max_epochs``). A run cut by ``max_minutes`` or by early stopping keeps none.

A non-finite loss stops training with :class:`TrainingDiverged`; such a model is
never cached. Held-out positioning accuracy is also measured at log-spaced counts of
training pairs seen (``history_curve`` in metrics.json): the learning curve.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from neuronstats import io
from neuronstats.config import RunConfig, dump_config
from neuronstats.data.cache import cache_root, data_key, prepare
from neuronstats.data.examples import Dataset
from neuronstats.errors import InputError
from neuronstats.examples import Examples
from neuronstats.hardware import arithmetic, keep_freed_memory, matmul_ceiling
from neuronstats.model.decode import positioning_accuracy
from neuronstats.model.files import has_model, model_file, read_model, save_model
from neuronstats.model.seq2seq import Seq2Seq
from neuronstats.model.store import CHECKPOINT, find_in_store, unfinished_checkpoint
from neuronstats.vocab import Vocab

logger = logging.getLogger(__name__)

TRAIN_VERSION = 2  # bump when the training code changes the weights it produces
CONTINUE = "continue.pt"  # the checkpoint a run stopped by max_epochs keeps, for a larger budget
CURVE_START = 10_000  # learning-curve points at 10k, 20k, 40k, ... training pairs seen


class TrainingDiverged(InputError):
    """The loss or the weights became non-finite; nothing was cached (the CLI prints one
    line and exits 2)."""


def resolve_device(name: str) -> str:
    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise InputError("train.device = 'cuda' but no CUDA GPU is visible", expected="auto or cpu")
    return name


def device_description(device: str) -> str:
    if device == "cuda":
        return f"cuda ({torch.cuda.get_device_name(0)})"
    return f"cpu ({torch.get_num_threads()} threads)"


@dataclass
class TrainResult:
    config: RunConfig
    run_dir: Path
    model: Seq2Seq
    vocab: Vocab
    history: list = field(default_factory=list)
    test: dict = field(default_factory=dict)
    device: str = "cpu"
    stopped: str = ""
    train_seconds: float = 0.0
    key: str = ""
    matmul_ceiling_gflops: float | None = None  # measured right after training (CPU runs); None if not

    def __repr__(self) -> str:
        """The model, how its training ended and its test positioning: never the weights
        or the per-epoch history in full."""
        c = self.config
        acc = self.test.get("accuracy")
        where = f"{c.data.source} " if getattr(c.data, "source", "") else ""
        return (f"TrainResult({where}{c.model.cell.upper()} emb {c.model.emb}, hidden {c.model.hidden}, vocabulary "
                f"{len(self.vocab)}, seed {c.train.seed}: {len(self.history)} epochs "
                f"({self.stopped or 'not stopped'}), "
                f"{self.train_seconds / 60:.1f} min on {self.device}, test positioning "
                + ("–" if acc is None else f"{100 * acc:.1f} %") + f"; key {self.key or '–'}; run_dir {self.run_dir})")


def build_model(cfg: RunConfig, vocab_size: int) -> Seq2Seq:
    torch.manual_seed(cfg.train.seed)
    return Seq2Seq(cfg.model.cell, vocab_size, cfg.model.emb, cfg.model.hidden)


def untrained_models(cfg: RunConfig, vocab_size: int, seeds) -> list[Seq2Seq]:
    """The models ``cfg`` describes for each seed, as initialised before any training
    (eval mode): the untrained-network baseline."""
    return [build_model(replace(cfg, train={"seed": s}), vocab_size).eval() for s in seeds]


def batches(ex: Examples, batch_size: int, rng) -> list[np.ndarray]:
    """Shuffled batches of examples of similar target length (little padding)."""
    order = rng.permutation(len(ex))
    chunk = batch_size * 50
    out = []
    for a in range(0, len(order), chunk):
        part = order[a : a + chunk]
        part = part[np.argsort(ex.tgt_len[part], kind="stable")]
        out += [part[b : b + batch_size] for b in range(0, len(part), batch_size)]
    return [out[i] for i in rng.permutation(len(out))]


def batch_loss(model: Seq2Seq, ex: Examples, idx: np.ndarray, device) -> tuple[torch.Tensor, int]:
    """Summed cross-entropy over the batch's target tokens, and their count. Logits are
    computed only at real (non-pad) positions: the output layer dominates the cost."""
    ls, lt = ex.src_len[idx], ex.tgt_len[idx]
    src = torch.as_tensor(ex.src[idx, : ls.max()], device=device)
    tgt = torch.as_tensor(ex.tgt[idx, : lt.max()], device=device)
    dec_in = torch.cat([torch.full_like(tgt[:, :1], model.sos_id), tgt[:, :-1]], dim=1)  # <sos> y1 .. y_{L-1}
    hs = model.decode_teacher(model.encode(src, torch.as_tensor(ls)), dec_in)
    mask = tgt != model.pad_id
    logits = model.out(hs[mask])
    return F.cross_entropy(logits, tgt[mask], reduction="sum"), int(mask.sum())


@torch.no_grad()
def eval_loss(model, ex: Examples, device, batch_size: int = 500) -> float:
    model.eval()
    total, count = 0.0, 0
    for a in range(0, len(ex), batch_size):
        loss, n = batch_loss(model, ex, np.arange(a, min(a + batch_size, len(ex))), device)
        total, count = total + float(loss), count + n
    return total / max(count, 1)


def _epoch_examples(ds: Dataset, cfg: RunConfig, epoch: int) -> Examples:
    seed = hash_seed(cfg.train.seed, epoch if cfg.data.resample_each_epoch else 0)
    return ds.examples("train", seed, draws=cfg.data.draws_per_pair)


def hash_seed(*parts: int) -> int:
    return int(np.random.SeedSequence(list(parts)).generate_state(1)[0])


def heldout_examples(ds: Dataset, cfg: RunConfig) -> Examples:
    """The held-out test examples: (w, T) drawn from the data's split seed, so every
    training seed (and both cells) is scored on the same examples."""
    ex = ds.examples("test", hash_seed(cfg.data.split_seed, 2 * 10**6))
    sub = ex.subset(np.arange(min(len(ex), cfg.data.max_test)))
    sub.n_dropped_unk = ex.n_dropped_unk  # pairs left out because a drawn w is <unk>
    return sub


def split_examples(ds: Dataset, cfg: RunConfig, split: str) -> Examples:
    """The examples of ``split`` that every command uses: the held-out test examples, or
    (w, T) drawn from the split seed for train/val. Same split → same examples."""
    if split == "test":
        return heldout_examples(ds, cfg)
    if split not in ("train", "val"):
        raise InputError(f"split {split!r}", expected="train | val | test")
    return ds.examples(split, hash_seed(cfg.data.split_seed, 3 * 10**6, 0 if split == "train" else 1))


def load_with_data(path, data_dir=None, cache_dir=None):
    """A trained model file and its prepared data → (model, vocab, cfg, dataset). A
    fine-tuned model's data is encoded with its own (the parent's) vocabulary."""
    model, vocab, cfg = load_model(path)
    ds = prepare(cfg.data, data_dir, cache_dir=cache_dir, vocab=vocab if cfg.init is not None else None)
    check_vocab(vocab.to_dict(), ds.vocab, path)
    return model, vocab, cfg, ds


def model_key(cfg: RunConfig, data_key: str, parent_key: str = "") -> str:
    """The content key of a trained model: config, data content, parent, code version."""
    blob = f"{cfg.hash()}|{data_key}|{parent_key}|train-v{TRAIN_VERSION}"
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def run_dir_for(cfg: RunConfig, cache_dir=None, data_dir=None, key: str | None = None, store=None) -> Path:
    """Where the model for ``cfg`` is: in the shipped ``store`` (by content key), else in
    the cache (or will be trained into it)."""
    if key is None:
        key = resolve_key(cfg, data_dir)
    if store is not None and (shipped := find_in_store(store, key)) is not None:
        return shipped
    models = cache_root(cache_dir) / "models"
    same = sorted(models.glob(f"*-{key}"), key=lambda p: (not has_model(p), p.name))
    return same[0] if same else models / f"{cfg.name}-{key}"  # the same model under another name is reused


def resolve_key(cfg: RunConfig, data_dir=None) -> str:
    """The model key, computing the data keys (content hashes) of cfg and its parents."""
    parent = resolve_key(cfg.init, data_dir) if cfg.init is not None else ""
    return model_key(cfg, data_key(cfg.data, data_dir), parent)


def check_vocab(saved: dict, vocab: Vocab, path) -> None:
    if saved["itos"] != vocab.itos or saved["n_positions"] != vocab.n_positions:
        raise InputError(
            f"checkpoint vocabulary ({len(saved['itos'])} tokens) does not match the data's ({len(vocab)} tokens)",
            path=path, expected="a checkpoint trained on this corpus and config")


def _set_threads(cfg: RunConfig) -> None:
    """One torch thread per process when several train at once (``threads = 1``), all
    cores for one process alone (``threads = 0``): an oversubscribed torch on a busy
    2-core machine was measured about 60× slower. Freed memory is kept for the next step
    (:func:`~neuronstats.hardware.keep_freed_memory`)."""
    keep_freed_memory()
    torch.set_num_threads(cfg.train.threads or max(1, len(os.sched_getaffinity(0))))


def train(cfg: RunConfig, data_dir=None, cache_dir=None, progress: bool = True,
          dataset: Dataset | None = None, log=None, store=None) -> TrainResult:
    """Train (or load from cache, or resume) the model ``cfg`` describes.

    The run folder is keyed by the config and the data's content, so the same config
    trains once; a killed run resumes from its last epoch's checkpoint. ``store``: a
    folder of shipped models (:mod:`neuronstats.model.store`, e.g. ``results/models``)
    searched by content key before the cache; a model found there is never retrained,
    and a run the store carries unfinished resumes from its checkpoint
    (:func:`~neuronstats.model.store.export_checkpoint`).

    Examples
    --------
    >>> import neuronstats as ns
    >>> cfg = ns.RunConfig(data=ns.DataConfig(synth_docs=60, synth_vocab=30, max_len=8, max_test=100),
    ...                    model=ns.ModelConfig(emb=16, hidden=16), train=ns.TrainConfig(max_epochs=1, threads=1))
    >>> run = ns.train(cfg, progress=False)
    >>> (run.run_dir / "model.json").is_file(), ns.train(cfg, progress=False).run_dir == run.run_dir
    (True, True)
    """
    cfg.check()
    parent = None
    if cfg.init is not None:  # fine-tuning: the parent first (cached, or trained now)
        parent = train(cfg.init, data_dir=data_dir, cache_dir=cache_dir, progress=progress, log=log, store=store)
    reuse = dataset is not None and dataset.key and parent is None  # its key is data_key(cfg.data)
    dkey = dataset.key if reuse else _data_key(cfg, data_dir)
    key = model_key(cfg, dkey, parent.key if parent else "")
    run_dir = run_dir_for(cfg, cache_dir, key=key, store=store)
    if has_model(run_dir):
        return load_trained(run_dir, dataset=dataset, data_dir=data_dir)
    with io.exclusive(run_dir.parent / f".{key}.lock"):  # one trainer per model (content key), across processes
        if has_model(run_dir):  # another process finished it while we waited
            return load_trained(run_dir, dataset=dataset, data_dir=data_dir)
        return _train(cfg, run_dir, key, dkey, parent, data_dir, cache_dir, progress, dataset, log, store)


def _train(cfg, run_dir, key, dkey, parent, data_dir, cache_dir, progress, dataset, log, store) -> TrainResult:
    _set_threads(cfg)
    device = resolve_device(cfg.train.device)
    ds = dataset or prepare(cfg.data, data_dir, cache_dir=cache_dir, vocab=parent.vocab if parent else None)
    model = build_model(cfg, len(ds.vocab)).to(device)
    if parent is not None:
        check_vocab(parent.vocab.to_dict(), ds.vocab, parent.run_dir / "model.pt")
        model.load_state_dict(parent.model.state_dict())
    opt = torch.optim.Adam(model.parameters(), lr=cfg.train.lr)
    val_ex = ds.examples("val", hash_seed(cfg.train.seed, 10**6))
    acc_ex = val_ex.subset(np.arange(min(len(val_ex), cfg.data.max_eval)))
    val_ex = val_ex.subset(np.arange(min(len(val_ex), 10 * cfg.data.max_eval)))  # validation loss: enough, not all

    state = {"epoch": 0, "best_val": float("inf"), "best_state": None, "bad": 0, "history": [], "elapsed": 0.0,
             "curve": [], "pairs_seen": 0}
    ckpt = run_dir / CHECKPOINT
    carried = unfinished_checkpoint(store, key) if store is not None else None
    if carried is not None and _epochs_done(carried) > (_epochs_done(ckpt) if ckpt.exists() else -1):
        run_dir.mkdir(parents=True, exist_ok=True)  # the store carries this run further, from another machine
        io.copy_file(carried, ckpt)
    if not ckpt.exists() and (shorter := _shorter_run(cfg, run_dir.parent, dkey, parent.key if parent else "")):
        run_dir.mkdir(parents=True, exist_ok=True)
        io.copy_file(shorter / CONTINUE, ckpt)
        _log(log, f"continuing {shorter.name} (stopped by max_epochs) up to max_epochs = {cfg.train.max_epochs}")
    if ckpt.exists():
        saved = torch.load(ckpt, map_location=device, weights_only=True)
        check_vocab(saved["vocab"], ds.vocab, ckpt)
        model.load_state_dict(saved["model"])
        opt.load_state_dict(saved["optim"])
        state = {"curve": [], "pairs_seen": 0, **saved["state"]}
        _log(log, f"resuming {run_dir.name} after epoch {state['epoch']}")
        before = {h.get("arithmetic") for h in state["history"]} - {None, arithmetic()}
        if before:
            _log(log, f"warning: {run_dir.name}'s earlier epochs ran on {', '.join(sorted(before))}, this machine "
                      f"is {arithmetic()}: its weights will not match a run on one machine bit for bit")
    run_dir.mkdir(parents=True, exist_ok=True)
    io.write_text(run_dir / "config.toml", dump_config(cfg))

    stopped = "max_epochs"
    limit_s = cfg.train.max_minutes * 60
    while state["epoch"] < cfg.train.max_epochs:
        if state["bad"] >= cfg.train.patience:  # killed after an early-stopping epoch's checkpoint
            stopped = "early_stopping"
            break
        if limit_s and state["elapsed"] >= limit_s:
            stopped = "max_minutes"
            break
        epoch = state["epoch"]
        for g in opt.param_groups:
            g["lr"] = cfg.train.lr * cfg.train.lr_decay**epoch
        ex = _epoch_examples(ds, cfg, epoch)
        rng = np.random.default_rng(hash_seed(cfg.train.seed, epoch, 1))
        model.train()
        t0 = time.perf_counter()
        tot, ntok, pad_tok = 0.0, 0, 0
        seen = state["pairs_seen"]
        next_point = _next_curve_point(seen)
        bar = tqdm(batches(ex, cfg.train.batch_size, rng), desc=f"{cfg.name} epoch {epoch + 1}",
                   disable=not progress, leave=False, unit="batch")
        for idx in bar:
            loss, n = batch_loss(model, ex, idx, device)
            if not torch.isfinite(loss):
                raise TrainingDiverged(f"{cfg.name}: the loss became {loss.item()} in epoch {epoch + 1} "
                                       f"(lr = {cfg.train.lr}); nothing was cached — lower train.lr or set "
                                       "train.clip")
            opt.zero_grad(set_to_none=True)
            (loss / n).backward()
            if cfg.train.clip:
                torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.train.clip)
            opt.step()
            tot, ntok = tot + loss.item(), ntok + n
            pad_tok += len(idx) * int(ex.tgt_len[idx].max()) - n
            seen += len(idx)
            if seen >= next_point:
                acc_now = positioning_accuracy(model, acc_ex, device=device)["accuracy"]
                model.train()
                state["curve"].append({"pairs_seen": seen, "val_accuracy": acc_now,
                                       "minutes": (state["elapsed"] + time.perf_counter() - t0) / 60})
                next_point = _next_curve_point(seen)
            if limit_s and state["elapsed"] + time.perf_counter() - t0 >= limit_s:
                break
        secs = time.perf_counter() - t0
        state["elapsed"] += secs
        state["pairs_seen"] = seen
        if not all(torch.isfinite(p).all() for p in model.parameters()):
            raise TrainingDiverged(f"{cfg.name}: non-finite weights after epoch {epoch + 1}; nothing was cached")
        val = eval_loss(model, val_ex, device)
        acc = positioning_accuracy(model, acc_ex, device=device)["accuracy"]
        state["epoch"] += 1
        state["history"].append({
            "epoch": state["epoch"], "train_loss": tot / max(ntok, 1), "val_loss": val,
            "val_accuracy": acc, "minutes": state["elapsed"] / 60, "tokens_per_s": ntok / secs,
            "padding_fraction": pad_tok / max(pad_tok + ntok, 1), "pairs_seen": seen,
            "lr": cfg.train.lr * cfg.train.lr_decay**epoch, "n_train": len(ex), "arithmetic": arithmetic()})
        h = state["history"][-1]
        _log(log, f"{cfg.name} epoch {h['epoch']}: train {h['train_loss']:.3f} val {val:.3f} "
                  f"acc {acc:.3f} ({h['minutes']:.1f} min, {h['tokens_per_s']:.0f} tok/s)")
        first = state["history"][0]["train_loss"]
        if len(state["history"]) > 1 and h["train_loss"] > 1.5 * first:
            _log(log, f"warning: {cfg.name} training loss {h['train_loss']:.3f} is well above its first "
                      f"epoch's {first:.3f}: training may be diverging (lower train.lr)")
        score = val if cfg.train.early_stop_on == "loss" else -acc  # lower is better
        if score < state["best_val"]:
            state["best_val"], state["bad"] = score, 0
            state["best_state"] = {k: v.detach().clone() for k, v in model.state_dict().items()}
        else:
            state["bad"] += 1
        io.save_torch(ckpt, {"model": model.state_dict(), "optim": opt.state_dict(), "state": state,
                             "vocab": ds.vocab.to_dict()})
        if state["bad"] >= cfg.train.patience:
            stopped = "early_stopping"
            break
    if state["best_state"] is not None:
        model.load_state_dict(state["best_state"])
    test_ex = heldout_examples(ds, cfg)
    test = positioning_accuracy(model, test_ex, device=device)
    test["n_dropped_unk"] = test_ex.n_dropped_unk
    # The CPU's matmul ceiling with this run's threads, measured now, under the load the run trained
    # under: a throughput ratio against a ceiling measured later (when a bench collects cached runs)
    # would divide by a number the run never saw.
    ceiling = None
    if str(device) == "cpu":
        ceiling = matmul_ceiling(repeats=5)
    metrics = {"config_hash": cfg.hash(), "model_key": key, "data_key": ds.key, "parent_key": parent.key if parent
               else "", "train_version": TRAIN_VERSION, "name": cfg.name, "device": device_description(device),
               "stopped": stopped, "train_seconds": state["elapsed"], "history": state["history"],
               "history_curve": state["curve"], "test": test, "data": ds.summary(),
               "n_params": sum(p.numel() for p in model.parameters()), "matmul_ceiling_gflops": ceiling}
    io.write_json(run_dir / "metrics.json", metrics)
    save_model(run_dir, model, ds.vocab, cfg, model_key=key, test_accuracy=test["accuracy"])
    if stopped == "max_epochs" and ckpt.exists() and not (limit_s and state["elapsed"] >= limit_s):
        ckpt.replace(run_dir / CONTINUE)  # a larger max_epochs continues from here (_shorter_run)
    else:
        ckpt.unlink(missing_ok=True)
    return TrainResult(cfg, run_dir, model, ds.vocab, state["history"], test, device_description(device),
                       stopped, state["elapsed"], key, ceiling)


def _epochs_done(checkpoint: Path) -> int:
    """The epochs a per-epoch checkpoint has trained."""
    return torch.load(checkpoint, map_location="cpu", weights_only=True)["state"]["epoch"]


def _shorter_run(cfg: RunConfig, models: Path, data_key: str, parent_key: str) -> Path | None:
    """The finished run of this very config but a smaller ``max_epochs`` (the largest
    such) that stopped by max_epochs and kept its checkpoint, or None. Its key, computed
    with its max_epochs, proves the same data, parent, seed and code."""
    for epochs in range(cfg.train.max_epochs - 1, 0, -1):
        key = model_key(replace(cfg, train={"max_epochs": epochs}), data_key, parent_key)
        for run in sorted(models.glob(f"*-{key}")):
            if (run / CONTINUE).is_file() and has_model(run):
                return run
    return None


def _log(log, msg: str) -> None:
    logger.info(msg)
    if log:
        log(msg)


def _data_key(cfg: RunConfig, data_dir) -> str:
    return data_key(cfg.data, data_dir)


def _next_curve_point(seen: int) -> int:
    p = CURVE_START
    while p <= seen:
        p *= 2
    return p


def load_model(path, map_location="cpu") -> tuple[Seq2Seq, Vocab, RunConfig]:
    """Load a trained model (``model.json``, a run folder, or a legacy ``model.pt``) →
    (model, vocab, config). See :mod:`neuronstats.model.files`."""
    return read_model(path, map_location)


def load_trained(run_dir, dataset: Dataset | None = None, data_dir=None) -> TrainResult:
    run_dir = Path(run_dir)
    model, vocab, cfg = load_model(run_dir)
    if dataset is not None:
        check_vocab(vocab.to_dict(), dataset.vocab, model_file(run_dir))
    metrics = json.loads((run_dir / "metrics.json").read_text())
    return TrainResult(cfg, run_dir, model, vocab, metrics["history"], metrics["test"], metrics["device"],
                       metrics["stopped"], metrics["train_seconds"], metrics.get("model_key", ""),
                       metrics.get("matmul_ceiling_gflops"))


def replace(cfg: RunConfig, **sections) -> RunConfig:
    """Copy of cfg with some fields changed: ``replace(cfg, train={"seed": 3})``."""
    parts = {k: dataclasses.replace(getattr(cfg, k), **v) for k, v in sections.items() if k != "name"}
    new = dataclasses.replace(cfg, **parts)
    if "name" in sections:
        new.name = sections["name"]
    return new
