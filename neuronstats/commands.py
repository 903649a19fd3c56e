"""The command line's commands, one function per verb: each reads its arguments, calls
the API or the study, and prints. The parser is :mod:`neuronstats.cli`."""

from __future__ import annotations

import dataclasses
import json
import logging
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from neuronstats import io
from neuronstats.api import find, sweep
from neuronstats.bench import (
    dask_sweep_benchmarks,
    data_benchmarks,
    load_grid,
    malloc_benchmarks,
    microscope_benchmarks,
    run_bench,
    stages_benchmark,
    stats_benchmarks,
    threads_benchmarks,
)
from neuronstats.calibration import calibrate, calibration_table
from neuronstats.config import load_config
from neuronstats.data.fetch import fetch_dataset
from neuronstats.engine import dask_session
from neuronstats.errors import InputError, InsufficientData
from neuronstats.microscope.intervene import Intervention
from neuronstats.microscope.record import record
from neuronstats.model.decode import positioning_accuracy
from neuronstats.model.train import load_model, train
from neuronstats.report.html import build_report
from neuronstats.sensitivity import READINGS, run_sensitivity, write_sensitivity
from neuronstats.shipped import model_with_examples
from neuronstats.study import check_out_dir, check_run, export_cached, load_study, run_study, train_study

log = logging.getLogger("neuronstats.cli")


