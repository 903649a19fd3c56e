"""The job-result cache (neuronstats/partial.py): keyed by the models' content, not their
folders' names; a hit computes nothing; a result is the same cached or not."""

import json

import pytest

from neuronstats.partial import cached, result_key
from neuronstats.study import AnalysisConfig


def _model_dir(path, key):
    path.mkdir(parents=True)
    (path / "metrics.json").write_text(json.dumps({"model_key": key}))
    return path


def test_the_key_follows_the_model_not_its_folder(tmp_path):
    a = AnalysisConfig()
    key = lambda d: result_key("storing", "g", "gru", [d], "ex", a)  # noqa: E731
    cache = _model_dir(tmp_path / "cache" / "g-gru-s0-abc", "abc")
    store = _model_dir(tmp_path / "store" / "g-gru-s0", "abc")
    retrained = _model_dir(tmp_path / "store2" / "g-gru-s0", "def")  # the same name, another model
    assert key(cache) == key(store)
    assert key(retrained) != key(store)
    assert result_key("storing", "g", "gru", [store], "other examples", a) != key(store)


def test_a_findings_own_version_renews_its_key_and_no_other(tmp_path):
    """Bumping one finding's ``version`` recomputes its results only: version 0 keys are
    the keys that existed before findings had versions (no other cache is invalidated)."""
    import hashlib

    from neuronstats.partial import FINDINGS_VERSION

    a = AnalysisConfig()
    d = _model_dir(tmp_path / "m", "abc")
    settings = __import__("dataclasses").asdict(a)
    settings.pop("accuracy_floor")
    blob = json.dumps({"finding": "gates", "dataset": "g", "cell": "gru", "models": ["abc"], "examples": "ex",
                       "analysis": settings, "version": FINDINGS_VERSION}, sort_keys=True)
    assert result_key("gates", "g", "gru", [d], "ex", a) == hashlib.sha256(blob.encode()).hexdigest()[:16]
    assert result_key("gates", "g", "gru", [d], "ex", a, finding_version=1) != result_key("gates", "g", "gru", [d],
                                                                                            "ex", a)


def test_cached_computes_once_removes_stale_results_and_matches_the_uncached(tmp_path):
    calls = []

    def compute():
        calls.append(1)
        return {"rows": [{"b": 1, "a": (1, 2)}], "order": [["z", 1], ["a", 2]]}

    first = cached(tmp_path, "g-gru-storing", "0" * 16, compute)
    again = cached(tmp_path, "g-gru-storing", "0" * 16, lambda: pytest.fail("a cached result was recomputed"))
    assert calls == [1] and first == again and first["order"] == [["z", 1], ["a", 2]]
    uncached = cached(None, "g-gru-storing", "0" * 16, compute)
    uncached.pop("seconds"), first.pop("seconds")
    assert uncached == first
    (tmp_path / f"g-gru-storing-extra-{'1' * 16}.json").write_text("{}")  # another stem: kept
    cached(tmp_path, "g-gru-storing", "2" * 16, compute)
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"g-gru-storing-{'2' * 16}.json",
                                                          f"g-gru-storing-extra-{'1' * 16}.json"]
