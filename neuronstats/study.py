"""A study: datasets × cells × seeds. Trains what is not cached (resumable at model
granularity), evaluates, and writes one stats table per finding per dataset plus a
summary and a run manifest.

Study TOML::

    name = "replication"
    seeds = [0, 1, 2, 3, 4]
    cells = ["gru", "lstm"]
    [analysis]            # n_null, alpha, ci_method, correction
    [[dataset]]           # name, optional findings = [...], then [data]/[model]/[train] overrides
    name = "lyrics"
    data = { source = "lyrics", path = "lyrics" }
"""

from __future__ import annotations

import dataclasses
import json
import platform
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import tomllib

from neuronstats import __version__, io
from neuronstats.config import config_from_dict
from neuronstats.errors import InputError


@dataclass
class AnalysisConfig:
    n_null: int = 1000  # positioning: shuffled-(w, T) draws
    alpha: float = 0.05
    ci_method: str = "seed_t"
    correction: str = "holm"
    findings: list = field(default_factory=lambda: ["storing", "counting", "triggering", "outputting",
                                                    "x_t negligible", "gates"])
    n_units: int = 10
    min_examples: int = 20
    n_sets: int = 200
    n_perm: int = 1000
    max_examples: int = 1000
    margin: float = 0.10
    x_margin: float = 0.05


@dataclass
class Study:
    name: str
    seeds: list
    cells: list
    datasets: dict  # dataset name -> RunConfig template (cell and seed filled per model)
    analysis: AnalysisConfig = field(default_factory=AnalysisConfig)
    source: str = ""
    dataset_findings: dict = field(default_factory=dict)  # dataset -> findings list overriding analysis.findings
    dataset_init: dict = field(default_factory=dict)  # dataset -> dataset whose models it fine-tunes

    def config(self, ds: str, cell: str, seed: int):
        """The RunConfig of one model (a fine-tuned dataset's carries its parent's as ``init``)."""
        tmpl = self.datasets[ds]
        cfg = dataclasses.replace(tmpl, model=dataclasses.replace(tmpl.model, cell=cell),
                                  train=dataclasses.replace(tmpl.train, seed=seed))
        cfg.name = f"{ds}-{cell}-s{seed}"
        if ds in self.dataset_init:
            cfg.init = self.config(self.dataset_init[ds], cell, seed)
        return cfg

    def runs(self):
        for ds in self.datasets:
            for cell in self.cells:
                for seed in self.seeds:
                    yield ds, cell, seed, self.config(ds, cell, seed)


def load_study(path) -> Study:
    path = Path(path)
    if not path.is_file():
        raise InputError("study file not found", path=path, expected="a study TOML (see analyses/)")
    try:
        raw = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}", path=path) from None
    known = {"name", "seeds", "cells", "analysis", "dataset"}
    if set(raw) - known:
        raise InputError(f"unknown key(s) {sorted(set(raw) - known)}", path=path, expected=", ".join(sorted(known)))
    seeds, cells = raw.get("seeds", [0]), raw.get("cells", ["gru"])
    if not (isinstance(seeds, list) and all(isinstance(s, int) for s in seeds) and len(seeds) >= 2):
        raise InputError(f"seeds = {seeds!r}", path=path, expected="a list of at least two integer seeds")
    if not (isinstance(cells, list) and set(cells) <= {"gru", "lstm"} and cells):
        raise InputError(f"cells = {cells!r}", path=path, expected='a list drawn from "gru", "lstm"')
    a = raw.get("analysis", {})
    bad = set(a) - {f.name for f in dataclasses.fields(AnalysisConfig)}
    if bad:
        raise InputError(f"unknown analysis key(s) {sorted(bad)}", path=path)
    datasets, dataset_findings, dataset_init = {}, {}, {}
    for i, d in enumerate(raw.get("dataset", [])):
        d = dict(d)
        name = d.pop("name", None)
        if not name:
            raise InputError(f"[[dataset]] #{i + 1} has no name", path=path)
        if "findings" in d:
            dataset_findings[name] = d.pop("findings")
        if "init" in d:
            parent = d.pop("init")
            if parent not in datasets:
                raise InputError(f"[[dataset]] {name}: init = {parent!r}", path=path,
                                 expected="the name of a dataset defined above it (whose models it fine-tunes)")
            dataset_init[name] = parent
        datasets[name] = config_from_dict(d, f"{path} [[dataset]] {name}")
    if not datasets:
        raise InputError("no [[dataset]] tables", path=path, expected="at least one dataset")
    study = Study(raw.get("name", path.stem), seeds, cells, datasets, AnalysisConfig(**a), str(path),
                  dataset_findings, dataset_init)
    for _ds, _cell, _seed, cfg in study.runs():
        cfg.check(f"{path} [[dataset]] {_ds}")
    return study


