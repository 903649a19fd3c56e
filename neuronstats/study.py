"""A study: datasets × cells × seeds. Trains what is not cached (resumable at model
granularity), evaluates, and writes one stats table per finding per dataset plus a
summary and a run manifest.

Study TOML::

    name = "replication"
    seeds = [0, 1, 2, 3, 4]
    cells = ["gru", "lstm"]
    [analysis]            # n_null, alpha, ci_method, correction
    [[dataset]]           # name, optional findings = [...] and cells = [...], then [data]/[model]/[train] overrides
    name = "lyrics"
    data = { source = "lyrics", path = "lyrics" }
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import os
import platform
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy
import numpy as np
import pandas as pd
import scipy
import sklearn
import statsmodels
import torch

from neuronstats import __version__, io
from neuronstats.config import CELLS, TrainConfig, _build, config_from_dict, read_toml
from neuronstats.data.cache import prepare
from neuronstats.data.examples import check_corpus
from neuronstats.engine import dask_session, run_jobs, train_all
from neuronstats.errors import InputError
from neuronstats.findings import registry
from neuronstats.findings.context import Context
from neuronstats.findings.run import compare_rows, run_finding
from neuronstats.findings.settings import OPTIONS, SETTINGS, FindingsConfig
from neuronstats.hardware import arithmetic, one_thread
from neuronstats.model.files import has_model
from neuronstats.model.store import CHECKPOINT, export_checkpoint, export_examples, export_model, find_in_store
from neuronstats.model.train import (
    heldout_examples,
    load_model,
    load_trained,
    resolve_key,
    run_dir_for,
    untrained_models,
)
from neuronstats.paper import paper_value
from neuronstats.partial import cached, examples_key, result_key
from neuronstats.report.figures import (
    table1_figure,
)
from neuronstats.report.html import build_report
from neuronstats.report.ledger import VS_UNTRAINED
from neuronstats.report.tables import write_tables
from neuronstats.sensitivity import judge, sensitivity_jobs, write_sensitivity
from neuronstats.stats.multitest import correct
from neuronstats.stats.row import rows_to_frame

logger = logging.getLogger(__name__)

CI_METHODS = ("seed_t", "percentile")
CORRECTIONS = ("holm", "bh", "fdr_bh", "bonferroni", "none")
UNTRAINED = "@untrained"  # result-name suffix of the untrained-network baseline


@dataclass(frozen=True)
class AnalysisConfig(FindingsConfig):
    """A study's ``[analysis]`` table: every finding setting (:class:`FindingsConfig`,
    defined there once) and what the study does with the findings."""

    correction: str = "holm"  # multiple-comparison correction within each table
    findings: tuple = tuple(registry.optional_names())  # the findings to run (positioning always runs)
    untrained_baseline: bool = True  # every test also on untrained networks of the same architecture and seeds
    accuracy_floor: float = 0.90  # findings on models positioning less than this are flagged, not judged

    def __post_init__(self):
        object.__setattr__(self, "findings", tuple(self.findings))

    def findings_config(self) -> FindingsConfig:
        """The settings every finding reads."""
        return FindingsConfig(**{f: getattr(self, f) for f in SETTINGS})


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
    dataset_paper: dict = field(default_factory=dict)  # dataset -> the paper's dataset it stands for
    dataset_cells: dict = field(default_factory=dict)  # dataset -> the cells it is run with (default: all)
    cell_train: dict = field(default_factory=dict)  # dataset -> {cell: TrainConfig overrides for that cell}
    models: str = ""  # the study's model store (neuronstats.model.store): shipped models, found by key
    ship_examples: list = field(default_factory=list)  # datasets whose test examples the store ships
    parents: dict = field(default_factory=dict)  # templates of datasets left out by subset() but fine-tuned from
    subset_of: dict | None = None  # the study file's seeds/cells/datasets when this run covers only part of it

    def subset(self, seeds=None, cells=None, datasets=None) -> Study:
        """The same study on part of its models (e.g. the seeds trained so far). Parents of
        kept fine-tuned datasets are still trained; the run's manifest and report say
        what was left out."""
        for what, got, have in (("seeds", seeds, self.seeds), ("cells", cells, self.cells),
                                ("datasets", datasets, list(self.datasets))):
            if got is not None and (not got or set(got) - set(have)):
                raise InputError(f"--{what} {','.join(map(str, got))}", path=self.source,
                                 expected=f"a non-empty subset of the study's {what}: {','.join(map(str, have))}")
        keep = list(datasets) if datasets is not None else list(self.datasets)
        if cells is not None:  # a dataset run with none of the chosen cells is left out of this run
            keep = [d for d in keep if set(cells) & set(self.dataset_cells.get(d, cells))]
            if not keep:
                raise InputError(f"--cells {','.join(cells)}", path=self.source,
                                 expected="cells that some chosen dataset is run with")
        parents = {**self.parents, **{d: t for d, t in self.datasets.items() if d not in keep}}
        full = self.subset_of or {"seeds": self.seeds, "cells": self.cells, "datasets": list(self.datasets)}
        return dataclasses.replace(
            self, seeds=list(seeds) if seeds is not None else self.seeds,
            cells=list(cells) if cells is not None else self.cells,
            datasets={d: t for d, t in self.datasets.items() if d in keep}, parents=parents, subset_of=full)

    def coverage(self) -> str:
        """What this run covers, and what it leaves out of the study file ("" when all)."""
        if not self.subset_of:
            return ""
        left = [f"{k} {', '.join(map(str, v))}" for k, v in
                (("datasets", [d for d in self.subset_of["datasets"] if d not in self.datasets]),
                 ("cells", [c for c in self.subset_of["cells"] if c not in self.cells]),
                 ("seeds", [s for s in self.subset_of["seeds"] if s not in self.seeds])) if v]
        return (f"this run covers datasets {', '.join(self.datasets)} × cells {', '.join(self.cells)} × seeds "
                f"{', '.join(map(str, self.seeds))} of the study; left out: {'; '.join(left)}")

    def cells_of(self, ds: str) -> list:
        """The cells dataset ``ds`` is run with: the study's, less those its ``cells`` leaves out."""
        return [c for c in self.cells if c in self.dataset_cells.get(ds, self.cells)]

    def paper_dataset(self, ds: str) -> str:
        return self.dataset_paper.get(ds, ds)

    def config(self, ds: str, cell: str, seed: int):
        """The RunConfig of one model (a fine-tuned dataset's carries its parent's as ``init``)."""
        tmpl = self.datasets[ds] if ds in self.datasets else self.parents[ds]
        train = dataclasses.replace(tmpl.train, seed=seed, **self.cell_train.get(ds, {}).get(cell, {}))
        init = self.config(self.dataset_init[ds], cell, seed) if ds in self.dataset_init else tmpl.init
        return dataclasses.replace(tmpl, model=dataclasses.replace(tmpl.model, cell=cell), train=train,
                                   name=f"{ds}-{cell}-s{seed}", init=init)

    def runs(self):
        for ds in self.datasets:
            for cell in self.cells_of(ds):
                for seed in self.seeds:
                    yield ds, cell, seed, self.config(ds, cell, seed)


