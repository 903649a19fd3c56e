"""Command line: ``neuronstats`` / ``python -m neuronstats``. Printing happens here only."""

from __future__ import annotations

import argparse
import errno
import json
import logging
import os
import shutil
import sys
import warnings
from pathlib import Path

from neuronstats.config import CELLS
from neuronstats.errors import InputError, InsufficientData

log = logging.getLogger("neuronstats.cli")

DATA_DIR = os.environ.get("NEURONSTATS_DATA", "data")
DATA_HELP = "folder the corpora's paths are relative to: $NEURONSTATS_DATA, else ./data (here: %(default)s)"


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
    from neuronstats.config import load_config
    from neuronstats.model.train import train

    cfg = load_config(a.config)
    if a.device:
        cfg.train.device = a.device
    r = train(cfg, data_dir=a.data_dir, cache_dir=a.cache_dir, progress=not a.quiet, log=_log_to())
    print(f"model: {r.run_dir / 'model.json'}")
    print(f"device: {r.device}; trained {r.train_seconds / 60:.1f} min, {len(r.history)} epochs ({r.stopped})")
    print(f"test positioning accuracy: {100 * r.test['accuracy']:.1f} % of {r.test['n']} held-out examples")
    return 0


def cmd_evaluate(a) -> int:
    import numpy as np

    from neuronstats.model.decode import positioning_accuracy
    from neuronstats.model.train import load_with_data, split_examples

    model, _, cfg, ds = load_with_data(a.model, a.data_dir)
    full = split_examples(ds, cfg, a.split)
    ex = full.subset(np.arange(min(len(full), a.limit or len(full))))
    res = positioning_accuracy(model, ex)
    print(f"{a.split}: positioning accuracy {100 * res['accuracy']:.2f} % ({res['n']} examples, "
          f"per (w, T) pair {100 * res['per_token']:.2f} %; {full.n_dropped_unk} pairs dropped for <unk> w)")
    return 0


def cmd_fetch(a) -> int:
    from neuronstats.data.fetch import fetch_dataset

    path = fetch_dataset(a.name, a.to, url=a.url, sha256=a.sha256, progress=not a.quiet)
    print(f"{a.name}: {path}")
    return 0


def cmd_bench(a) -> int:
    from neuronstats.bench import run_bench

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
    import tempfile

    from neuronstats.bench import data_benchmarks

    with tempfile.TemporaryDirectory(prefix="neuronstats-bench-") as cache:
        df = data_benchmarks(a.data_dir, a.cache_dir or cache)
    return _write_bench(df, a.out, "data_prep.csv")


def _write_bench(df, out, name: str) -> int:
    """Write one benchmark table to ``out/name`` and print it."""
    from neuronstats import io

    io.write_text(Path(out) / name, df.to_csv(index=False))
    print(df.to_string(index=False))
    return 0


def cmd_bench_threads(a) -> int:
    from neuronstats.bench import threads_benchmarks

    return _write_bench(threads_benchmarks(), a.out, "threads.csv")


def cmd_sensitivity(a) -> int:
    import pandas as pd

    from neuronstats.report.html import build_report
    from neuronstats.sensitivity import READINGS, run_sensitivity, write_sensitivity
    from neuronstats.study import load_study

    study = load_study(a.study)
    summary_path = Path(a.results) / "summary.csv"
    if not summary_path.is_file():
        raise InputError("no summary.csv here", path=a.results, expected="the study's results (run replicate first)")
    which = tuple(a.readings.split(",")) if a.readings else READINGS
    bad = set(which) - set(READINGS)
    if bad:
        raise InputError(f"--readings {a.readings}", expected="names from " + ", ".join(READINGS))
    tables = run_sensitivity(study, pd.read_csv(summary_path), a.data_dir, a.cache_dir, which=which)
    for path in write_sensitivity(tables, Path(a.results) / "sensitivity"):
        print(path)
    out = build_report(a.results)
    flagged = out["claims"][out["claims"].sensitive]
    print(f"{len(flagged)} claim(s) sensitive to a reading: " + ", ".join(flagged.claim_id))
    return 0


