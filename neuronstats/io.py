"""Atomic file writes: a file is either complete or absent, never half-written."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import shutil
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import torch

from neuronstats.errors import InputError
from neuronstats.examples import ARRAYS as EX_ARRAYS
from neuronstats.examples import Examples
from neuronstats.microscope.record import recording_arrays, recording_from_arrays


def _atomic(path, write):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException as exc:
        if os.path.exists(tmp):
            os.unlink(tmp)
        # torch reports a full disk as "inline_container.cc: unexpected pos": say what it is, and where
        if "unexpected pos" in str(exc) or (isinstance(exc, OSError) and exc.errno == errno.ENOSPC):
            raise OSError(errno.ENOSPC, "No space left on device", str(path)) from exc
        raise


def write_text(path, text: str) -> None:
    _atomic(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def write_json(path, obj) -> None:
    write_text(path, json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n")


def save_torch(path, obj) -> None:
    _atomic(path, lambda tmp: torch.save(obj, tmp))


def copy_file(src, dst) -> None:
    """Copy ``src`` to ``dst`` atomically."""
    _atomic(dst, lambda tmp: shutil.copyfile(src, tmp))


def write_npz(path, **arrays) -> None:
    """A compressed ``.npz`` (atomic)."""
    def write(tmp):
        with open(tmp, "wb") as fh:
            np.savez_compressed(fh, **arrays)

    _atomic(path, write)


@contextlib.contextmanager
def exclusive(lock_path, wait: bool = True):
    """Hold an exclusive advisory lock on ``lock_path`` (created if needed) while inside;
    a second process blocks until the first leaves (or dies: the OS drops its lock).
    ``wait=False``: fail at once with an :class:`InputError` instead of waiting."""
    lock_path = Path(lock_path)
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            raise InputError("another neuronstats run is writing here", path=lock_path.parent,
                             expected="one run per results folder; wait for it or choose another --out") from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def save_recording(rec, path) -> None:
    """Write a recording (:class:`~neuronstats.microscope.record.Recording`) as a compressed
    ``.npz`` (atomic)."""
    write_npz(path, **recording_arrays(rec))


def load_recording(path):
    """Read a recording written by :func:`save_recording`."""
    with np.load(path) as z:
        return recording_from_arrays(z)


def save_examples(ex, path) -> None:
    """Write :class:`~neuronstats.examples.Examples` as a compressed ``.npz`` (atomic)."""
    write_npz(path, n_dropped_unk=np.asarray(ex.n_dropped_unk), **{name: getattr(ex, name) for name in EX_ARRAYS})


def load_examples(path, vocab_itos: list | None = None):
    """Examples written by :func:`save_examples`; a file that is not one is one :class:`InputError`."""
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {name: z[name] for name in EX_ARRAYS}
            dropped = int(z["n_dropped_unk"])
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        raise InputError(f"cannot read saved examples ({type(exc).__name__}: {exc})", path=path,
                         expected="an .npz written by save_examples (arrays " + ", ".join(EX_ARRAYS) + ")") from None
    return Examples(**arrays, n_dropped_unk=dropped, vocab_itos=vocab_itos)
