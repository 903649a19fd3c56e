"""Command line: ``neuronstats`` / ``python -m neuronstats``: the parser. The commands
(:mod:`neuronstats.commands`) are imported once one runs, so that ``--help`` answers at
once. Printing happens in the commands only."""

from __future__ import annotations

import argparse
import errno
import logging
import os
import shutil
import sys
import warnings

from neuronstats import __version__
from neuronstats.config import CELLS
from neuronstats.errors import InputError

log = logging.getLogger("neuronstats.cli")

DESCRIPTION = ("Rigorous neuron-level analysis of recurrent seq2seq models: train, find neurons, intervene, "
               "and replicate Lee et al. (2023) with a null, a CI and a control for every claim.")
DATA_DIR = os.environ.get("NEURONSTATS_DATA", "data")
DATA_HELP = "folder the corpora's paths are relative to: $NEURONSTATS_DATA, else ./data (default here: %(default)s)"


class _Help(argparse.ArgumentDefaultsHelpFormatter):
    """Shows an option's default once: not where its help already says it, nor an empty one
    (None, False, "")."""

    def _get_help_string(self, action):
        text = action.help or ""
        default = action.default
        if "default" in text or default is None or default is False or default in ("", argparse.SUPPRESS):
            return text
        return super()._get_help_string(action)