def cmd_report(a) -> int:
    from neuronstats.report.html import build_report

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
    from neuronstats.study import check_out_dir, check_run, load_study, run_study

    study = load_study(a.study)
    if a.seeds or a.cells or a.datasets:
        if a.seeds and not all(x.strip().lstrip("-").isdigit() for x in a.seeds.split(",")):
            raise InputError(f"--seeds {a.seeds}", expected="comma-separated integer seeds, e.g. 0,1,2")
        study = study.subset(seeds=[int(x) for x in a.seeds.split(",")] if a.seeds else None,
                             cells=a.cells.split(",") if a.cells else None,
                             datasets=a.datasets.split(",") if a.datasets else None)
    if a.export_models:
        from neuronstats.study import export_cached

        exported = export_cached(study, a.data_dir, a.cache_dir)
        for name, e in exported.items():
            print(f"{name}: {100 * e['test_accuracy']:.1f} %, {e['bytes'] / 1e6:.1f} MB -> {study.models}/{name}")
        print(f"{len(exported)} model(s) exported to {study.models}")
        return 0
    if not a.out:
        raise InputError("replicate needs --out", expected="a results folder, e.g. --out my_results")
    check_run(study, a.data_dir, a.out)  # corpora and --out, before the log file, the lock or Dask
    out = check_out_dir(a.out)
    log = _log_to(out / "replicate.log")
    if a.train_only:
        from neuronstats.engine import dask_session
        from neuronstats.study import train_study

        with dask_session(a.scheduler, a.workers) as client:
            timings = train_study(study, a.data_dir, a.cache_dir, log=log, client=client)
        for name, t in timings.items():
            print(f"{name}: {100 * t['test_accuracy']:.1f} % ({t['epochs']} epochs, {t['stopped']})")
        return 0
    summary = run_study(study, a.data_dir, out, cache_dir=a.cache_dir, log=log, progress=not a.quiet,
                        scheduler=a.scheduler, workers=a.workers)
    cols = ["dataset", "cell", "finding", "estimate", "ci_low", "ci_high", "null_mean", "p_adjusted", "paper_value"]
    print(summary[cols].to_string(index=False))
    print(f"tables, summary and manifest in {out}/")
    return 0


def _model_examples(a):
    log.info("loading %s and its data", a.model)
    import numpy as np

    from neuronstats.model.train import load_with_data, split_examples

    model, vocab, cfg, ds = load_with_data(a.model, a.data_dir)
    ex = split_examples(ds, cfg, a.split)
    return model, vocab, ex.subset(np.arange(min(len(ex), a.limit or len(ex))))


def cmd_record(a) -> int:
    from neuronstats.microscope.record import record, save_recording

    model, _, ex = _model_examples(a)
    log.info("recording %d examples (%s decoding)", len(ex), a.mode)
    rec = record(model, ex, a.mode)
    save_recording(rec, a.out)
    print(f"recorded {rec.n} examples ({a.mode}), encoder {rec.enc_h.shape}, decoder {rec.dec_h.shape}, "
          f"{100 * rec.correct.mean():.1f} % positioned correctly -> {a.out}")
    return 0


def cmd_sweep(a) -> int:
    from neuronstats.api import sweep
    from neuronstats.microscope.intervene import Intervention

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
        from neuronstats import io

        out = res.outcomes
        io.write_npz(a.out, outputs=out.outputs, at_T=out.at_T, w=out.w, T=out.T)
    return 0


def cmd_find(a) -> int:
    from neuronstats.microscope.record import record
    from neuronstats.stages.hypothesis import BUILTIN
    from neuronstats.stages.neuronset import find

    model, vocab, ex = _model_examples(a)
    if a.hypothesis in ("storing", "outputting"):
        if not a.token:
            raise InputError(f"--hypothesis {a.hypothesis} needs --token", expected="a word of the vocabulary")
        if a.token not in vocab.stoi:
            raise InputError(f"token {a.token!r} is not in the model's vocabulary", path=a.model)
        hyp = BUILTIN[a.hypothesis](vocab.stoi[a.token])
    else:
        hyp = BUILTIN[a.hypothesis]()
    log.info("recording %d examples", len(ex))
    rec = record(model, ex)
    log.info("stage 1 (probe with %d permutations, RFE) and stage 2 (integrated gradients)", a.n_perm)
    try:
        ns = find(model, rec, hyp, n_perm=a.n_perm, model_id=str(a.model))
    except InsufficientData as exc:
        raise InputError(str(exc), path=a.model) from None
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
        ns.save(a.out)
        print(f"-> {a.out}")
    return 0


