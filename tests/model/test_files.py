"""Model files (safetensors + JSON, legacy .pt read without unpickling code) and the
shipped-model store (found by content key, replaced by name)."""

import json
import pickle

import pytest
import torch

from neuronstats.errors import InputError
from neuronstats.model import train as train_mod
from neuronstats.model.files import LEGACY, META, WEIGHTS, convert_pt, read_model
from neuronstats.model.store import MANIFEST, export_model, find_in_store, read_manifest
from neuronstats.model.train import train
from tests.conftest import tiny_config


def _weights(model):
    return torch.cat([p.detach().flatten() for p in model.parameters()])


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return train(tiny_config(), cache_dir=tmp_path_factory.mktemp("c"), progress=False)


def test_a_trained_model_is_safetensors_plus_json_and_reads_back(run):
    assert (run.run_dir / WEIGHTS).is_file() and (run.run_dir / META).is_file()
    assert not (run.run_dir / LEGACY).exists()
    meta = json.loads((run.run_dir / META).read_text())
    assert meta["model_key"] == run.key and meta["test_accuracy"] == run.test["accuracy"]
    for path in (run.run_dir, run.run_dir / META, run.run_dir / WEIGHTS):
        model, vocab, cfg = read_model(path)
        assert torch.equal(_weights(model), _weights(run.model)) and cfg == tiny_config()


def test_legacy_model_pt_is_read_with_weights_only_and_converted(run, tmp_path):
    legacy = tmp_path / LEGACY
    torch.save({"config": run.config.to_dict(), "vocab": run.vocab.to_dict(),
                "state": run.model.state_dict()}, legacy)
    (tmp_path / "metrics.json").write_text(json.dumps({"model_key": "k", "test": {"accuracy": 0.5}}))
    assert torch.equal(_weights(read_model(legacy)[0]), _weights(run.model))
    new = convert_pt(legacy)
    assert not legacy.exists() and torch.equal(_weights(read_model(new)[0]), _weights(run.model))


class _Evil:
    def __reduce__(self):
        return (print, ("this ran",))


@pytest.mark.parametrize("kind", ["state_dict", "module", "code", "truncated", "garbage", "json"])
def test_a_file_that_is_not_ours_is_one_clear_line(run, tmp_path, kind, capsys):
    path = tmp_path / ("model.json" if kind == "json" else "mine.pt")
    if kind == "state_dict":
        torch.save(run.model.state_dict(), path)
    elif kind == "module":
        torch.save(torch.nn.GRU(4, 4), path)
    elif kind == "code":
        path.write_bytes(pickle.dumps(_Evil()))
    elif kind == "truncated":
        torch.save({"config": {}, "vocab": {}, "state": run.model.state_dict()}, path)
        path.write_bytes(path.read_bytes()[:300])
    elif kind == "garbage":
        path.write_bytes(b"\x00\x01 not a model")
    else:
        path.write_text('{"hello": 1}')
    with pytest.raises(InputError) as exc:
        read_model(path)
    msg = str(exc.value)
    assert len(msg.splitlines()) == 1 and str(path) in msg
    assert "this ran" not in capsys.readouterr().out  # nothing was unpickled into code
    if kind == "state_dict":
        assert "plain state dict" in msg and "ns.from_torch" in msg
    if kind in ("module", "code"):
        assert "from_torch" in msg or "holds code" in msg


def test_a_changed_weights_file_is_refused(run, tmp_path):
    store = tmp_path / "store"
    export_model(run.run_dir, store, "m")
    w = store / "m" / WEIGHTS
    w.write_bytes(w.read_bytes()[:-4] + b"\x00\x00\x00\x00")
    with pytest.raises(InputError, match="sha256"):
        read_model(store / "m")


def test_store_finds_by_key_replaces_by_name_and_training_uses_it(run, tmp_path, monkeypatch):
    store = tmp_path / "store"
    entry = export_model(run.run_dir, store, "tiny")
    assert entry["model_key"] == run.key and entry["bytes"] == (store / "tiny" / WEIGHTS).stat().st_size
    assert find_in_store(store, run.key) == store / "tiny" and find_in_store(store, "0" * 16) is None
    # a fresh cache: the shipped model is found by key and nothing trains
    monkeypatch.setattr(train_mod, "batch_loss", lambda *a, **k: pytest.fail("retrained"))
    again = train(tiny_config(), cache_dir=tmp_path / "empty", progress=False, store=store)
    assert again.run_dir == store / "tiny" and torch.equal(_weights(again.model), _weights(run.model))
    # another model under the same name replaces it: one model per name
    monkeypatch.undo()
    other = train(tiny_config(seed=1), cache_dir=tmp_path / "c1", progress=False)
    export_model(other.run_dir, store, "tiny")
    assert list(read_manifest(store)) == ["tiny"] and find_in_store(store, run.key) is None
    assert find_in_store(store, other.key) == store / "tiny"
    assert sorted(p.name for p in store.iterdir()) == [MANIFEST, "tiny"]
