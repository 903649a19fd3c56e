"""What this machine can do: the ceiling that throughput ratios are measured against."""

from __future__ import annotations

import time

import torch


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