def cmd_bench_stats(a) -> int:
    from neuronstats.bench import stats_benchmarks

    return _write_bench(stats_benchmarks(), a.out, "stats_speed.csv")


def cmd_bench_microscope(a) -> int:
    from neuronstats import io
    from neuronstats.bench import microscope_benchmarks, stages_benchmark

    model = None
    if a.from_grid:
        from neuronstats.bench import load_grid
        from neuronstats.model.train import train

        cfgs = [c for c in load_grid(a.grid) if c.name == a.from_grid]
        if not cfgs:
            raise InputError(f"no run named {a.from_grid!r}", path=a.grid)
        a.model = str(train(cfgs[0], data_dir=a.data_dir, progress=False).run_dir)  # cached
    if a.model:
        from neuronstats.model.train import load_model

        model = load_model(a.model)[0]
    df = microscope_benchmarks(model, a.data_dir)
    io.write_text(Path(a.out) / "microscope_speed.csv", df.to_csv(index=False))
    print(df.to_string(index=False))
    if a.model:
        from neuronstats.microscope.record import record

        a.split, a.limit = "test", 5000
        model, _, ex = _model_examples(a)
        st = stages_benchmark(model, record(model, ex))
        io.write_text(Path(a.out) / "stages_speed.csv", st.to_csv(index=False))
        print(st.to_string(index=False))
    return 0


def cmd_calibrate(a) -> int:
    from neuronstats import io
    from neuronstats.calibration import calibrate, calibration_table
    from neuronstats.engine import dask_session
    from neuronstats.study import check_out_dir, check_run, load_study

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