def main(argv=None) -> int:
    fmt = _Help
    data = argparse.ArgumentParser(add_help=False)  # shared options, one definition each
    data.add_argument("--data-dir", default=DATA_DIR, help=DATA_HELP)
    cache = argparse.ArgumentParser(add_help=False)
    cache.add_argument("--cache-dir", default=None, help="cache root (default: $NEURONSTATS_CACHE or "
                                                        "~/.cache/neuronstats)")
    dask = argparse.ArgumentParser(add_help=False)
    dask.add_argument("--scheduler", default=None, help="address of a running Dask scheduler (default: a local "
                                                        "cluster of single-thread workers, one per core)")
    dask.add_argument("--workers", type=int, default=None, help="local cluster size (default: one per core; 0: run "
                                                               "everything in this process)")
    quiet = argparse.ArgumentParser(add_help=False)
    quiet.add_argument("--quiet", action="store_true", help="no progress on the terminal")
    split = argparse.ArgumentParser(add_help=False)
    split.add_argument("--split", choices=["train", "val", "test"], default="test")
    bench_out = argparse.ArgumentParser(add_help=False)
    bench_out.add_argument("--out", default="results/bench")

    p = argparse.ArgumentParser(prog="neuronstats", description=DESCRIPTION, formatter_class=fmt)
    p.add_argument("--version", action="version", version=f"neuronstats {__version__}")
    sub = p.add_subparsers(dest="cmd", required=True)

    t = sub.add_parser("train", parents=[data, cache, quiet], formatter_class=fmt,
                       help="train (or load from cache, or resume) the model a TOML config describes")
    t.add_argument("config")
    t.add_argument("--device", choices=["auto", "cpu", "cuda"], default=None)
    t.set_defaults(func="cmd_train")

    e = sub.add_parser("evaluate", parents=[data, split], formatter_class=fmt,
                       help="positioning accuracy of a trained model (a run folder or its model.json)")
    e.add_argument("model")
    e.add_argument("--limit", type=int, default=0)
    e.set_defaults(func="cmd_evaluate")

    d = sub.add_parser("data", help="corpus utilities")
    dsub = d.add_subparsers(dest="data_cmd", required=True)
    f = dsub.add_parser("fetch", parents=[quiet], formatter_class=fmt, help="download a corpus (checksums verified)")
    f.add_argument("name", choices=["gutenberg", "lyrics", "gutenberg-lahiri", "lyricsfreak"])
    f.add_argument("--to", required=True)
    f.add_argument("--url", default=None)
    f.add_argument("--sha256", default=None)
    f.set_defaults(func="cmd_fetch")

    r = sub.add_parser("replicate", parents=[data, cache, quiet, dask], formatter_class=fmt,
                       help="run a study: train (cached, resumable), test every claim, write tables, figures, "
                            "the claims ledger and report.html")
    r.add_argument("study")
    r.add_argument("--out", default="", help="results folder (the committed replication is results/); required "
                   "except with --export-models")
    r.add_argument("--train-only", action="store_true", help="train (or resume) the study's models, then stop")
    r.add_argument("--sensitivity", action="store_true", help="also redo the study's readings of the paper on its "
                   "trained GRUs (as `neuronstats sensitivity`; its jobs share the workers with the findings')")
    r.add_argument("--export-models", action="store_true", help="copy the study's trained models from the cache into "
                   "its model store (the study file's `models`), replacing older ones of the same name, and the "
                   "held-out test examples of datasets with ship_test_examples = true (store/examples) and the last "
                   "checkpoint of each model still training (store/unfinished, resumed from on another machine); "
                   "trains nothing")
    r.add_argument("--seeds", default="", help="run on these of the study's seeds only, e.g. 0,1,2 (the report "
                   "says what was left out)")
    r.add_argument("--cells", default="", help="run on these of the study's cells only, e.g. gru")
    r.add_argument("--datasets", default="", help="run on these of the study's datasets only (parents of "
                   "fine-tuned ones are still trained)")
    r.set_defaults(func="cmd_replicate")

    cb = sub.add_parser("calibrate", parents=[data, cache, quiet, dask], formatter_class=fmt,
                        help="how often every finding's tests reject on networks never trained (simulated "
                             "studies with the study's architecture, settings and test examples)")
    cb.add_argument("study")
    cb.add_argument("--dataset", required=True, help="a dataset of the study")
    cb.add_argument("--cell", default="gru", choices=list(CELLS))
    cb.add_argument("--studies", type=int, default=300, help="simulated studies (each cached: reruns resume)")
    cb.add_argument("--out", default="results/calibration")
    cb.set_defaults(func="cmd_calibrate")

    sv = sub.add_parser("sensitivity", parents=[data, cache, dask], formatter_class=fmt,
                        help="redo the study's readings of the paper another way it allows, on its trained GRUs "
                             "(results/sensitivity/; its jobs on Dask like replicate's), and flag the claims "
                             "whose verdicts change")
    sv.add_argument("study")
    sv.add_argument("--results", default="results", help="the study's results folder (its summary.csv)")
    sv.add_argument("--readings", default="", help="comma-separated, default all: counting, triggering, "
                    "storing_previous, intervention_value, gates, x_t")
    sv.set_defaults(func="cmd_sensitivity")

    rp = sub.add_parser("report", formatter_class=fmt,
                        help="the claims ledger with verdicts and report.html for a results folder")
    rp.add_argument("results", help="a folder written by `neuronstats replicate`")
    rp.add_argument("--floor", type=float, default=None, help="models' accuracy below which claims are not judged "
                    "(default: the study's accuracy_floor from manifest.json, else 0.90)")
    rp.set_defaults(func="cmd_report")

    model_cmd = [data, split]
    c = sub.add_parser("record", parents=model_cmd, formatter_class=fmt,
                       help="record states and gates of a trained model (.npz)")
    c.add_argument("model")
    c.add_argument("--limit", type=int, default=1000)
    c.add_argument("--mode", choices=["greedy", "teacher"], default="greedy")
    c.add_argument("--out", required=True)
    c.set_defaults(func="cmd_record")

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
    c.set_defaults(func="cmd_sweep")

    fd = sub.add_parser("find", parents=model_cmd, formatter_class=fmt,
                        help="stages 1-2 of the paper's method for one hypothesis")
    fd.add_argument("model")
    fd.add_argument("--hypothesis", required=True, choices=["storing", "counting", "triggering", "outputting"])
    fd.add_argument("--token", default="")
    fd.add_argument("--limit", type=int, default=2000)
    fd.add_argument("--n-perm", type=int, default=1000)
    fd.add_argument("--out", default="")
    fd.set_defaults(func="cmd_find")

    b = sub.add_parser("bench", help="benchmarks (write results/bench/)")
    bsub = b.add_subparsers(dest="bench_cmd", required=True)
    bt = bsub.add_parser("train", parents=[data, cache, quiet, bench_out], formatter_class=fmt,
                         help="throughput, time-to-accuracy and learning curves for a grid of configs "
                              "(or for a study's models)")
    bt.add_argument("grid", nargs="?", default="analyses/bench_grid.toml", help="bench grid or study TOML")
    bt.add_argument("--only", default="", help="run only configs whose name contains this")
    bt.add_argument("--cached-only", action="store_true", help="report only configs already trained")
    bt.add_argument("--prefix", default="", help="prefix of the output file names")
    bt.set_defaults(func="cmd_bench")
    bm = bsub.add_parser("microscope", parents=[data, bench_out], formatter_class=fmt,
                         help="speed of recording, intervention sweeps and stages 1-2")
    bm.add_argument("--model", default="", help="a trained model: a run folder or its model.json (also runs the "
                    "stages benchmark)")
    bm.add_argument("--from-grid", default="", help="or: the name of a bench-grid run (trained if not cached)")
    bm.add_argument("--grid", default="analyses/bench_grid.toml")
    bm.set_defaults(func="cmd_bench_microscope")
    bd = bsub.add_parser("data", parents=[data, bench_out], formatter_class=fmt,
                         help="seconds and peak memory to prepare pairs from the Lahiri corpus, built and then "
                              "loaded from the cache")
    bd.add_argument("--cache-dir", default=None, help="cache to measure in (default: a temporary one)")
    bd.set_defaults(func="cmd_bench_data")
    bth = bsub.add_parser("threads", parents=[bench_out], formatter_class=fmt,
                          help="training throughput of the replication's recipe (GRU and LSTM) as a fraction of the "
                               "matmul ceiling, with one torch thread and with one per core, on the machine as "
                               "loaded now")
    bth.set_defaults(func="cmd_bench_threads")
    bma = bsub.add_parser("malloc", parents=[bench_out], formatter_class=fmt,
                          help="training throughput (GRU and LSTM, one thread) under glibc's default allocator "
                               "settings, a Dask worker's and the kept freed memory that training and the study's "
                               "jobs use, each in a fresh process, rotated (malloc.csv); an intervention sweep "
                               "in a Dask worker with and without it (malloc_dask_sweep.csv)")
    bma.set_defaults(func="cmd_bench_malloc")
    bs = bsub.add_parser("stats", parents=[bench_out], formatter_class=fmt,
                         help="speed of the statistics engine vs naive implementations")
    bs.set_defaults(func="cmd_bench_stats")

    a = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    if getattr(a, "quiet", False):  # quiet on the terminal; log files (replicate.log) still get every line
        for h in logging.getLogger().handlers:
            h.setLevel(logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            import neuronstats.commands as commands  # the commands' imports (torch, Dask) load only once one runs

            return getattr(commands, a.func)(a)
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
