"""What this machine can do: the ceiling that throughput ratios are measured against,
the one-thread setting every study job runs under, the allocator setting that
training and the jobs run with, and what decides its floating-point rounding."""

from __future__ import annotations

import contextlib
import ctypes
import functools
import platform
import time
from pathlib import Path

import torch
from threadpoolctl import threadpool_limits

# the vector instruction sets BLAS, torch and numpy choose their kernels by (Linux's /proc/cpuinfo names)
_SIMD = ("avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "avx512_fp16", "amx_tile", "avx_vnni")

# glibc's mallopt parameters (malloc.h)
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
_KEEP_BYTES = 1 << 30


@functools.cache
def keep_freed_memory() -> bool:
    """Let glibc's malloc keep freed blocks of up to 1 GiB for reuse (``mallopt``:
    mmap and trim thresholds of 1 GiB) instead of returning them to the kernel.

    By default glibc serves large blocks with fresh ``mmap`` calls and trims freed memory
    at the heap's top, so each training step page-faults its tensors in anew (4 kB a
    fault): 1,900–3,400 faults a step of the study's LSTM in a plain process, and
    7,300–10,000 under a Dask worker's setting: its nanny sets ``MALLOC_TRIM_THRESHOLD_=65536``
    (``neuronstats bench malloc``, ``results/bench/malloc.csv``). The study's LSTMs
    trained in Dask workers spent 41 % of their CPU in the kernel (perf). With the
    thresholds raised, about 300 faults a step.
    Results are unchanged: only where memory comes from moves. A process keeps its peak
    heap instead of shrinking after it. Every study job (:func:`neuronstats.engine.run_jobs`)
    and every training run asks for it. Returns whether the setting took (False off
    glibc, e.g. on macOS and Windows)."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError, TypeError):  # no glibc
        return False
    return all([mallopt(M_MMAP_THRESHOLD, _KEEP_BYTES) == 1, mallopt(M_TRIM_THRESHOLD, _KEEP_BYTES) == 1])


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


@functools.cache
def arithmetic() -> str:
    """What decides this machine's floating-point rounding, e.g. ``"x86_64 AVX512 (avx2
    fma avx512f ... amx_tile)"``: the architecture, torch's kernel level and the vector
    instruction sets that MKL, OpenBLAS and numpy dispatch on. With the same library
    versions, two machines with the same string compute the same bits; on another, sums
    are ordered differently, floats differ in their last digits, and a near-tie (which
    neuron RFE drops, which examples a threshold keeps) can go the other way. Every
    results folder's manifest records it."""
    flags: set = set()
    with contextlib.suppress(OSError):
        line = next((x for x in Path("/proc/cpuinfo").read_text().splitlines() if x.startswith("flags")), "")
        flags = set(line.partition(":")[2].split())
    simd = " ".join(f for f in _SIMD if f in flags)
    return f"{platform.machine()} {torch.backends.cpu.get_cpu_capability()}" + (f" ({simd})" if simd else "")