def _git_commit() -> str:
    """HEAD, with ``+dirty`` when the package or the analyses differ from it."""
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "neuronstats", "analyses"], capture_output=True,
                               text=True, check=True).stdout.strip()
        return head + ("+dirty" if dirty else "")
    except Exception:
        return "unknown"


def _versions() -> dict:
    import numpy
    import scipy
    import sklearn
    import statsmodels
    import torch

    return {"neuronstats": __version__, "python": platform.python_version(), "torch": torch.__version__,
            "numpy": numpy.__version__, "scipy": scipy.__version__, "sklearn": sklearn.__version__,
            "statsmodels": statsmodels.__version__, "pandas": pd.__version__}


def train_study(study: Study, data_dir, cache_dir=None, log=None, scheduler=None, workers=None):
    """Train every model of the study on Dask (cached models load at once).
    Returns (per-model facts, {(dataset, cell): [models by seed]}, {dataset: Dataset})."""
    from neuronstats.data.examples import prepare
    from neuronstats.engine import train_all
    from neuronstats.model.train import load_trained

    runs = list(study.runs())
    t0 = time.perf_counter()

    def done(res, k, n):
        if log:
            eta = (time.perf_counter() - t0) / k * (n - k)
            log(f"model {k} of {n}: {res['name']} test accuracy {res['test_accuracy']:.3f} "
                f"({res['train_seconds'] / 60:.1f} min training; study training ETA {eta / 60:.0f} min)")

    results = train_all([cfg for *_, cfg in runs], data_dir, cache_dir, scheduler=scheduler, workers=workers,
                        on_done=done)
    prepared, models, timings = {}, {}, {}
    for ds, cell, _seed, cfg in runs:
        res = results[cfg.name]
        if ds not in prepared:
            parent = load_trained(res["run_dir"]).vocab if cfg.init is not None else None
            prepared[ds] = prepare(cfg.data, data_dir, cache_dir=cache_dir, vocab=parent)
        trained = load_trained(res["run_dir"], dataset=prepared[ds])
        models.setdefault((ds, cell), []).append(trained.model)
        timings[cfg.name] = {k: res[k] for k in ("seconds_this_run", "train_seconds", "device", "epochs",
                                                  "stopped", "test_accuracy")}
        timings[cfg.name]["model_key"] = res["key"]
    return timings, models, prepared