def check_findings(names, where: str, path) -> None:
    known = registry.optional_names()
    if not isinstance(names, (list, tuple)) or any(n not in known for n in names):
        bad = [n for n in names if n not in known] if isinstance(names, (list, tuple)) else names
        raise InputError(f"{where} has unknown finding(s) {bad!r}", path=path,
                         expected="names from " + ", ".join(map(repr, known)))


def check_analysis(a: AnalysisConfig, path=None) -> AnalysisConfig:
    """Names and ranges of the [analysis] table, checked before any work."""
    check_findings(a.findings, "analysis.findings", path)
    if a.all_examples:  # set by the study for its untrained baseline only
        raise InputError("analysis.all_examples is not a setting of a study", path=path,
                         expected="one of " + ", ".join(OPTIONS) + ", correction, findings, untrained_baseline, "
                                  "accuracy_floor")
    if a.ci_method not in CI_METHODS:
        raise InputError(f"analysis.ci_method = {a.ci_method!r}", path=path, expected=" | ".join(CI_METHODS))
    if a.correction not in CORRECTIONS:
        raise InputError(f"analysis.correction = {a.correction!r}", path=path, expected=" | ".join(CORRECTIONS))
    if not 0 < a.alpha < 1:
        raise InputError(f"analysis.alpha = {a.alpha}", path=path, expected="0 < alpha < 1")
    for key in ("n_null", "n_units", "min_examples", "n_sets", "n_perm", "max_examples"):
        if getattr(a, key) < 1:
            raise InputError(f"analysis.{key} = {getattr(a, key)}", path=path, expected="≥ 1")
    for key in ("margin", "x_margin", "accuracy_floor"):
        if not 0 < getattr(a, key) < 1:
            raise InputError(f"analysis.{key} = {getattr(a, key)}", path=path, expected="between 0 and 1")
    return a


