"""What this machine can do: the ceiling that throughput ratios are measured against,
and the one-thread setting every study job runs under."""

from __future__ import annotations

import contextlib
import time

import torch
from threadpoolctl import threadpool_limits


@contextlib.contextmanager
def one_thread():
    """Torch and BLAS on one thread inside: a job gives the same numbers whether it runs in
    a single-thread Dask worker or in a process with more threads."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with threadpool_limits(1):
            yield
    finally:
        torch.set_num_threads(before)


def matmul_ceiling(n: int = 1024, repeats: int = 20, threads: int | None = None) -> float:
    """Best-of-``repeats`` float32 GFLOP/s of an n×n matmul with ``threads`` torch threads
    (default: torch's current setting, which is restored)."""
    before = torch.get_num_threads()
    torch.set_num_threads(threads or before)
    try:
        a, b = torch.randn(n, n), torch.randn(n, n)
        a @ b
        best = float("inf")
        for _ in range(repeats):
            t = time.perf_counter()
            a @ b
            best = min(best, time.perf_counter() - t)
    finally:
        torch.set_num_threads(before)
    return 2 * n**3 / best / 1e9