def _log_to(path=None):
    """Progress goes through ``logging`` (shown on stderr unless --quiet); given a path,
    the package's log lines are appended to that file too. Returns None: library calls
    log by themselves."""
    if path:
        handler = logging.FileHandler(path, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
        logging.getLogger("neuronstats").addHandler(handler)
    return None


def cmd_train(a) -> int:
    cfg = load_config(a.config)
    if a.device:
        cfg = dataclasses.replace(cfg, train=dataclasses.replace(cfg.train, device=a.device))
    r = train(cfg, data_dir=a.data_dir, cache_dir=a.cache_dir, progress=not a.quiet, log=_log_to())
    print(f"model: {r.run_dir / 'model.json'}")
    print(f"device: {r.device}; trained {r.train_seconds / 60:.1f} min, {len(r.history)} epochs ({r.stopped})")
    print(f"test positioning accuracy: {100 * r.test['accuracy']:.1f} % of {r.test['n']} held-out examples")
    return 0


def cmd_evaluate(a) -> int:
    model, _, _, full = model_with_examples(a.model, a.split, a.data_dir)
    ex = full.subset(np.arange(min(len(full), a.limit or len(full))))
    res = positioning_accuracy(model, ex)
    print(f"{a.split}: positioning accuracy {100 * res['accuracy']:.2f} % ({res['n']} examples, "
          f"per (w, T) pair {100 * res['per_token']:.2f} %; {full.n_dropped_unk} pairs dropped for <unk> w)")
    return 0


def cmd_fetch(a) -> int:
    path = fetch_dataset(a.name, a.to, url=a.url, sha256=a.sha256, progress=not a.quiet)
    print(f"{a.name}: {path}")
    return 0


def cmd_bench(a) -> int:
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    log = _log_to(out / "bench.log")
    _, runs = run_bench(a.grid, a.data_dir, out, cache_dir=a.cache_dir, only=a.only, log=log,
                        progress=not a.quiet, cached_only=a.cached_only, prefix=a.prefix)
    if runs.empty:
        why = "none is trained yet (--cached-only)" if a.cached_only else "none matches --only"
        print(f"{a.grid}: no configuration to report: {why}; no tables written")
        return 1
    print(runs[["config", "epochs", "minutes", "best_val_accuracy", "test_accuracy",
                "throughput_vs_ceiling"]].to_string(index=False))
    return 0


def cmd_bench_data(a) -> int:
    with tempfile.TemporaryDirectory(prefix="neuronstats-bench-") as cache:
        df = data_benchmarks(a.data_dir, a.cache_dir or cache)
    return _write_bench(df, a.out, "data_prep.csv")


def _write_bench(df, out, name: str) -> int:
    """Write one benchmark table to ``out/name`` and print it."""
    io.write_text(Path(out) / name, df.to_csv(index=False))
    print(df.to_string(index=False))
    return 0


def cmd_bench_threads(a) -> int:
    return _write_bench(threads_benchmarks(), a.out, "threads.csv")


def cmd_bench_malloc(a) -> int:
    _write_bench(malloc_benchmarks(), a.out, "malloc.csv")
    return _write_bench(dask_sweep_benchmarks(), a.out, "malloc_dask_sweep.csv")


def cmd_sensitivity(a) -> int:
    study = load_study(a.study)
    summary_path = Path(a.results) / "summary.csv"
    if not summary_path.is_file():
        raise InputError("no summary.csv here", path=a.results, expected="the study's results (run replicate first)")
    which = tuple(a.readings.split(",")) if a.readings else READINGS
    bad = set(which) - set(READINGS)
    if bad:
        raise InputError(f"--readings {a.readings}", expected="names from " + ", ".join(READINGS))
    check_run(study, a.data_dir)  # before any worker starts: a wrong data path fails here
    with io.exclusive(Path(a.results) / ".lock", wait=False):  # one run writes a results folder at a time
        with dask_session(a.scheduler, a.workers) as client:
            tables = run_sensitivity(study, pd.read_csv(summary_path), a.data_dir, a.cache_dir, which=which,
                                     client=client, partial_dir=Path(a.results) / ".partial")
        paths = write_sensitivity(tables, Path(a.results) / "sensitivity")
        out = build_report(a.results)
    for path in paths:
        print(path)
    flagged = out["claims"][out["claims"].sensitive]
    print(f"{len(flagged)} claim(s) sensitive to a reading: " + ", ".join(flagged.claim_id))
    return 0


def cmd_report(a) -> int:
    floor = a.floor
    if floor is None:  # the study's own floor, as `replicate` used it
        manifest = Path(a.results) / "manifest.json"
        analysis = json.loads(manifest.read_text()).get("analysis", {}) if manifest.is_file() else {}
        floor = analysis.get("accuracy_floor", 0.90)
    out = build_report(a.results, floor=floor)
    counts = out["claims"].verdict.value_counts()
    print(", ".join(f"{k}: {v}" for k, v in counts.items()))
    print(f"claims.csv, claims.tex and report.html in {a.results}/")
    return 0


def cmd_replicate(a) -> int:
    study = load_study(a.study)
    if a.seeds or a.cells or a.datasets:
        if a.seeds and not all(x.strip().lstrip("-").isdigit() for x in a.seeds.split(",")):
            raise InputError(f"--seeds {a.seeds}", expected="comma-separated integer seeds, e.g. 0,1,2")
        study = study.subset(seeds=[int(x) for x in a.seeds.split(",")] if a.seeds else None,
                             cells=a.cells.split(",") if a.cells else None,
                             datasets=a.datasets.split(",") if a.datasets else None)
    if a.export_models:
        exported, examples, unfinished = export_cached(study, a.data_dir, a.cache_dir)
        for name, e in exported.items():
            print(f"{name}: {100 * e['test_accuracy']:.1f} %, {e['bytes'] / 1e6:.1f} MB -> {study.models}/{name}")
        print(f"{len(exported)} model(s) exported to {study.models}")
        for name, (epochs, path) in unfinished.items():
            print(f"{name}: unfinished, its checkpoint after epoch {epochs} ({path.stat().st_size / 1e6:.1f} MB) "
                  f"-> {path} (training resumes from it)")
        for ds, rel in examples.items():
            print(f"{ds}: held-out test examples -> {study.models}/{rel}")
        return 0
    if not a.out:
        raise InputError("replicate needs --out", expected="a results folder, e.g. --out my_results")
    check_run(study, a.data_dir, a.out)  # corpora and --out, before the log file, the lock or Dask
    out = check_out_dir(a.out)
    log = _log_to(out / "replicate.log")
    if a.train_only:
        with dask_session(a.scheduler, a.workers) as client:
            timings = train_study(study, a.data_dir, a.cache_dir, log=log, client=client)
        for name, t in timings.items():
            print(f"{name}: {100 * t['test_accuracy']:.1f} % ({t['epochs']} epochs, {t['stopped']})")
        return 0
    summary = run_study(study, a.data_dir, out, cache_dir=a.cache_dir, log=log, progress=not a.quiet,
                        scheduler=a.scheduler, workers=a.workers, sensitivity=a.sensitivity)
    cols = ["dataset", "cell", "finding", "estimate", "ci_low", "ci_high", "null_mean", "p_adjusted", "paper_value"]
    print(summary[cols].to_string(index=False))
    print(f"tables, summary and manifest in {out}/")
    return 0


def _model_examples(a):
    log.info("loading %s and its data", a.model)

    model, vocab, _, ex = model_with_examples(a.model, a.split, a.data_dir)
    return model, vocab, ex.subset(np.arange(min(len(ex), a.limit or len(ex))))


def cmd_record(a) -> int:
    model, _, ex = _model_examples(a)
    log.info("recording %d examples (%s decoding)", len(ex), a.mode)
    rec = record(model, ex, a.mode)
    io.save_recording(rec, a.out)
    print(f"recorded {rec.n} examples ({a.mode}), encoder {rec.enc_h.shape}, decoder {rec.dec_h.shape}, "
          f"{100 * rec.correct.mean():.1f} % positioned correctly -> {a.out}")
    return 0


def cmd_sweep(a) -> int:
    neurons = tuple(int(i) for i in a.neurons.split(",")) if a.neurons else None
    kw = {"source_offset": a.source_offset} if a.op == "from_step" else {}
    try:  # the spec is checked before any data is read
        spec = Intervention(step=a.step, op=a.op, neurons=neurons, **kw)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    model, _, ex = _model_examples(a)
    log.info("decoding %d examples clean, under %s and under %d random sets", len(ex), spec,
             a.n_sets if neurons else 0)
    try:  # the numbers ns.sweep gives (one implementation): printed here
        res = sweep(model, ex, spec, n_sets=a.n_sets if neurons else 0, seed=a.seed)
    except InputError as exc:
        raise InputError(str(exc), path=a.model) from None
    row = res.summary().iloc[0]
    if res.n_left_out:
        print(f"{res.n_left_out} examples left out: {spec} has no such decoder step for them")
    print(f"{int(row.n_examples)} examples; accuracy (w at T): clean {100 * row.clean_accuracy:.1f} %, under {spec} "
          f"{100 * row.accuracy:.1f} %")
    if row.n_sets:
        print(f"accuracy drop {100 * row['drop']:.1f} pp vs {int(row.n_sets)} random {len(neurons)}-neuron sets: "
              f"mean {100 * row.control_mean_drop:.1f} pp, 95 % band [{100 * row.control_band_low:.1f}, "
              f"{100 * row.control_band_high:.1f}], p = {row.p_value:.4f}")
    if a.out:
        out = res.outcomes
        io.write_npz(a.out, outputs=out.outputs, at_T=out.at_T, w=out.w, T=out.T)
    return 0


def cmd_find(a) -> int:
    model, _, ex = _model_examples(a)
    log.info("recording %d examples; stage 1 (probe with %d permutations, RFE) and stage 2 (integrated gradients)",
             len(ex), a.n_perm)
    try:  # one implementation: ns.find
        ns = find(model, ex, a.hypothesis, token=a.token, n_perm=a.n_perm)
    except (InsufficientData, InputError) as exc:
        raise InputError(str(exc), path=a.model) from None
    ns.model = str(a.model)
    s1 = ns.stage1
    print(f"{a.hypothesis}{' ' + a.token if a.token else ''}: {s1['n_states']} states of {s1['n_examples']} "
          f"correctly positioned examples")
    print(f"stage 1: LinearSVC training accuracy {100 * s1['train_accuracy']:.1f} % (paper's rule > 95 %: "
          f"{'plausible' if s1['plausible'] else 'not plausible'}); held-out balanced accuracy "
          f"{100 * s1['heldout_accuracy']:.1f} % vs permutation null {100 * s1['null_mean']:.1f} % "
          f"(95th pct {100 * s1['null_ci_high']:.1f} %), p = {s1['p_value']:.4f}; selectivity "
          f"{100 * s1['selectivity']:.1f} pp")
    print(f"stage 1 candidates: {ns.sizes['candidates']} of {ns.sizes['hidden']}; stage 2 (IG) kept "
          f"{ns.sizes['filtered']}: {ns.neurons}")
    if a.out:
        io.write_text(a.out, ns.to_json() + "\n")
        print(f"-> {a.out}")
    return 0


def cmd_bench_stats(a) -> int:
    return _write_bench(stats_benchmarks(), a.out, "stats_speed.csv")


def cmd_bench_microscope(a) -> int:
    model = None
    if a.from_grid:
        cfgs = [c for c in load_grid(a.grid) if c.name == a.from_grid]
        if not cfgs:
            raise InputError(f"no run named {a.from_grid!r}", path=a.grid)
        a.model = str(train(cfgs[0], data_dir=a.data_dir, progress=False).run_dir)  # cached
    if a.model:
        model = load_model(a.model)[0]
    df = microscope_benchmarks(model, a.data_dir)
    io.write_text(Path(a.out) / "microscope_speed.csv", df.to_csv(index=False))
    print(df.to_string(index=False))
    if a.model:
        a.split, a.limit = "test", 5000
        model, _, ex = _model_examples(a)
        st = stages_benchmark(model, record(model, ex))
        io.write_text(Path(a.out) / "stages_speed.csv", st.to_csv(index=False))
        print(st.to_string(index=False))
    return 0


def cmd_calibrate(a) -> int:
    study = load_study(a.study)
    if a.dataset not in study.datasets or a.cell not in study.cells_of(a.dataset):
        raise InputError(f"--dataset {a.dataset} --cell {a.cell}", path=a.study,
                         expected="a dataset of the study and a cell it is run with: " + "; ".join(
                             f"{d} ({', '.join(study.cells_of(d))})" for d in study.datasets))
    if a.studies < 1:
        raise InputError(f"--studies {a.studies}", expected="a positive number of simulated studies (e.g. 300)")
    check_run(study.subset(datasets=[a.dataset], cells=[a.cell]), a.data_dir, a.out)  # before Dask or any file
    out = check_out_dir(a.out)
    with dask_session(a.scheduler, a.workers) as client:
        rows = calibrate(study, a.dataset, a.cell, a.studies, out, a.data_dir, a.cache_dir, client=client,
                         progress=not a.quiet)
    table = calibration_table(rows, study.analysis.alpha)
    stem = out / f"calibration_{a.dataset}_{a.cell}"
    io.write_text(stem.with_suffix(".csv"), table.to_csv(index=False))
    io.write_text(out / f"calibration_{a.dataset}_{a.cell}_rows.csv", rows.to_csv(index=False))
    cols = ["test_id", "unit", "n_studies", "own_rate", "vs_untrained_rate", "claim_rate", "band_high"]
    print(table[cols].to_string(index=False))
    print(f"rates in {stem}.csv (every row of every simulated study: {stem}_rows.csv)")
    return 0