def load_study(path) -> Study:
    path = Path(path)
    raw = read_toml(path, "a study TOML (see analyses/)")
    known = {"name", "seeds", "cells", "analysis", "dataset", "models"}
    if set(raw) - known:
        raise InputError(f"unknown key(s) {sorted(set(raw) - known)}", path=path, expected=", ".join(sorted(known)))
    seeds, cells = raw.get("seeds", [0]), raw.get("cells", ["gru"])
    if not (isinstance(seeds, list) and all(isinstance(s, int) for s in seeds) and seeds
            and len(set(seeds)) == len(seeds)):
        raise InputError(f"seeds = {seeds!r}", path=path, expected="a list of distinct integer seeds")
    if not (isinstance(cells, list) and set(cells) <= set(CELLS) and cells):
        raise InputError(f"cells = {cells!r}", path=path, expected="a list drawn from " + ", ".join(map(repr, CELLS)))
    analysis = check_analysis(_build(AnalysisConfig, raw.get("analysis", {}), "analysis", path), path)
    datasets, dataset_findings, dataset_init, dataset_paper, dataset_cells, cell_train = {}, {}, {}, {}, {}, {}
    ship = []
    for i, d in enumerate(raw.get("dataset", [])):
        d = dict(d)
        name = d.pop("name", None)
        if not name:
            raise InputError(f"[[dataset]] #{i + 1} has no name", path=path)
        if "findings" in d:
            dataset_findings[name] = d.pop("findings")
            check_findings(dataset_findings[name], f"[[dataset]] {name}: findings", path)
        if "paper" in d:
            dataset_paper[name] = str(d.pop("paper"))
        if "cells" in d:
            dataset_cells[name] = d.pop("cells")
            if not (isinstance(dataset_cells[name], list) and dataset_cells[name]
                    and set(dataset_cells[name]) <= set(cells)):
                raise InputError(f"[[dataset]] {name}: cells = {dataset_cells[name]!r}", path=path,
                                 expected="a non-empty list drawn from the study's cells: " + ", ".join(cells))
        if "cell_train" in d:  # e.g. cell_train = { lstm = { max_epochs = 24, patience = 4 } }
            per_cell = d.pop("cell_train")
            if not (isinstance(per_cell, dict) and set(per_cell) <= set(cells)
                    and all(isinstance(v, dict) for v in per_cell.values())):
                raise InputError(f"[[dataset]] {name}: cell_train = {per_cell!r}", path=path,
                                 expected="a table of the study's cells, each a table of [train] keys")
            if any("seed" in v for v in per_cell.values()):
                raise InputError(f"[[dataset]] {name}: cell_train sets a seed", path=path,
                                 expected="seeds from the study's seeds list only")
            for c, v in per_cell.items():  # names, types and choices checked like [train]
                built = _build(TrainConfig, v, f"cell_train.{c}", path)
                cell_train.setdefault(name, {})[c] = {k: getattr(built, k) for k in v}
        if "ship_test_examples" in d:  # the licence allows shipping the held-out test examples
            if not isinstance(flag := d.pop("ship_test_examples"), bool):
                raise InputError(f"[[dataset]] {name}: ship_test_examples = {flag!r}", path=path,
                                 expected="true or false")
            if flag:
                ship.append(name)
        if "init" in d:
            parent = d.pop("init")
            if parent not in datasets:
                raise InputError(f"[[dataset]] {name}: init = {parent!r}", path=path,
                                 expected="the name of a dataset defined above it (whose models it fine-tunes)")
            dataset_init[name] = parent
        datasets[name] = config_from_dict(d, f"{path} [[dataset]] {name}")
    if not datasets:
        raise InputError("no [[dataset]] tables", path=path, expected="at least one dataset")
    study = Study(raw.get("name", path.stem), seeds, cells, datasets, analysis, str(path),
                  dataset_findings, dataset_init, dataset_paper, dataset_cells, cell_train=cell_train,
                  ship_examples=ship)
    if "models" in raw:  # relative to the study file
        if not isinstance(raw["models"], str) or not raw["models"]:
            raise InputError(f"models = {raw['models']!r}", path=path, expected="a folder path (the model store)")
        study.models = str((path.parent / raw["models"]).resolve())
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
    return {"neuronstats": __version__, "python": platform.python_version(), "torch": torch.__version__,
            "numpy": numpy.__version__, "scipy": scipy.__version__, "sklearn": sklearn.__version__,
            "statsmodels": statsmodels.__version__, "pandas": pd.__version__}