def run_study(study: Study, data_dir, out_dir, cache_dir=None, log=None, progress=False, scheduler=None,
              workers=None) -> pd.DataFrame:
    """Train every model (cached), run the findings, write tables; returns the summary."""
    from neuronstats.findings.positioning import positioning_rows
    from neuronstats.model.train import heldout_examples
    from neuronstats.report.figures import counting_curves_figure, gates_figure, storing_pca_figure
    from neuronstats.report.tables import write_tables
    from neuronstats.stats.multitest import correct
    from neuronstats.stats.row import rows_to_frame

    t_start = time.perf_counter()
    out_dir = Path(out_dir)
    all_rows = []
    timings, models, prepared = train_study(study, data_dir, cache_dir, log=log, scheduler=scheduler,
                                            workers=workers)
    from neuronstats.findings.context import Context, FindingsConfig
    from neuronstats.findings.run import FINDINGS, compare_rows, run_finding

    a = study.analysis
    fcfg = FindingsConfig(n_units=a.n_units, min_examples=a.min_examples, n_sets=a.n_sets, n_perm=a.n_perm,
                          max_examples=a.max_examples, margin=a.margin, x_margin=a.x_margin, alpha=a.alpha,
                          ci_method=a.ci_method)
    partial = out_dir / ".partial"
    for ds, tmpl in study.datasets.items():
        ex = heldout_examples(prepared[ds], tmpl)
        tables = {"positioning": []}
        seed_values, figure_data = {}, {}
        for cell in study.cells:
            tables["positioning"] += positioning_rows(ds, cell, models[(ds, cell)], ex, n_null=a.n_null,
                                                      alpha=a.alpha, ci_method=a.ci_method,
                                                      store=seed_values.setdefault(cell, {}))
            ctx = None
            for name in study.dataset_findings.get(ds, a.findings):
                if name not in FINDINGS:
                    raise InputError(f"unknown finding {name!r}", path=study.source, expected=", ".join(FINDINGS))
                cached = partial / f"{ds}-{cell}-{name.replace(' ', '_')}.json"
                if cached.exists():  # resume at finding granularity
                    saved = json.loads(cached.read_text())
                    rows, values = saved["rows"], {tuple(k): v for k, v in saved["seed_values"]}
                    figs = saved.get("figure_data", {})
                else:
                    if ctx is None:
                        ctx = Context(ds, cell, models[(ds, cell)], ex, fcfg, vocab=prepared[ds].vocab.itos)
                    t = time.perf_counter()
                    before, figs_before = set(ctx.seed_values), set(ctx.figure_data)
                    rows = run_finding(name, ctx)
                    values = {k: v for k, v in ctx.seed_values.items() if k not in before}
                    figs = {k: v for k, v in ctx.figure_data.items() if k not in figs_before}
                    io.write_json(cached, {"rows": rows, "seed_values": [[list(k), v] for k, v in values.items()],
                                           "figure_data": figs, "seconds": time.perf_counter() - t})
                    if log:
                        log(f"{ds} {cell} {name}: {len(rows)} rows ({time.perf_counter() - t:.0f} s)")
                tables.setdefault(name, []).extend(rows)
                seed_values.setdefault(cell, {}).update(values)
                figure_data.setdefault(cell, {}).update(figs)
        names = dict(enumerate(prepared[ds].vocab.itos))
        for name, rows in tables.items():
            table = correct(rows_to_frame(rows), a.correction)
            write_tables(table, out_dir / ds / name.replace(" ", "_"), caption=f"{name}, {ds}")
            all_rows.append(table)
            if name == "gates":
                for cell, g in table.groupby("cell"):
                    gates_figure(g, out_dir / ds / "figures" / f"fig5_gates_{cell}", f"{ds}, {cell.upper()}, seed mean")
        for cell, figs in figure_data.items():
            title = f"{ds}, {cell.upper()}, seed 0"
            storing_pca_figure(figs.get("storing_pca"), out_dir / ds / "figures" / f"fig2_storing_pca_{cell}", title,
                               names)
            counting_curves_figure(figs.get("counting_curves"), out_dir / ds / "figures" / f"fig3_counting_{cell}",
                                   title)
        if {"gru", "lstm"} <= set(study.cells):
            cmp = rows_to_frame(compare_rows(ds, seed_values.get("gru", {}), seed_values.get("lstm", {})))
            if len(cmp):
                cmp = correct(cmp, a.correction)
                write_tables(cmp, out_dir / ds / "gru_vs_lstm", caption=f"GRU vs LSTM, {ds}")
                for finding, g in cmp.groupby("finding", sort=False):  # and one table per finding
                    write_tables(g, out_dir / ds / "gru_vs_lstm" / finding.replace(" ", "_"),
                                 caption=f"GRU vs LSTM, {finding}, {ds}")
    summary = pd.concat(all_rows, ignore_index=True)
    write_tables(summary, out_dir / "summary", caption=f"{study.name}: summary")
    from neuronstats.report.figures import table1_figure

    table1_figure(summary, out_dir / "figures" / "table1")
    manifest = {"study": study.name, "study_file": study.source, "seeds": study.seeds, "cells": study.cells,
                "datasets": {k: v.to_dict() for k, v in study.datasets.items()},
                "analysis": dataclasses.asdict(study.analysis), "git_commit": _git_commit(),
                "versions": _versions(), "models": timings,
                "findings_seconds": {f.stem: json.loads(f.read_text()).get("seconds")
                                     for f in sorted(partial.glob("*.json"))},
                "seconds_this_run": time.perf_counter() - t_start}
    io.write_json(out_dir / "manifest.json", json.loads(json.dumps(manifest, default=str)))
    return summary
