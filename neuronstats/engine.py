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

import logging
import os
import time

log = logging.getLogger(__name__)


def local_cluster(workers: int | None = None):
    """A LocalCluster of single-thread worker processes (one per core by default)."""
    from dask.distributed import LocalCluster

    n = workers or max(1, len(os.sched_getaffinity(0)))
    return LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                        env={"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"})


def _train_job(cfg, data_dir, cache_dir, _parent=None) -> dict:
    """One model (cached → loaded; killed → resumed from its checkpoint)."""
    import logging as _logging

    from neuronstats.model.train import train

    _logging.basicConfig(level=_logging.INFO, format="%(asctime)s %(message)s")
    t = time.perf_counter()
    res = train(cfg, data_dir=data_dir, cache_dir=cache_dir, progress=False)  # progress through logging
    return {"name": cfg.name, "run_dir": str(res.run_dir), "key": res.key, "test_accuracy": res.test["accuracy"],
            "train_seconds": res.train_seconds, "seconds_this_run": time.perf_counter() - t,
            "epochs": len(res.history), "stopped": res.stopped, "device": res.device}


def train_all(configs, data_dir=None, cache_dir=None, scheduler: str | None = None, workers: int | None = None,
              on_done=None) -> dict:
    """Train ``configs`` (RunConfigs) on Dask; returns ``{name: job result dict}``.

    Parents of fine-tuned configs are trained first (their jobs are dependencies).
    Prepared data is built once here, before any job, so workers only load it.
    ``on_done(result, k, n)`` is called as each model finishes."""
    from dask.distributed import Client, as_completed

    from neuronstats.data.examples import prepare

    configs = list(configs)
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
            prepare(c.data, data_dir, cache_dir=cache_dir, progress=True)  # cache warm before fan-out
    cluster = None if scheduler else local_cluster(workers)
    client = Client(scheduler or cluster)
    try:
        futures = {}
        for name, c in every.items():
            parent = futures.get(c.init.name) if c.init is not None else None
            futures[name] = client.submit(_train_job, c, str(data_dir) if data_dir else None,
                                          str(cache_dir) if cache_dir else None, parent,
                                          key=f"train-{name}-{c.hash()}", pure=False, retries=2)
        out = {}
        for k, fut in enumerate(as_completed(list(futures.values())), 1):
            res = fut.result()
            out[res["name"]] = res
            if on_done:
                on_done(res, k, len(futures))
        return out
    finally:
        client.close()
        if cluster is not None:
            cluster.close()

