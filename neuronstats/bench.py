"""Benchmarks (not timed tests): the CPU matmul ceiling, training throughput as a
ratio to it, and time-to-accuracy curves for a grid of training configurations.

``neuronstats bench train GRID.toml --data-dir ../shared/data --out results/bench`` trains
every configuration in the grid (cached, resumable), and writes
``curves.csv`` (corpus, cell, config, minutes, epoch, accuracy, …),
``runs.csv`` (one row per configuration: best accuracy, test accuracy, throughput)
and ``curves.png``.
"""

from __future__ import annotations

import ctypes
import dataclasses
import logging
import os
import re
import shutil
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.linear_model import RidgeClassifier
from sklearn.preprocessing import StandardScaler

from neuronstats import io
from neuronstats.config import DataConfig, ModelConfig, RunConfig, config_from_dict, read_toml
from neuronstats.data.cache import data_key, prepare
from neuronstats.engine import dask_session, with_kept_memory
from neuronstats.errors import InputError
from neuronstats.hardware import M_TRIM_THRESHOLD, keep_freed_memory, matmul_ceiling
from neuronstats.microscope.intervene import Intervention, run, sweep
from neuronstats.microscope.record import record
from neuronstats.model.files import has_model
from neuronstats.model.seq2seq import Seq2Seq
from neuronstats.model.train import batch_loss, batches, build_model, run_dir_for, train
from neuronstats.stages.hypothesis import storing
from neuronstats.stages.neuronset import find
from neuronstats.stats.bootstrap import multi_bootstrap
from neuronstats.stats.controls import random_neuron_sets
from neuronstats.stats.permutation import grouped_folds, permuted_labels, probe_permutation_test
from neuronstats.study import load_study


def train_flops_per_token(cell: str, emb: int, hidden: int, vocab: int, src_per_tgt: float) -> float:
    """Multiply-add FLOPs (×2) of forward + backward (≈ 3× forward) per target token:
    output layer, decoder cell, and the encoder's share (source tokens per target token)."""
    gates = 3 if cell == "gru" else 4
    rnn = 2 * gates * (emb + hidden) * hidden
    out = 2 * hidden * vocab
    return 3 * (out + rnn + src_per_tgt * rnn)


def load_grid(path) -> list:
    """A grid file: ``[defaults]`` (a run config) and ``[[run]]`` tables that override it."""
    path = Path(path)
    raw = read_toml(path, "a TOML file with [defaults] and [[run]]")
    unknown = set(raw) - {"defaults", "run"}
    if unknown:
        raise InputError(f"unknown key(s) {sorted(unknown)}", path=path, expected="[defaults] and [[run]]")
    base = raw.get("defaults", {})
    cfgs = []
    for i, entry in enumerate(raw.get("run", [])):
        merged = {k: dict(v) if isinstance(v, dict) else v for k, v in base.items()}
        for k, v in entry.items():
            if isinstance(v, dict):
                merged.setdefault(k, {}).update(v)
            else:
                merged[k] = v
        cfgs.append(config_from_dict(merged, f"{path} [[run]] #{i + 1}"))
    return cfgs


