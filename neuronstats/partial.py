"""Job results cached by content key, in a study's ``.partial`` folder: a killed study
resumes at job granularity, and a changed input never reuses an old result.

A result is a JSON file ``<stem>-<key>.json``; the key hashes everything the result
depends on (the models' content keys, the test examples, every analysis setting) and
:data:`FINDINGS_VERSION`. A cached result is read back from its file even
right after it is computed, so a result is the same whether it was cached or not.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from pathlib import Path

from neuronstats import io
from neuronstats.model.files import model_key_of

FINDINGS_VERSION = 5  # bump when the code of a finding or a reading changes its rows: cached results are recomputed


def result_key(name: str, dataset: str, cell: str, model_dirs: list, examples_key: str, analysis,
               finding_version: int = 0) -> str:
    """Content key of one job's result: its name, the models' content keys (a model
    retrained into a store under the same name gets another key), the test examples,
    every analysis setting, :data:`FINDINGS_VERSION`, and the finding's own ``version``
    (:class:`~neuronstats.findings.spec.Finding`; left out of the key while 0, so that
    bumping one finding leaves every other finding's cached results valid)."""
    settings = dataclasses.asdict(analysis)
    settings.pop("accuracy_floor")  # read by the reports, not by the findings
    blob = json.dumps({"finding": name, "dataset": dataset, "cell": cell,
                       "models": [model_key_of(d) for d in model_dirs], "examples": examples_key,
                       "analysis": settings, "version": FINDINGS_VERSION,
                       **({"finding_version": finding_version} if finding_version else {})}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def examples_key(data, tmpl) -> str:
    """The key of a dataset's held-out test examples: its prepared data's content key and
    the settings that draw the examples from it."""
    return f"{data.key}:{tmpl.data.split_seed}:{tmpl.data.max_test}:{tmpl.data.n_tokens}"


def cached(partial_dir, stem: str, key: str, compute) -> dict:
    """The result ``compute()`` (a JSON-able dict) cached as ``partial_dir/<stem>-<key>.json``,
    with its ``"seconds"`` and ``"key"`` added; results of the same stem under other keys
    (changed inputs, never reused) are removed. ``partial_dir = None``: computed, not kept."""
    path = Path(partial_dir) / f"{stem}-{key}.json" if partial_dir is not None else None
    if path is not None and path.exists():
        return json.loads(path.read_text())
    t = time.perf_counter()
    result = {**compute(), "seconds": time.perf_counter() - t, "key": key}
    if path is None:
        return json.loads(json.dumps(result, sort_keys=True, default=str))  # what the file would hold
    io.write_json(path, result)
    for old in path.parent.glob(f"{stem}-{'?' * len(key)}.json"):
        if old != path:
            old.unlink(missing_ok=True)
    return json.loads(path.read_text())