def check_out_dir(out_dir, create: bool = True) -> Path:
    """Check that ``out_dir`` can be written, before any work: an existing folder must
    take a file, a new one must be creatable (its nearest existing parent a writable
    folder). ``create``: make it now; else nothing is made (a check that fails leaves
    nothing behind)."""
    out_dir = Path(out_dir)
    expected = "a writable folder for --out"
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError("the results folder is a file", path=out_dir, expected=expected)
    if not out_dir.exists():
        parent = next(p for p in out_dir.absolute().parents if p.exists())
        if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
            raise InputError(f"cannot create the results folder: {parent} is not a writable folder", path=out_dir,
                             expected=expected)
        if not create:
            return out_dir
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        probe = out_dir / ".write-test"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        raise InputError(f"cannot write the results folder: {exc.strerror}", path=out_dir,
                         expected=expected) from None
    return out_dir


def check_run(study: Study, data_dir, out_dir=None) -> None:
    """Everything a run of ``study`` needs that can be checked in milliseconds, checked
    before it starts Dask or writes a file, so that a wrong path fails at once, in one
    line, and leaves nothing behind: every dataset's corpus (fine-tuned datasets' parents
    included) under ``data_dir``, and ``out_dir`` (writable, or creatable; no other run
    writing there). The study itself is checked when it is loaded (:func:`load_study`)."""
    seen = set()
    for *_, cfg in study.runs():
        c = cfg
        while c is not None:  # the model and the models it is fine-tuned from
            key = (c.data.source, c.data.path)
            if key not in seen:
                seen.add(key)
                check_corpus(c.data, data_dir)
            c = c.init
    if out_dir is not None:
        check_out_dir(out_dir, create=False)
        _check_not_locked(Path(out_dir) / ".lock")


def _check_not_locked(lock_path: Path) -> None:
    """Raise the lock's own error if another run holds ``lock_path`` (created by nobody here)."""
    if not lock_path.is_file():
        return
    with io.exclusive(lock_path, wait=False):
        pass


def train_study(study: Study, data_dir, cache_dir=None, log=None, client=None) -> dict:
    """Train every model of the study (cached models load at once; on Dask when
    ``client`` is given). A newly trained model goes into the study's model store (and,
    where the dataset ships them, its test examples). Returns ``{model name: facts}`` with
    its ``run_dir``."""
    t0 = time.perf_counter()
    exported = []

    def done(res, k, n):
        if study.models and not Path(res["run_dir"]).is_relative_to(study.models):
            export_model(res["run_dir"], study.models)  # newly trained: the store gets (or replaces) it
            exported.append(res["name"])
        eta = (time.perf_counter() - t0) / k * (n - k)
        _say(log, f"model {k} of {n}: {res['name']} test accuracy {res['test_accuracy']:.3f} "
                  f"({res['train_seconds'] / 60:.1f} min training; training ETA {eta / 60:.0f} min)")

    out = train_all([cfg for *_, cfg in study.runs()], data_dir, cache_dir, client=client, on_done=done,
                    store=study.models or None)
    if exported:  # export_model replaced their manifest entries: name their examples again
        ship_examples(study, data_dir, cache_dir)
    return out


