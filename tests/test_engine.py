"""The study engine on Dask: equal to a serial run, and a killed worker's job retried."""

import dataclasses
import filecmp
import hashlib
import os
import signal
import threading
import time

import pytest
import torch

from neuronstats.engine import dask_session, run_jobs
from neuronstats.model.train import train
from neuronstats.study import load_study, run_study
from tests.conftest import tiny_config
from tests.test_study import STUDY

pytestmark = pytest.mark.filterwarnings("ignore")


def _files(root):
    return sorted(p.relative_to(root) for p in root.rglob("*") if p.is_file() and p.suffix in (".csv", ".tex"))


def test_local_cluster_study_equals_serial_study(tmp_path):
    (tmp_path / "s.toml").write_text(STUDY)
    study = load_study(tmp_path / "s.toml")
    run_study(study, None, tmp_path / "serial", cache_dir=tmp_path / "c1", workers=0)
    run_study(study, None, tmp_path / "dask", cache_dir=tmp_path / "c2", workers=2)
    a, b = _files(tmp_path / "serial"), _files(tmp_path / "dask")
    assert a == b and len(a) > 10
    _, mismatch, errors = filecmp.cmpfiles(tmp_path / "serial", tmp_path / "dask", [str(p) for p in a],
                                           shallow=False)
    assert not mismatch and not errors  # byte-identical tables


def _state_sha(result) -> str:
    h = hashlib.sha256()
    for k, v in sorted(result.model.state_dict().items()):
        h.update(k.encode() + v.numpy().tobytes())
    return h.hexdigest()


def _train_and_sha(cfg, cache_dir):
    return _state_sha(train(cfg, cache_dir=cache_dir, progress=False))


def test_killed_worker_job_is_retried_with_identical_result(tmp_path):
    cfg = tiny_config(max_epochs=12, patience=12)
    cfg = dataclasses.replace(cfg, data=dataclasses.replace(cfg.data, synth_docs=150))
    ref = _train_and_sha(cfg, tmp_path / "ref")
    with dask_session(workers=1) as client:
        pids = list(client.run(os.getpid).values())
        killed = []

        def kill_when_checkpointed():  # kill the worker once training has written a checkpoint
            deadline = time.time() + 60
            while time.time() < deadline and not killed:
                if list((tmp_path / "run" / "models").glob("*/checkpoint.pt")):
                    os.kill(pids[0], signal.SIGKILL)
                    killed.append(pids[0])
                time.sleep(0.05)

        t = threading.Thread(target=kill_when_checkpointed)
        t.start()
        results = dict(run_jobs({"m": (_train_and_sha, (cfg, tmp_path / "run"))}, client))
        t.join()
    assert killed, "training finished before a checkpoint was seen; make the model train longer"
    assert results["m"] == ref
    torch.set_num_threads(1)


def _timed_job(seconds, *dep):
    start = time.time()
    time.sleep(seconds)
    return {"start": start, "end": time.time(), "pid": os.getpid(), "dep": dep}


def test_a_free_worker_takes_the_next_job_while_a_long_one_runs():
    # one long job and three short ones, the last short one waiting for the second: the
    # jobs after the long one must all run on the other worker, not queue behind it
    jobs = {"long": (_timed_job, (3.0,)), "a": (_timed_job, (0.2,)), "b": (_timed_job, (0.2,)),
            "c": (_timed_job, (0.2,))}
    with dask_session(workers=2) as client:
        done = dict(run_jobs(jobs, client, deps={"c": "a"}))
    assert set(done) == set(jobs)
    assert done["c"]["dep"][0]["end"] == done["a"]["end"]  # c got a's result
    assert max(done[k]["end"] for k in "abc") < done["long"]["end"]
    assert {done[k]["pid"] for k in "abc"} == {done["a"]["pid"]} != {done["long"]["pid"]}


def test_dask_logs_stay_below_warning():
    """The scheduler's and nannies' INFO lines (about 30 a run: start, register, close)
    never reach the terminal; warnings would."""
    import logging

    import distributed  # noqa: F401  (configures its loggers on import: INFO)

    got = []

    class Keep(logging.Handler):
        def emit(self, record):
            got.append(record)

    keep = Keep(level=logging.DEBUG)
    before = logging.getLogger("distributed").level
    logging.getLogger("distributed").addHandler(keep)
    try:
        with dask_session(workers=1) as client:
            assert client.submit(sum, [1, 2]).result() == 3
    finally:
        logging.getLogger("distributed").removeHandler(keep)
    below = [f"{r.name}: {r.getMessage()}" for r in got if r.levelno < logging.WARNING]
    assert not below, below[:5]
    assert logging.getLogger("distributed").level == before  # restored after the session


def _faults_of_output_layer_steps(n: int = 30) -> tuple[int, str]:
    """Minor page faults of ``n`` forward-backward steps through a 2,000-word output layer
    (a training step's largest tensors: 4 MB logits and their gradients)."""
    import resource

    x, w = torch.randn(500, 128), torch.randn(128, 2000, requires_grad=True)

    def step():
        (x @ w).log_softmax(-1).sum().backward()
        w.grad = None

    for _ in range(3):
        step()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(n):
        step()
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before, os.environ.get("MALLOC_TRIM_THRESHOLD_", "")


def test_a_workers_jobs_reuse_freed_memory_though_dask_asks_it_to_return_it():
    # Dask's nanny starts workers with MALLOC_TRIM_THRESHOLD_=65536: each step's tensors
    # are then fresh memory (about 4,000 page faults a step measured); a job run by
    # run_jobs keeps freed memory instead (about 100)
    if not os.uname().sysname == "Linux":
        pytest.skip("mallopt is glibc's")
    with dask_session(workers=1) as client:
        (_, (faults, trim)), = run_jobs({"a": (_faults_of_output_layer_steps, ())}, client)
    assert trim == "65536"  # the setting this guards against is still Dask's
    assert faults < 30 * 1000