def main(argv=None) -> int:
    from neuronstats import __version__

    fmt = argparse.ArgumentDefaultsHelpFormatter
    data = argparse.ArgumentParser(add_help=False)  # shared options, one definition each
    data.add_argument("--data-dir", default=DATA_DIR, help=DATA_HELP)
    cache = argparse.ArgumentParser(add_help=False)
    cache.add_argument("--cache-dir", default=None, help="cache root (default: $NEURONSTATS_CACHE or "
                                                        "~/.cache/neuronstats)")
    quiet = argparse.ArgumentParser(add_help=False)
    quiet.add_argument("--quiet", action="store_true", help="no progress on the terminal")
    split = argparse.ArgumentParser(add_help=False)
    split.add_argument("--split", choices=["train", "val", "test"], default="test")
    bench_out = argparse.ArgumentParser(add_help=False)
    bench_out.add_argument("--out", default="results/bench")

    p = argparse.ArgumentParser(prog="neuronstats", description=__doc__, formatter_class=fmt)
    p.add_argument("--version", action="version", version=f"neuronstats {__version__}")
    sub = p.add_subparsers(dest="cmd", required=True)

    t = sub.add_parser("train", parents=[data, cache, quiet], formatter_class=fmt,
                       help="train (or load from cache, or resume) the model a TOML config describes")
    t.add_argument("config")
    t.add_argument("--device", choices=["auto", "cpu", "cuda"], default=None)
    t.set_defaults(func=cmd_train)

    e = sub.add_parser("evaluate", parents=[data, split], formatter_class=fmt,
                       help="positioning accuracy of a trained model (a run folder or its model.json)")
    e.add_argument("model")
    e.add_argument("--limit", type=int, default=0)
    e.set_defaults(func=cmd_evaluate)

    d = sub.add_parser("data", help="corpus utilities")
    dsub = d.add_subparsers(dest="data_cmd", required=True)
    f = dsub.add_parser("fetch", parents=[quiet], formatter_class=fmt, help="download a corpus (checksums verified)")
    f.add_argument("name", choices=["gutenberg", "lyrics", "gutenberg-lahiri", "lyricsfreak"])
    f.add_argument("--to", required=True)
    f.add_argument("--url", default=None)
    f.add_argument("--sha256", default=None)
    f.set_defaults(func=cmd_fetch)

    r = sub.add_parser("replicate", parents=[data, cache, quiet], formatter_class=fmt,
                       help="run a study: train (cached, resumable), test every claim, write tables, figures, "
                            "the claims ledger and report.html")
    r.add_argument("study")
    r.add_argument("--out", default="", help="results folder (the committed replication is results/); required "
                   "except with --export-models")
    r.add_argument("--train-only", action="store_true", help="train (or resume) the study's models, then stop")
    r.add_argument("--export-models", action="store_true", help="copy the study's trained models from the cache into "
                   "its model store (the study file's `models`), replacing older ones of the same name; trains nothing")
    r.add_argument("--seeds", default="", help="run on these of the study's seeds only, e.g. 0,1,2 (the report "
                   "says what was left out)")
    r.add_argument("--cells", default="", help="run on these of the study's cells only, e.g. gru")
    r.add_argument("--datasets", default="", help="run on these of the study's datasets only (parents of "
                   "fine-tuned ones are still trained)")
    r.add_argument("--scheduler", default=None, help="address of a running Dask scheduler (default: a local "
                                                     "cluster of single-thread workers, one per core)")
    r.add_argument("--workers", type=int, default=None, help="local cluster size (default: one per core; 0: run "
                                                            "everything in this process)")
    r.set_defaults(func=cmd_replicate)

    cb = sub.add_parser("calibrate", parents=[data, cache, quiet], formatter_class=fmt,
                        help="how often every finding's tests reject on networks never trained (simulated "
                             "studies with the study's architecture, settings and test examples)")
    cb.add_argument("study")
    cb.add_argument("--dataset", required=True, help="a dataset of the study")
    cb.add_argument("--cell", default="gru", choices=list(CELLS))
    cb.add_argument("--studies", type=int, default=300, help="simulated studies (each cached: reruns resume)")
    cb.add_argument("--out", default="results/calibration")
    cb.add_argument("--scheduler", default=None, help="address of a running Dask scheduler")
    cb.add_argument("--workers", type=int, default=None, help="local cluster size (default: one per core; 0: in "
                                                             "this process)")
    cb.set_defaults(func=cmd_calibrate)

    sv = sub.add_parser("sensitivity", parents=[data, cache], formatter_class=fmt,
                        help="redo the study's readings of the paper another way it allows, on its trained GRUs "
                             "(results/sensitivity/), and flag the claims whose verdicts change")
    sv.add_argument("study")
    sv.add_argument("--results", default="results", help="the study's results folder (its summary.csv)")
    sv.add_argument("--readings", default="", help="comma-separated, default all: counting, triggering, "
                    "storing_previous, intervention_value, gates, x_t")
    sv.set_defaults(func=cmd_sensitivity)

    rp = sub.add_parser("report", formatter_class=fmt,
                        help="the claims ledger with verdicts and report.html for a results folder")
    rp.add_argument("results", help="a folder written by `neuronstats replicate`")
    rp.add_argument("--floor", type=float, default=None, help="models' accuracy below which claims are not judged "
                    "(default: the study's accuracy_floor from manifest.json, else 0.90)")
    rp.set_defaults(func=cmd_report)

    model_cmd = [data, split]
    c = sub.add_parser("record", parents=model_cmd, formatter_class=fmt,
                       help="record states and gates of a trained model (.npz)")
    c.add_argument("model")
    c.add_argument("--limit", type=int, default=1000)
    c.add_argument("--mode", choices=["greedy", "teacher"], default="greedy")
    c.add_argument("--out", required=True)
    c.set_defaults(func=cmd_record)

    c = sub.add_parser("sweep", parents=model_cmd, formatter_class=fmt,
                       help="decode under an intervention, with random-neuron control sets")
    c.add_argument("model")
    c.add_argument("--limit", type=int, default=1000)
    c.add_argument("--step", default="T-1", help="decoder time: int or T, T-k, T+k")
    c.add_argument("--op", default="zero", choices=["zero", "keep_only", "from_step"])
    c.add_argument("--source-offset", type=int, default=-1, help="from_step: copy from t + this")
    c.add_argument("--neurons", default="", help="comma-separated neuron ids (default: all)")
    c.add_argument("--n-sets", type=int, default=200)
    c.add_argument("--seed", type=int, default=0)
    c.add_argument("--out", default="")
    c.set_defaults(func=cmd_sweep)

    fd = sub.add_parser("find", parents=model_cmd, formatter_class=fmt,
                        help="stages 1-2 of the paper's method for one hypothesis")
    fd.add_argument("model")
    fd.add_argument("--hypothesis", required=True, choices=["storing", "counting", "triggering", "outputting"])
    fd.add_argument("--token", default="")
    fd.add_argument("--limit", type=int, default=2000)
    fd.add_argument("--n-perm", type=int, default=1000)
    fd.add_argument("--out", default="")
    fd.set_defaults(func=cmd_find)

    b = sub.add_parser("bench", help="benchmarks (write results/bench/)")
    bsub = b.add_subparsers(dest="bench_cmd", required=True)
    bt = bsub.add_parser("train", parents=[data, cache, quiet, bench_out], formatter_class=fmt,
                         help="throughput, time-to-accuracy and learning curves for a grid of configs "
                              "(or for a study's models)")
    bt.add_argument("grid", nargs="?", default="analyses/bench_grid.toml", help="bench grid or study TOML")
    bt.add_argument("--only", default="", help="run only configs whose name contains this")
    bt.add_argument("--cached-only", action="store_true", help="report only configs already trained")
    bt.add_argument("--prefix", default="", help="prefix of the output file names")
    bt.set_defaults(func=cmd_bench)
    bm = bsub.add_parser("microscope", parents=[data, bench_out], formatter_class=fmt,
                         help="speed of recording, intervention sweeps and stages 1-2")
    bm.add_argument("--model", default="", help="a trained model: a run folder or its model.json (also runs the "
                    "stages benchmark)")
    bm.add_argument("--from-grid", default="", help="or: the name of a bench-grid run (trained if not cached)")
    bm.add_argument("--grid", default="analyses/bench_grid.toml")
    bm.set_defaults(func=cmd_bench_microscope)
    bd = bsub.add_parser("data", parents=[data, bench_out], formatter_class=fmt,
                         help="seconds and peak memory to prepare pairs from the Lahiri corpus, built and then "
                              "loaded from the cache")
    bd.add_argument("--cache-dir", default=None, help="cache to measure in (default: a temporary one)")
    bd.set_defaults(func=cmd_bench_data)
    bth = bsub.add_parser("threads", parents=[bench_out], formatter_class=fmt,
                          help="training throughput of the replication's recipe (GRU and LSTM) as a fraction of the "
                               "matmul ceiling, with one torch thread and with one per core, on the machine as "
                               "loaded now")
    bth.set_defaults(func=cmd_bench_threads)
    bs = bsub.add_parser("stats", parents=[bench_out], formatter_class=fmt,
                         help="speed of the statistics engine vs naive implementations")
    bs.set_defaults(func=cmd_bench_stats)

    a = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    if getattr(a, "quiet", False):  # quiet on the terminal; log files (replicate.log) still get every line
        for h in logging.getLogger().handlers:
            h.setLevel(logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            return a.func(a)
    except InputError as exc:
        print(f"neuronstats: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("neuronstats: interrupted; rerun the same command to resume", file=sys.stderr)
        return 130
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            print(f"neuronstats: error: disk full while writing {exc.filename or 'a file'} "
                  f"({shutil.disk_usage('.').free // 2**20} MiB free here); free space and rerun to resume",
                  file=sys.stderr)
            return 2
        raise