def export_cached(study: Study, data_dir=None, cache_dir=None) -> tuple[dict, dict, dict]:
    """Copy the study's models that are trained (in the cache) into its model store, each
    replacing the store's model of the same name, and the last checkpoint of each model
    still training (so that another machine resumes it); nothing is trained. Then
    :func:`ship_examples`. Returns ``({name: manifest entry} of the models exported,
    {dataset: examples file}, {name: (epochs done, checkpoint path)} of the unfinished)``."""
    if not study.models:
        raise InputError("the study names no model store", path=study.source,
                         expected='a top-level models = "FOLDER" (relative to the study file)')
    out, unfinished = {}, {}
    for *_, cfg in study.runs():
        key = resolve_key(cfg, data_dir)
        if find_in_store(study.models, key) is not None:
            continue
        run_dir = run_dir_for(cfg, cache_dir, key=key)
        if has_model(run_dir):
            out[cfg.name] = export_model(run_dir, study.models, cfg.name)
        elif (run_dir / CHECKPOINT).is_file():
            try:
                path = export_checkpoint(run_dir, study.models)
            except FileNotFoundError:  # the trainer finished (and removed it) meanwhile
                if has_model(run_dir):
                    out[cfg.name] = export_model(run_dir, study.models, cfg.name)
                continue
            unfinished[cfg.name] = (torch.load(path, map_location="cpu", weights_only=True)["state"]["epoch"], path)
    return out, ship_examples(study, data_dir, cache_dir), unfinished


def ship_examples(study: Study, data_dir=None, cache_dir=None) -> dict:
    """For each dataset of ``ship_test_examples = true``: its held-out test examples,
    written into the study's model store and named in the manifest entries of that
    dataset's models the store holds (found by content key, so a stale model of the same
    name is never paired with them; :func:`neuronstats.model.store.export_examples`).
    Returns ``{dataset: examples file}``."""
    shipped = {}
    for ds in study.ship_examples if study.models else ():
        dirs = [find_in_store(study.models, resolve_key(cfg, data_dir)) for d, *_, cfg in study.runs() if d == ds]
        names = [d.name for d in dirs if d is not None]
        if not names:
            continue
        vocab = load_model(Path(study.models) / names[0])[1] if ds in study.dataset_init else None
        data = prepare(study.datasets[ds].data, data_dir, cache_dir=cache_dir, vocab=vocab)
        shipped[ds] = export_examples(study.models, names, heldout_examples(data, study.datasets[ds]), ds)
    return shipped


def _say(log, msg: str) -> None:
    logger.info(msg)
    if log:
        log(msg)


def cell_findings(dataset: str, cell: str, model_dirs: list, tmpl, fine_tuned: bool, names: list,
                  analysis: AnalysisConfig, partial_dir, data_dir=None, cache_dir=None,
                  which=("trained", "untrained")) -> dict:
    """:func:`_cell_findings` on one thread (torch and BLAS): the same numbers whether it
    runs in a single-thread Dask worker or in this process, whatever its thread count."""
    with one_thread():
        return _cell_findings(dataset, cell, model_dirs, tmpl, fine_tuned, names, analysis, partial_dir,
                              data_dir, cache_dir, which)


def _cell_findings(dataset: str, cell: str, model_dirs: list, tmpl, fine_tuned: bool, names: list,
                   analysis: AnalysisConfig, partial_dir, data_dir=None, cache_dir=None,
                   which=("trained", "untrained")) -> dict:
    """Positioning and every finding for one dataset × cell, on the trained models and/or
    (``which``) their untrained baseline. Each result is cached in ``partial_dir`` under
    its content key, so a killed study resumes at finding granularity and a changed input
    never reuses an old result.

    Returns ``{name: {"rows", "seed_values", "figure_data", "seconds"}}`` and ``"_vocab"``."""
    partial_dir = Path(partial_dir)
    trained = [load_trained(d) for d in model_dirs]
    vocab = trained[0].vocab
    ds = prepare(tmpl.data, data_dir, cache_dir=cache_dir, vocab=vocab if fine_tuned else None)
    ex_key = examples_key(ds, tmpl)
    a = analysis
    fcfg = a.findings_config()
    out = {"_vocab": vocab.itos, "_accuracy": [float(t.test["accuracy"]) for t in trained]}
    variants = [(cell, [t.model for t in trained], fcfg, "")] if "trained" in which else []
    if a.untrained_baseline and "untrained" in which:
        # the same architecture and seeds, never trained: where a test rejects here too, it cannot
        # tell a trained mechanism from a random network (the ledger then uses trained_vs_untrained rows)

        untrained = [untrained_models(t.config, len(vocab), [t.config.train.seed])[0] for t in trained]
        variants.append((f"{cell} untrained", untrained, dataclasses.replace(fcfg, all_examples=True),
                         UNTRAINED))
    examples = functools.cache(lambda: heldout_examples(ds, tmpl))  # read only if a result is not cached
    for label, models, cfg, suffix in variants:
        context = functools.cache(lambda label=label, models=models, cfg=cfg:
                                  Context(dataset, label, models, examples(), cfg, vocab=vocab.itos))
        for name in ["positioning", *names]:
            out[name + suffix] = cached(partial_dir, f"{dataset}-{cell}-{name.replace(' ', '_')}{suffix}",
                                        result_key(name + suffix, dataset, cell, model_dirs, ex_key, analysis,
                                                   registry.get(name).version),
                                        functools.partial(_finding_result, name, context))
    return out


