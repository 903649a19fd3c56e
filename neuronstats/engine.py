"""Study jobs on ``dask.distributed``: train every model of a study, two (or more) at
a time, on a local cluster or on any running scheduler.

The default is a :class:`~dask.distributed.LocalCluster` of single-thread worker
processes, one per core (two on a 2-core machine), so that two models train at
once without oversubscribing torch (one thread each). ``scheduler`` (an address
such as ``tcp://host:8786``) sends the same jobs to a running cluster, e.g. one
started by dask-jobqueue on SLURM/PBS or with GPU workers: nothing here changes.

Every job is idempotent: a model's cache folder is content-keyed and guarded by a
lock (:func:`neuronstats.model.train.train`), so a retried or duplicated task
finds the finished model, or waits for it, and never trains it twice.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
import uuid

from tqdm.auto import tqdm

from neuronstats.data.cache import prepare
from neuronstats.hardware import keep_freed_memory
from neuronstats.model.train import train

log = logging.getLogger(__name__)


def local_cluster(workers: int | None = None):
    """A LocalCluster of single-thread worker processes (one per core by default)."""
    from dask.distributed import LocalCluster

    n = workers or max(1, len(os.sched_getaffinity(0)))
    return LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0",
                        env={"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"})


def _train_job(cfg, data_dir, cache_dir, store=None, _parent=None) -> dict:
    """One model (shipped or cached → loaded; killed → resumed from its checkpoint)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")  # workers' progress lines

    t = time.perf_counter()
    res = train(cfg, data_dir=data_dir, cache_dir=cache_dir, progress=False, store=store)  # progress: logging
    return {"name": cfg.name, "run_dir": str(res.run_dir), "key": res.key, "test_accuracy": res.test["accuracy"],
            "train_seconds": res.train_seconds, "seconds_this_run": time.perf_counter() - t,
            "epochs": len(res.history), "stopped": res.stopped, "device": res.device}


DASK_LOGGERS = ("distributed", "bokeh", "tornado")


@contextlib.contextmanager
def quiet_dask_logs(level: int = logging.WARNING):
    """Dask's own log lines below ``level`` (the scheduler's and nannies' start, register,
    close: about 30 lines a run) are dropped while inside; its warnings and errors still
    show. The package's progress lines (logger ``neuronstats``) are not touched."""
    loggers = [logging.getLogger(name) for name in DASK_LOGGERS]
    before = [lg.level for lg in loggers]
    for lg in loggers:
        if lg.getEffectiveLevel() < level:
            lg.setLevel(level)
    try:
        yield
    finally:
        for lg, old in zip(loggers, before):
            lg.setLevel(old)


@contextlib.contextmanager
def dask_session(scheduler: str | None = None, workers: int | None = None):
    """A Dask client for the study's jobs, or None (``workers = 0``: run in this process).
    Dask's logs stay below WARNING meanwhile (:func:`quiet_dask_logs`)."""
    if workers == 0 and not scheduler:
        yield None
        return
    from dask.distributed import Client

    with quiet_dask_logs():
        cluster = None if scheduler else local_cluster(workers)
        client = Client(scheduler or cluster)
        try:
            yield client
        finally:
            client.close()
            if cluster is not None:
                cluster.close()


def with_kept_memory(fn, *args):
    """``fn(*args)`` in a worker that keeps freed memory (:func:`keep_freed_memory`)."""
    keep_freed_memory()
    return fn(*args)


def run_jobs(jobs: dict, client=None, progress: bool = False, desc: str = "jobs", deps: dict | None = None):
    """Run ``jobs`` (``{key: (fn, args)}``) and yield ``(key, result)`` as each finishes:
    on Dask when ``client`` is given (retried twice if a worker dies), else here, in
    order. ``deps`` maps a job key to the key whose result it waits for (passed as its
    last argument).

    On Dask, a job is submitted only once its dependency has finished and a worker
    thread is free, in the order of ``jobs``. Submitting everything at once lets the
    scheduler queue long jobs behind each other on one worker while another idles: each
    job is its own task group of unknown duration, which work stealing leaves alone.
    (An adaptive cluster therefore needs its minimum set: no queue forms to scale it.)

    Each job runs where freed memory is kept (:func:`~neuronstats.hardware.keep_freed_memory`),
    here or in any worker."""
    deps = deps or {}
    bar = tqdm(total=len(jobs), desc=desc, unit="job", disable=not progress)
    try:
        if client is None:
            keep_freed_memory()
            done: dict = {}
            for key, (fn, args) in jobs.items():
                extra = (done[deps[key]],) if key in deps else ()
                done[key] = fn(*args, *extra)
                bar.update()
                yield key, done[key]
            return
        from dask.distributed import as_completed

        results, pending, keys = {}, list(jobs), {}
        running = as_completed()

        def fill():
            slots = max(1, sum(client.nthreads().values())) - running.count()
            for key in [k for k in pending if k not in deps or deps[k] in results][:max(slots, 0)]:
                fn, args = jobs[key]
                extra = (results[deps[key]],) if key in deps else ()
                fut = client.submit(with_kept_memory, fn, *args, *extra, pure=False, retries=2,
                                    key=f"{desc}-{_slug(key)}-{uuid.uuid4().hex[:8]}")
                pending.remove(key)
                keys[fut.key] = key
                running.add(fut)

        fill()
        while running.count() or pending:
            if not running.count():  # a dependency that never ran: a bug in the caller's deps
                raise ValueError(f"jobs {pending} wait for jobs that are not in this run")
            fut = next(running)
            key = keys[fut.key]
            results[key] = fut.result()
            fill()
            bar.update()
            yield key, results[key]
    finally:
        bar.close()


def _slug(key) -> str:
    return "-".join(map(str, key)) if isinstance(key, tuple) else str(key)


def train_all(configs, data_dir=None, cache_dir=None, client=None, on_done=None, progress: bool = False,
              store=None) -> dict:
    """Train ``configs`` (RunConfigs); returns ``{name: job result dict}``. Models in the
    shipped ``store`` (by content key) load from there.

    Parents of fine-tuned configs are trained first (their jobs are dependencies).
    Prepared data is built once here, before any job, so workers only load it.
    ``on_done(result, k, n)`` is called as each model finishes."""
    every = {}
    for cfg in configs:  # parents first, each once
        chain, c = [], cfg
        while c is not None:
            chain.append(c)
            c = c.init
        for c in reversed(chain):
            every.setdefault(c.name, c)
    for c in every.values():
        if c.init is None:
            prepare(c.data, data_dir, cache_dir=cache_dir, progress=progress)  # cache warm before fan-out
    dd, cd = (str(data_dir) if data_dir else None), (str(cache_dir) if cache_dir else None)
    st = str(store) if store else None
    jobs = {name: (_train_job, (c, dd, cd, st)) for name, c in every.items()}
    deps = {name: c.init.name for name, c in every.items() if c.init is not None}
    out = {}
    for k, (name, res) in enumerate(run_jobs(jobs, client, desc="train", deps=deps), 1):
        out[name] = res
        if on_done:
            on_done(res, k, len(jobs))
    return out