def curves_table(results) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(per-epoch curves, per-run summary) from a list of TrainResult."""
    rows, runs = [], []
    for r in results:
        c = r.config
        for h in r.history:
            rows.append({"corpus": c.data.source, "cell": c.model.cell, "config": c.name,
                         "config_hash": c.hash(), "minutes": h["minutes"], "epoch": h["epoch"],
                         "accuracy": h["val_accuracy"], "val_loss": h["val_loss"],
                         "train_loss": h["train_loss"], "tokens_per_s": h["tokens_per_s"]})
        tps = [h["tokens_per_s"] for h in r.history]
        runs.append({"corpus": c.data.source, "cell": c.model.cell, "config": c.name, "config_hash": c.hash(),
                     "hidden": c.model.hidden, "emb": c.model.emb, "vocab_size": len(r.vocab),
                     "max_len": c.data.max_len, "lr": c.train.lr, "batch_size": c.train.batch_size,
                     "epochs": len(r.history), "minutes": r.train_seconds / 60,
                     "best_val_accuracy": max((h["val_accuracy"] for h in r.history), default=float("nan")),
                     "test_accuracy": r.test.get("accuracy"), "n_test": r.test.get("n"),
                     "stopped": r.stopped, "device": r.device,
                     "tokens_per_s": sum(tps) / len(tps) if tps else float("nan")})
    return pd.DataFrame(rows), pd.DataFrame(runs)


def learning_curves_table(results) -> pd.DataFrame:
    """Held-out (validation) positioning accuracy against training pairs seen, from the
    log-spaced points every training run records (``history_curve``), per run."""
    rows = []
    for r in results:
        c = r.config
        metrics = __import__("json").loads((r.run_dir / "metrics.json").read_text())
        for h in metrics.get("history_curve", []):
            rows.append({"corpus": c.data.source, "dataset": c.name.rsplit("-", 2)[0], "cell": c.model.cell,
                         "config": c.name, "hidden": c.model.hidden, "vocab": len(r.vocab),
                         "fine_tuned": c.init is not None, "pairs_seen": h["pairs_seen"],
                         "val_accuracy": h["val_accuracy"], "minutes": h["minutes"], "device": r.device,
                         "test_accuracy_final": r.test.get("accuracy")})
    return pd.DataFrame(rows)


LINESTYLES = ("-", "--", ":", "-.", (0, (5, 1)), (0, (3, 1, 1, 1, 1, 1)))
COLOURS = tuple(f"C{i}" for i in range(10))


def curve_styles(configs) -> dict:
    """``{config name: (colour, line style)}`` so that no two curves of a plot look alike.

    When every name holds a seed, ``<model>-s<seed>`` (a study's models) or
    ``<model>-s<seed>-<variant>``, the colour says the seed and the line style the model
    (dataset and cell, and the variant): 15 curves of 3 models × 5 seeds are 5 colours ×
    3 styles. Otherwise each config gets the next colour, and the next line
    style after every 10 colours. Distinct for up to 60 curves."""
    names = list(dict.fromkeys(configs))
    parsed = [re.fullmatch(r"(.+)-s(\d+)(-.+)?", str(n)) for n in names]
    if names and all(parsed):
        model = [m.group(1) + (m.group(3) or "") for m in parsed]
        groups = list(dict.fromkeys(model))
        seeds = sorted({int(m.group(2)) for m in parsed})
        if len(seeds) <= len(COLOURS) and len(groups) <= len(LINESTYLES):
            return {n: (COLOURS[seeds.index(int(m.group(2)))], LINESTYLES[groups.index(g)])
                    for n, m, g in zip(names, parsed, model)}
    return {n: (COLOURS[i % len(COLOURS)], LINESTYLES[(i // len(COLOURS)) % len(LINESTYLES)])
            for i, n in enumerate(names)}


def plot_learning_curves(curves: pd.DataFrame, path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = sorted(curves["corpus"].unique()) if len(curves) else []
    fig, axes = plt.subplots(1, max(1, len(groups)), figsize=(6 * max(1, len(groups)), 4.5), squeeze=False)
    for ax, corpus in zip(axes[0], groups):
        sub = curves[curves["corpus"] == corpus]
        styles = curve_styles(sorted(sub["config"].unique()))
        for cfg, g in sub.groupby("config", sort=True):
            colour, ls = styles[cfg]
            ax.plot(g["pairs_seen"], 100 * g["val_accuracy"], marker="o", ms=3, lw=1, label=cfg, color=colour, ls=ls)
        ax.axhline(95, color="grey", lw=0.8, ls=":")
        ax.set_xscale("log")
        ax.set(title=f"{corpus}: validation positioning accuracy", xlabel="training pairs seen (log)",
               ylabel="accuracy (%)", ylim=(0, 100))
        ax.legend(fontsize=6, ncol=2, handlelength=3.5)
    fig.tight_layout()
    fig.savefig(path, dpi=120, metadata={"Software": None})
    plt.close(fig)


def plot_curves(curves: pd.DataFrame, path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    corpora = sorted(curves["corpus"].unique())
    fig, axes = plt.subplots(1, len(corpora), figsize=(6 * len(corpora), 4.5), squeeze=False)
    for ax, corpus in zip(axes[0], corpora):
        sub = curves[curves["corpus"] == corpus]
        styles = curve_styles(sorted(sub["config"].unique()))
        for cfg, g in sub.groupby("config", sort=True):
            colour, ls = styles[cfg]
            ax.plot(g["minutes"], 100 * g["accuracy"], marker="o", ms=3, label=f"{cfg}", color=colour, ls=ls)
        ax.axhline(95, color="grey", lw=0.8, ls=":")
        ax.set(title=f"{corpus}: held-out positioning accuracy", xlabel="training minutes (this CPU)",
               ylabel="accuracy (%)", ylim=(0, 100))
        ax.legend(fontsize=7, handlelength=3.5)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def run_bench(grid_path, data_dir, out_dir, cache_dir=None, only: str = "", log=None, progress=False,
              cached_only: bool = False, prefix: str = ""):
    """Train every grid configuration (cached) and write curves.csv, runs.csv, curves.png
    and the learning curves (learning_curves.csv/png). ``grid_path`` may also be a study
    TOML (its models, found in its model store or the cache). ``cached_only``: skip
    configurations not trained yet."""
    out_dir = Path(out_dir)
    results = []
    curves = runs = pd.DataFrame()
    store = model_store(grid_path)
    for cfg in load_configs(grid_path):
        if only and only not in cfg.name:
            continue
        if cached_only and not has_model(run_dir_for(cfg, cache_dir, data_dir, store=store)):
            logging.getLogger(__name__).info("%s: not trained yet, skipped", cfg.name)
            continue
        logging.getLogger(__name__).info("== %s (%s)", cfg.name, cfg.hash())
        results.append(train(cfg, data_dir=data_dir, cache_dir=cache_dir, progress=progress, log=log, store=store))
        lc = learning_curves_table(results)
        io.write_text(out_dir / f"{prefix}learning_curves.csv", lc.to_csv(index=False))
        plot_learning_curves(lc, out_dir / f"{prefix}learning_curves.png")
        curves, runs = curves_table(results)
        # Each run's ratio is against the ceiling its training measured right after its last epoch,
        # under the same load (`train`); runs that recorded none (GPU runs, models trained before
        # the ceiling was recorded) get none: a ceiling measured now would be another machine state.
        ceiling_of = [r.matmul_ceiling_gflops if r.matmul_ceiling_gflops else float("nan") for r in results]
        flops = [train_flops_per_token(r.config.model.cell, r.config.model.emb, r.config.model.hidden,
                                       len(r.vocab), 1.0)  # source tokens per target token ≈ 1
                 for r in results]
        runs["matmul_ceiling_gflops"] = ceiling_of
        runs["throughput_vs_ceiling"] = runs.tokens_per_s * pd.Series(flops, index=runs.index) / 1e9 / runs[
            "matmul_ceiling_gflops"]
        io.write_text(out_dir / f"{prefix}curves.csv", curves.to_csv(index=False))
        io.write_text(out_dir / f"{prefix}runs.csv", runs.to_csv(index=False))
        plot_curves(curves, out_dir / f"{prefix}curves.png")
    return curves, runs


def model_store(path):
    """The model store a study TOML names (its shipped models), or None (a bench grid)."""
    raw = read_toml(path, "a bench grid or a study TOML")
    return (load_study(path).models or None) if "dataset" in raw else None


def load_configs(path) -> list:
    """The run configs of a bench grid, or of a study (every model it trains)."""
    raw = read_toml(path, "a bench grid or a study TOML")
    if "dataset" in raw:
        return [cfg for *_, cfg in load_study(path).runs()]
    return load_grid(path)


def stats_benchmarks(seed: int = 0) -> pd.DataFrame:
    """Seconds for the statistics engine's hot paths, each with a naive reference timed
    on a few repetitions and extrapolated (ratio = naive / ours, same run, same CPU).

    * probe null: 1,000 example-level permutations, 30,000 × 256 states (3,000 examples
      × 10 steps), 5 grouped folds; naive = scikit-learn's RidgeClassifier refitted per fold
      and permutation (the same ridge solve; ours differs only in the binary threshold).
    * multi-bootstrap: 1,000 replicates over 5 seeds × 5,000 examples (0/1 outcomes and
      continuous values); naive = a Python loop per replicate and seed.
    """
    rng = np.random.default_rng(seed)
    rows = []
    groups = np.repeat(np.arange(3000), 10)
    X = rng.normal(size=(30000, 256)).astype(np.float32)
    for n_classes in (2, 10):
        y = rng.integers(0, n_classes, 3000)[groups]
        t = time.perf_counter()
        probe_permutation_test(X, y, groups, n_perm=1000)
        ours = time.perf_counter() - t
        folds = grouped_folds(groups, 5, 0)
        labels = permuted_labels(y, groups, 2, 1)
        t = time.perf_counter()
        for lab in labels:
            for tr, te in folds:
                sc = StandardScaler().fit(X[tr])
                RidgeClassifier(alpha=len(tr)).fit(sc.transform(X[tr]), lab[tr]).predict(sc.transform(X[te]))
        naive = (time.perf_counter() - t) / len(labels) * 1001
        rows.append({"benchmark": f"probe null, 1000 perms, 30000x256, {n_classes} classes", "seconds": ours,
                     "naive_seconds_extrapolated": naive, "speedup": naive / ours, "target_seconds": 1.0})
    for kind in ("binary", "continuous"):
        vals = [rng.binomial(1, 0.9, 5000) if kind == "binary" else rng.normal(size=5000) for _ in range(5)]
        t = time.perf_counter()
        multi_bootstrap(vals, n_boot=1000, method="percentile")
        ours = time.perf_counter() - t
        t = time.perf_counter()
        for _ in range(20):
            picks = rng.integers(5, size=5)
            np.mean([vals[s][rng.integers(5000, size=5000)].mean() for s in picks])
        naive = (time.perf_counter() - t) / 20 * 1000
        rows.append({"benchmark": f"multi-bootstrap, 1000 reps, 5 seeds x 5000 examples, {kind}", "seconds": ours,
                     "naive_seconds_extrapolated": naive, "speedup": naive / ours, "target_seconds": 1.0})
    out = pd.DataFrame(rows)
    out["torch_threads"] = torch.get_num_threads()
    return out


def microscope_benchmarks(model=None, data_dir=None, n_examples: int = 1000, n_sets: int = 200,
                          n_record: int = 5000, seed: int = 0) -> pd.DataFrame:
    """Seconds to (a) decode ``n_sets`` random-neuron-set interventions × ``n_examples``
    examples and (b) record ``n_record`` examples, for a GRU h256 / vocab 5k model (weights
    do not change the cost; an untrained one is used unless ``model`` is given), on
    Gutenberg test examples when ``data_dir`` has them, else synthetic ones. Ratios: the
    achieved GFLOP/s vs the matmul ceiling measured in the same run, and the batched
    sweep vs a Python loop over sets (3 sets timed, extrapolated)."""
    ceiling = matmul_ceiling()
    try:
        ds = prepare(DataConfig(source="gutenberg", path="gutenberg", chunk_lines=200, vocab_size=5000), data_dir)
    except Exception:
        ds = prepare(DataConfig(synth_vocab=5000, vocab_size=5000))
    if model is None:
        torch.manual_seed(seed)
        model = Seq2Seq("gru", len(ds.vocab), 128, 256).eval()
    ex_all = ds.examples("test", seed)
    ex = ex_all.subset(np.arange(min(n_examples, len(ex_all))))
    H, V, E = model.hidden, model.vocab_size, model.emb_dim
    sets = random_neuron_sets(H, 25, n_sets, seed=seed)
    conds = sweep((Intervention("T-1", "zero"),), sets)
    t = time.perf_counter()
    out = run(model, ex, conds, extra_steps=1)
    sweep_s = time.perf_counter() - t
    t = time.perf_counter()
    run(model, ex, conds, extra_steps=1, fast_forward=False)
    every_step_s = time.perf_counter() - t
    steps = int((out.outputs[:, 0] >= 0).sum())  # decoded steps summed over examples (T + 1 each)
    flops = n_sets * steps * (2 * H * V + 2 * 3 * (E + H) * H)
    t = time.perf_counter()
    for c in conds[:3]:
        run(model, ex, [c], extra_steps=1)
    naive = (time.perf_counter() - t) / 3 * n_sets
    rec_ex = ex_all.subset(np.arange(min(n_record, len(ex_all))))
    t = time.perf_counter()
    rec = record(model, rec_ex)
    rec_s = time.perf_counter() - t
    return pd.DataFrame([
        {"benchmark": f"intervention sweep: {n_sets} random sets x {len(ex)} examples, GRU h{H} vocab {V}, "
                      f"{steps / len(ex):.1f} decoder steps per example", "seconds": sweep_s, "target_seconds": 60.0,
         "gflops_per_s": flops / sweep_s / 1e9, "matmul_ceiling_gflops": ceiling,
         "ratio_to_ceiling": flops / sweep_s / 1e9 / ceiling, "naive_seconds_extrapolated": naive,
         "speedup_vs_loop_over_sets": naive / sweep_s, "seconds_decoding_every_step": every_step_s,
         "speedup_fast_forward": every_step_s / sweep_s,
         "notes": "gflops_per_s counts every decoded step; with fast-forward (steps before T-1 taken from the clean "
                  "run) it is an effective rate"},
        {"benchmark": f"record {rec.n} examples (greedy, states + gates + P(w)), GRU h{H} vocab {V}",
         "seconds": rec_s, "target_seconds": 10.0, "matmul_ceiling_gflops": ceiling}])


def stages_benchmark(model, rec, n_tokens: int = 50, n_perm: int = 1000) -> pd.DataFrame:
    """Minutes for stages 1–2 (storing hypothesis) for the ``n_tokens`` most frequent
    correctly positioned tokens of a recording, one shared recording."""
    w = rec.w[rec.correct, 0]
    tokens = [int(t) for t, c in sorted(zip(*np.unique(w, return_counts=True)), key=lambda x: -x[1])
              if c >= 3][:n_tokens]
    t0 = time.perf_counter()
    sizes = []
    for tok in tokens:
        ns = find(model, rec, storing(tok), n_perm=n_perm)
        sizes.append(ns.sizes["filtered"])
    minutes = (time.perf_counter() - t0) / 60
    return pd.DataFrame([{"benchmark": f"stages 1-2 (storing) for {len(tokens)} tokens, {rec.n} recorded examples, "
                                       f"GRU h{rec.dec_h.shape[2]}", "minutes": minutes, "target_minutes": 5.0,
                          "n_tokens": len(tokens), "mean_set_size": float(np.mean(sizes)) if sizes else 0.0}])


def _prepare_in_child(cfg_dict, data_dir, cache_dir, queue) -> None:
    """Child process: prepare the data and report (seconds, pairs, peak RSS in bytes)."""
    import resource

    t = time.perf_counter()
    ds = prepare(DataConfig(**cfg_dict), data_dir, cache_dir=cache_dir)
    secs = time.perf_counter() - t
    pairs = sum(ds.n_pairs(s) for s in ("train", "val", "test"))
    queue.put((secs, pairs, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024))


def data_benchmarks(data_dir, cache_dir, path: str = "gutenberg-lahiri.zip") -> pd.DataFrame:
    """Preparing line pairs from the Lahiri Gutenberg corpus: seconds to build them from
    nothing cached (and peak memory, measured in a fresh process), then seconds to load
    them again from the content-keyed cache (a second fresh process)."""
    import multiprocessing as mp

    cfg = DataConfig(source="gutenberg", path=path, chunk_lines=200, vocab_size=2000, max_len=14)
    folder = Path(cache_dir) / "data" / data_key(cfg, data_dir)
    shutil.rmtree(folder, ignore_errors=True)
    rows = []
    ctx = mp.get_context("spawn")
    for phase in ("build (nothing cached)", "load (cached)"):
        q = ctx.Queue()
        p = ctx.Process(target=_prepare_in_child, args=(dataclasses.asdict(cfg), str(data_dir), str(cache_dir), q))
        p.start()
        secs, pairs, rss = q.get()
        p.join()
        rows.append({"phase": phase, "corpus": path, "seconds": secs, "pairs": pairs,
                     "peak_rss_gb": rss / 1e9, "target_seconds": 60.0 if phase.startswith("build") else 5.0,
                     "target_peak_gb": 4.0, "cpus": os.cpu_count(),
                     "load_average_1min": os.getloadavg()[0]})  # other work on the machine slows the build
    return pd.DataFrame(rows)


def _train_batches(n_batches: int, seed: int):
    """The replication's recipe on synthetic lines (vocab 2k, lines ≤ 14 tokens, batch 64):
    (data config, dataset, examples, 5 warm-up batches, ``n_batches`` timed ones)."""
    data = DataConfig(synth_docs=400, synth_vocab=2000, vocab_size=2000, max_len=14)
    ds = prepare(data, cache_dir=False)
    ex = ds.examples("train", seed)
    idx = batches(ex, 64, np.random.default_rng(seed))[: n_batches + 5]
    return data, ds, ex, idx[:5], idx[5:]


def _train_steps(model, ex, warm, timed) -> float:
    """Seconds of the ``timed`` training steps (forward, backward, Adam) after ``warm``."""
    opt = torch.optim.Adam(model.parameters(), 3e-3)
    for i, b in enumerate(warm + timed):
        if i == len(warm):
            t = time.perf_counter()
        loss, n = batch_loss(model, ex, b, "cpu")
        opt.zero_grad(set_to_none=True)
        (loss / n).backward()
        opt.step()
    return time.perf_counter() - t


def threads_benchmarks(n_batches: int = 150, seed: int = 0, cells=("gru", "lstm")) -> pd.DataFrame:
    """Training throughput of the replication's recipe (emb/hidden 128, vocab 2k, batch 64,
    lines ≤ 14 tokens; synthetic lines, so no corpus is needed) with one torch thread and
    with one per core, *as the machine is loaded now* (the load average is recorded).

    Per row: batches/s and real (non-pad) target tokens/s of pure training steps
    (forward, backward, Adam; no evaluation), the FLOPs they do (``train_flops_per_token``
    with the batches' own source/target length ratio), and that as a fraction of the
    matmul ceiling measured with the *same* thread count just before. On a machine whose
    cores are busy, several threads per process oversubscribe it; this is why a study's
    workers train with one thread each."""
    data, ds, ex, warm, timed = _train_batches(n_batches, seed)
    n_tgt = int(sum(ex.tgt_len[b].sum() for b in timed))
    src_per_tgt = float(sum(ex.src_len[b].sum() for b in timed)) / n_tgt
    rows, before = [], torch.get_num_threads()
    for cell in cells:
        cfg = RunConfig(data=data, model=ModelConfig(emb=128, hidden=128, cell=cell))
        flops = train_flops_per_token(cell, 128, 128, len(ds.vocab), src_per_tgt)
        for threads in (1, max(1, len(os.sched_getaffinity(0)))):
            torch.set_num_threads(threads)
            ceiling = matmul_ceiling()
            secs = _train_steps(build_model(cfg, len(ds.vocab)), ex, warm, timed)
            tps = n_tgt / secs
            rows.append({"cell": cell, "torch_threads": threads, "batches_per_s": len(timed) / secs,
                         "tokens_per_s": tps, "gflops": tps * flops / 1e9, "matmul_ceiling_gflops": ceiling,
                         "throughput_vs_ceiling": tps * flops / 1e9 / ceiling, "cpus": os.cpu_count(),
                         "load_average_1min": os.getloadavg()[0]})
    torch.set_num_threads(before)
    out = pd.DataFrame(rows)
    one = out[out.torch_threads == 1].set_index("cell").batches_per_s
    out["speed_vs_one_thread"] = out.batches_per_s / out.cell.map(one)
    return out


ALLOCATORS = {"glibc": None, "dask worker": 65536, "kept": "keep"}


def allocator_order(repeat: int) -> list[str]:
    """:data:`ALLOCATORS` in the order repeat ``repeat`` runs them (rotated by one each
    repeat, so that no setting always runs first)."""
    names = list(ALLOCATORS)
    k = repeat % len(names)
    return names[k:] + names[:k]


def _malloc_child(cell: str, allocator: str, n_batches: int, seed: int, queue) -> None:
    """Child process: one torch thread and one of :data:`ALLOCATORS`; reports the timed
    steps' wall and CPU seconds, minor page faults and peak RSS."""
    import resource

    torch.set_num_threads(1)
    setting = ALLOCATORS[allocator]
    if setting == "keep":
        keep_freed_memory()
    elif setting is not None:  # as Dask's nanny does for its workers (MALLOC_TRIM_THRESHOLD_)
        ctypes.CDLL(None).mallopt(M_TRIM_THRESHOLD, setting)
    data, ds, ex, warm, timed = _train_batches(n_batches, seed)
    model = build_model(RunConfig(data=data, model=ModelConfig(emb=128, hidden=128, cell=cell)), len(ds.vocab))
    before, cpu = resource.getrusage(resource.RUSAGE_SELF), time.process_time()
    secs = _train_steps(model, ex, warm, timed)
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = time.process_time() - cpu
    queue.put({"cell": cell, "allocator": allocator, "batches_per_s": len(timed) / secs,
               "cpu_ms_per_batch": 1000 * cpu / len(timed),
               "system_cpu_share": (after.ru_stime - before.ru_stime) / max(cpu, 1e-9),
               "page_faults_per_batch": (after.ru_minflt - before.ru_minflt) / len(timed),
               "peak_rss_gb": after.ru_maxrss * 1024 / 1e9})


def malloc_benchmarks(n_batches: int = 150, repeats: int = 3, seed: int = 0, cells=("gru", "lstm")) -> pd.DataFrame:
    """Training throughput under three allocator settings (:data:`ALLOCATORS`): glibc's
    defaults; a Dask worker's (its nanny sets ``MALLOC_TRIM_THRESHOLD_=65536``, so that
    every free at the heap's top goes back to the kernel); and
    :func:`~neuronstats.hardware.keep_freed_memory`, which training and the study's jobs
    now use. Each run is a fresh one-thread process on the same batches; the settings'
    order rotates from repeat to repeat so that all see the same machine load.

    ``speedup`` is a run's batches/s over the Dask worker's run of the same cell and
    repeat: the study's training and jobs ran under that setting before."""
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    rows = []
    for r in range(repeats):
        for cell in cells:
            for allocator in allocator_order(r):
                q = ctx.Queue()
                p = ctx.Process(target=_malloc_child, args=(cell, allocator, n_batches, seed, q))
                p.start()
                row = q.get()
                p.join()
                rows.append({"repeat": r, **row, "cpus": os.cpu_count(), "load_average_1min": os.getloadavg()[0]})
    out = pd.DataFrame(rows)
    base = out[out.allocator == "dask worker"].set_index(["repeat", "cell"]).batches_per_s
    out["speedup"] = out.batches_per_s / [base[(r, c)] for r, c in zip(out.repeat, out.cell)]
    return out


def _sweep_job(n_examples: int, n_sets: int, seed: int) -> dict:
    """An intervention sweep the size of a verification (``n_sets`` random sets of 26
    neurons zeroed at T−1 × ``n_examples`` synthetic test examples, an untrained GRU
    h128 / vocab 2k: weights do not change the cost), run twice after a warm-up."""
    import resource

    torch.set_num_threads(1)
    data, ds, ex, _, _ = _train_batches(1, seed)
    ex = ds.examples("test", seed)
    ex = ex.subset(np.arange(min(n_examples, len(ex))))
    torch.manual_seed(seed)
    model = build_model(RunConfig(data=data, model=ModelConfig(emb=128, hidden=128)), len(ds.vocab)).eval()
    conds = sweep((Intervention("T-1", "zero"),), random_neuron_sets(128, 26, n_sets, seed=seed))
    run(model, ex.subset(np.arange(min(100, len(ex)))), conds[:10], extra_steps=1)
    before, t = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    for _ in range(2):
        run(model, ex, conds, extra_steps=1)
    secs, after = time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF)
    return {"seconds": secs, "system_seconds": after.ru_stime - before.ru_stime,
            "page_faults": after.ru_minflt - before.ru_minflt, "examples": len(ex), "sets": n_sets}


def dask_sweep_benchmarks(repeats: int = 2, n_examples: int = 1000, n_sets: int = 100, seed: int = 0) -> pd.DataFrame:
    """The study's jobs in a Dask worker: an intervention sweep (:func:`_sweep_job`) as a
    bare Dask task (the nanny's ``MALLOC_TRIM_THRESHOLD_=65536``) and as
    :func:`~neuronstats.engine.run_jobs` runs it (freed memory kept), each in a fresh
    one-worker cluster, the order alternated. ``speedup``: over the bare task of the same
    repeat."""
    rows = []
    for r in range(repeats):
        for allocator in ("dask worker", "kept") if r % 2 == 0 else ("kept", "dask worker"):
            with dask_session(workers=1) as client:
                args = (_sweep_job, n_examples, n_sets, seed)
                if allocator == "kept":
                    args = (with_kept_memory, *args)
                fut = client.submit(*args, pure=False)
                rows.append({"repeat": r, "allocator": allocator, **fut.result(), "cpus": os.cpu_count(),
                             "load_average_1min": os.getloadavg()[0]})
    out = pd.DataFrame(rows)
    base = out[out.allocator == "dask worker"].set_index("repeat").seconds
    out["speedup"] = out.repeat.map(base) / out.seconds
    return out