def _finding_result(name: str, context) -> dict:
    """One finding on ``context()`` as a JSON-able result (rows, seed values, figure data)."""
    t = time.perf_counter()
    ctx = context()
    res = run_finding(name, ctx)
    logger.info("%s %s %s: %d rows (%.0f s)", ctx.dataset, ctx.cell, name, len(res.rows), time.perf_counter() - t)
    return {"rows": res.rows, "seed_values": [[list(k), v] for k, v in res.seed_values.items()],
            "figure_data": res.figure_data}


def run_study(study: Study, data_dir, out_dir, cache_dir=None, log=None, progress=False, scheduler=None,
              workers=None, sensitivity: bool = False) -> pd.DataFrame:
    """Train every model (cached), run the findings (cached), write tables, figures and
    the manifest; returns the summary. ``workers = 0`` runs everything in this process;
    otherwise jobs run on Dask (``scheduler`` address, or a local cluster).

    ``sensitivity``: also redo the study's readings of the paper on its trained GRUs
    (:mod:`neuronstats.sensitivity`, written to ``out_dir/sensitivity``), as jobs queued
    behind the findings' on the same workers, so that neither phase waits for the other's
    last job."""
    t_start = time.perf_counter()
    check_run(study, data_dir, out_dir)  # before any file or worker: a wrong path fails here, leaving nothing
    out_dir = check_out_dir(out_dir)
    with io.exclusive(out_dir / ".lock", wait=False), dask_session(scheduler, workers) as client:
        trained = train_study(study, data_dir, cache_dir, log=log, client=client)
        jobs = {}
        for ds, tmpl in study.datasets.items():
            for cell in study.cells_of(ds):
                dirs = [trained[study.config(ds, cell, s).name]["run_dir"] for s in study.seeds]
                names = study.dataset_findings.get(ds, study.analysis.findings)
                # trained models and untrained baseline as two jobs: they take about as long, and
                # two shorter jobs balance the workers better than one
                for which in ("trained", "untrained") if study.analysis.untrained_baseline else ("trained",):
                    jobs[(ds, cell, which)] = (cell_findings, (
                        ds, cell, dirs, tmpl, ds in study.dataset_init, names, study.analysis,
                        str(out_dir / ".partial"), data_dir, cache_dir, (which,)))
        readings = (sensitivity_jobs(study, data_dir=data_dir, cache_dir=cache_dir, partial_dir=out_dir / ".partial")
                    if sensitivity else {})
        done = {}
        for k, (job, res) in enumerate(run_jobs({**jobs, **readings}, client, progress=progress, desc="findings"),
                                       1):
            done[job] = res
            _say(log, f"jobs {k} of {len(jobs) + len(readings)}: {' '.join(job)} done")
        results = {}
        for job in jobs:  # in the study's order, whatever order the jobs finished in
            results.setdefault(job[:2], {}).update(done[job])
    summary = write_reports(study, results, out_dir)
    manifest = {"study": study.name, "study_file": study.source, "seeds": study.seeds, "cells": study.cells,
                "datasets": {k: v.to_dict() for k, v in study.datasets.items()},
                "fine_tuned_from": study.dataset_init,
                "paper_datasets": {ds: study.paper_dataset(ds) for ds in study.datasets},
                "subset_of": study.subset_of, "coverage": study.coverage(),
                "analysis": dataclasses.asdict(study.analysis), "git_commit": _git_commit(),
                "versions": _versions(), "arithmetic": arithmetic(),
                "models": {k: {f: v for f, v in t.items() if f != "run_dir"} for k, t in trained.items()},
                "findings": {f"{ds}-{cell}-{name}": {"seconds": r["seconds"], "key": r["key"]}
                             for (ds, cell), res in results.items() for name, r in res.items()
                             if not name.startswith("_")},
                "sensitivity": {"-".join(job[1:]): {"seconds": done[job]["seconds"], "key": done[job]["key"]}
                                for job in readings},
                "models_accuracy": {f"{ds}-{cell}": res["_accuracy"] for (ds, cell), res in results.items()},
                "seconds_this_run": time.perf_counter() - t_start}
    io.write_json(out_dir / "manifest.json", json.loads(json.dumps(manifest, default=str)))
    if readings:
        write_sensitivity(judge(study, summary, {k: done[k]["rows"] for k in readings}), out_dir / "sensitivity")
    build_report(out_dir, floor=study.analysis.accuracy_floor)
    return summary


def mark_untrained(table: pd.DataFrame) -> pd.DataFrame:
    """Say in each trained row whether the same test rejects on the untrained network
    (``untrained_rejects``, and a note): such a row's own null is one that a network
    without the mechanism passes, so its ``reject`` alone is no support (the
    trained-vs-untrained rows are the test that counts)."""
    out = table.copy()
    base = out[out.cell.str.endswith(" untrained")]
    hit = {(c[: -len(" untrained")], t, u): bool(r) for c, t, u, r in
           zip(base.cell, base.test_id, base.unit, base.reject) if r is not None}
    for i in out.index[~out.cell.str.endswith(" untrained")]:
        key = (out.at[i, "cell"], out.at[i, "test_id"], out.at[i, "unit"])
        if key not in hit:
            continue
        out.at[i, "untrained_rejects"] = hit[key]
        if hit[key]:
            out.at[i, "notes"] = ("NOT DIAGNOSTIC: the untrained network rejects this null too, so this row's "
                                  "rejection is no evidence of a trained mechanism (see trained_vs_untrained); "
                                  + out.at[i, "notes"])
    return out


def seed_effects_frame(dataset: str, effects: dict, seeds: list) -> pd.DataFrame:
    """Each test's per-seed effects, tidy: one row per cell, test and seed, where the
    effect is the seed's statistic minus its own control where the row has one (what the
    trained-vs-untrained and GRU-vs-LSTM rows compare). ``effects``: cell -> {(finding,
    test, unit, test_id): [effect per seed]}. ``seed`` is the study's seed where every
    seed gave the test a value, else missing (a seed without enough examples is left out
    of a test). Other studies' rows compare with these: ``analyses/scale_table.py``."""
    cols = ["dataset", "cell", "finding", "test", "unit", "test_id", "seed", "effect"]
    rows = [(dataset, cell, *key[:3], key[3], seeds[i] if len(vals) == len(seeds) else None, float(v))
            for cell, by_key in effects.items() for key, vals in sorted(by_key.items(), key=lambda kv: str(kv[0]))
            for i, v in enumerate(vals)]
    return pd.DataFrame(rows, columns=cols).astype({"seed": "Int64"})


def write_reports(study: Study, results: dict, out_dir: Path) -> pd.DataFrame:
    """Tables (CSV + LaTeX) per dataset × finding, GRU-vs-LSTM tables, figures, summary."""
    a = study.analysis
    all_rows = []
    for ds in study.datasets:
        tables: dict = {}
        seed_values: dict = {}
        untrained_values: dict = {}
        figure_data: dict = {}
        names = {}
        for cell in study.cells_of(ds):
            res = results[(ds, cell)]
            names = dict(enumerate(res["_vocab"]))
            acc = res["_accuracy"]
            quality = (f"models' test positioning accuracy {100 * np.mean(acc):.1f} % (seeds: "
                       + ", ".join(f"{100 * x:.1f}" for x in acc) + ")")
            if np.mean(acc) < a.accuracy_floor:
                quality = f"BELOW THE ACCURACY FLOOR ({100 * a.accuracy_floor:.0f} %): " + quality
            if ds in study.dataset_init:
                quality += f"; fine-tuned from the {study.dataset_init[ds]} models of the same cell and seed"
            for name, r in res.items():
                if name.startswith("_"):
                    continue
                if name.endswith(UNTRAINED):
                    base = name[: -len(UNTRAINED)]
                    untrained_values.setdefault(cell, {}).update({tuple(k): v for k, v in r["seed_values"]})
                    note = ("untrained baseline: the same architecture and seeds before training, tested on every "
                            "example; a rejection here means this test alone cannot tell a trained mechanism from a "
                            "random network (see trained_vs_untrained)")
                    tables.setdefault(base, []).extend(
                        {**row, "notes": "; ".join(x for x in (row["notes"], note) if x), "paper_value": None}
                        for row in r["rows"])
                    continue
                paper_ds = study.paper_dataset(ds)
                rows = [{**row, "notes": "; ".join(x for x in (row["notes"], quality) if x),
                         "paper_value": paper_value(paper_ds, cell, row["test_id"], row["unit"])}
                        for row in r["rows"]]
                tables.setdefault(name, []).extend(rows)
                seed_values.setdefault(cell, {}).update({tuple(k): v for k, v in r["seed_values"]})
                figure_data.setdefault(cell, {}).update(r["figure_data"])
        alternatives = {}  # (cell, row key) -> the direction its test claims, for the trained-vs-untrained rows
        for name, rows in tables.items():
            table = mark_untrained(correct(rows_to_frame(rows), a.correction))
            for r in table.itertuples():
                key = (r.finding, r.test, r.unit, r.test_id)
                alternatives.setdefault(r.cell, {})[key] = r.alternative or "two-sided"
            write_tables(table, out_dir / ds / name.replace(" ", "_"), caption=f"{name}, {ds}")
            all_rows.append(table)
            for fig in registry.get(name).figures:  # figures drawn from the rows (each finding declares its own)
                if fig.data == "rows":
                    for cell, g in table.groupby("cell"):
                        registry.resolve(fig.draw)(g, out_dir / ds / "figures" / f"{fig.stem}_{cell.replace(' ', '_')}",
                                                   f"{ds}, {cell.upper()}, seed mean", vocab=names)
        for cell, figs in figure_data.items():  # figures drawn from the findings' figure data (seed 0)
            title = f"{ds}, {cell.upper()}, seed 0"
            for fig in (fig for name in tables for fig in registry.get(name).figures if fig.data in figs):
                stem = out_dir / ds / "figures" / f"{fig.stem}_{cell.replace(' ', '_')}"
                registry.resolve(fig.draw)(figs[fig.data], stem, title, vocab=names)
        effects = {**seed_values, **{f"{c} untrained": v for c, v in untrained_values.items()}}
        io.write_text(out_dir / ds / "seed_effects.csv",
                      seed_effects_frame(ds, effects, study.seeds).to_csv(index=False, float_format="%.10g"))
        for cell, values in untrained_values.items():  # the stricter control: the untrained network
            cmp = rows_to_frame(compare_rows(ds, seed_values.get(cell, {}), values, a=cell, b=f"{cell} untrained",
                                             suffix=VS_UNTRAINED, alternatives=alternatives.get(cell),
                                             what="trained minus untrained network of the same seed and architecture"))
            if len(cmp):
                cmp = correct(cmp, a.correction)
                write_tables(cmp, out_dir / ds / f"trained_vs_untrained_{cell}",
                             caption=f"trained vs untrained {cell.upper()}, {ds}")
                all_rows.append(cmp)
        if {"gru", "lstm"} <= set(study.cells_of(ds)):
            cmp = rows_to_frame(compare_rows(ds, seed_values.get("gru", {}), seed_values.get("lstm", {})))
            if len(cmp):
                cmp = correct(cmp, a.correction)
                write_tables(cmp, out_dir / ds / "gru_vs_lstm", caption=f"GRU vs LSTM, {ds}")
                all_rows.append(cmp)
                for finding, g in cmp.groupby("finding", sort=False):  # and one table per finding
                    write_tables(g, out_dir / ds / "gru_vs_lstm" / finding.replace(" ", "_"),
                                 caption=f"GRU vs LSTM, {finding}, {ds}")
    summary = pd.concat(all_rows, ignore_index=True)
    write_tables(summary, out_dir / "summary", caption=f"{study.name}: summary")
    table1_figure(summary, out_dir / "figures" / "table1")
    return summary
