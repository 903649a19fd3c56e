import dataclasses
import json

import numpy as np
import pytest
import torch

from neuronstats.config import DataConfig
from neuronstats.data.cache import prepare
from neuronstats.errors import InputError
from neuronstats.model import train as train_mod
from neuronstats.model.decode import greedy_decode, positioned
from neuronstats.model.train import load_model, train
from tests.conftest import learnable_config, tiny_config


def _weights(model):
    return torch.cat([p.detach().flatten() for p in model.parameters()])


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_same_config_and_seed_give_identical_weights(tmp_path, cell):
    a = train(tiny_config(cell=cell), cache_dir=tmp_path / "a", progress=False)
    b = train(tiny_config(cell=cell), cache_dir=tmp_path / "b", progress=False)
    c = train(tiny_config(cell=cell, seed=1), cache_dir=tmp_path / "c", progress=False)
    assert torch.equal(_weights(a.model), _weights(b.model))
    assert not torch.equal(_weights(a.model), _weights(c.model))
    assert a.test == b.test and a.history[-1]["val_loss"] == b.history[-1]["val_loss"]
    assert "cpu" in a.device


def test_cached_model_is_not_retrained(tmp_path, monkeypatch):
    first = train(tiny_config(), cache_dir=tmp_path, progress=False)
    monkeypatch.setattr(train_mod, "batch_loss", lambda *a, **k: pytest.fail("retrained"))
    again = train(tiny_config(), cache_dir=tmp_path, progress=False)
    assert torch.equal(_weights(first.model), _weights(again.model))
    model, vocab, cfg = load_model(first.run_dir / "model.json")
    assert cfg == tiny_config() and torch.equal(_weights(model), _weights(first.model))


def test_killed_run_resumes_to_identical_weights(tmp_path, monkeypatch):
    cfg = tiny_config(max_epochs=3)
    ref = train(cfg, cache_dir=tmp_path / "ref", progress=False)
    real = train_mod.batch_loss
    calls = {"n": 0}

    def dying(*a, **k):
        calls["n"] += 1
        if calls["n"] > 12:  # a little into epoch 2 (about 9 batches per epoch)
            raise KeyboardInterrupt
        return real(*a, **k)

    monkeypatch.setattr(train_mod, "batch_loss", dying)
    with pytest.raises(KeyboardInterrupt):
        train(cfg, cache_dir=tmp_path / "run", progress=False)
    run_dir = train_mod.run_dir_for(cfg, tmp_path / "run")
    assert (run_dir / "checkpoint.pt").exists() and not (run_dir / "model.json").exists()
    monkeypatch.setattr(train_mod, "batch_loss", real)
    logs = []
    resumed = train(cfg, cache_dir=tmp_path / "run", progress=False, log=logs.append)
    assert any("resuming" in m and "after epoch 1" in m for m in logs)
    assert torch.equal(_weights(ref.model), _weights(resumed.model))
    assert not (run_dir / "checkpoint.pt").exists()


def test_a_checkpoint_carried_in_the_store_resumes_on_a_fresh_cache(tmp_path, monkeypatch):
    """A run killed on one machine, its checkpoint exported into the model store
    (store/unfinished/), resumes on another machine's empty cache to the weights of an
    uninterrupted run; exporting the finished model removes the spent checkpoint."""
    from neuronstats.model.store import UNFINISHED, export_checkpoint, export_model, unfinished_checkpoint

    cfg = tiny_config(max_epochs=3)
    ref = train(cfg, cache_dir=tmp_path / "ref", progress=False)
    real, calls = train_mod.batch_loss, {"n": 0}

    def dying(*a, **k):
        calls["n"] += 1
        if calls["n"] > 12:  # a little into epoch 2
            raise KeyboardInterrupt
        return real(*a, **k)

    monkeypatch.setattr(train_mod, "batch_loss", dying)
    with pytest.raises(KeyboardInterrupt):
        train(cfg, cache_dir=tmp_path / "a", progress=False)
    store = tmp_path / "store"
    carried = export_checkpoint(train_mod.run_dir_for(cfg, tmp_path / "a"), store)
    assert unfinished_checkpoint(store, ref.key) == carried
    monkeypatch.setattr(train_mod, "batch_loss", real)
    logs = []
    resumed = train(cfg, cache_dir=tmp_path / "b", progress=False, log=logs.append, store=store)
    assert any("resuming" in m and "after epoch 1" in m for m in logs)
    assert torch.equal(_weights(ref.model), _weights(resumed.model))
    export_model(resumed.run_dir, store)
    assert unfinished_checkpoint(store, ref.key) is None and not (store / UNFINISHED).exists()


def test_a_resumed_run_takes_the_further_of_its_own_and_the_carried_checkpoint(tmp_path, monkeypatch):
    from neuronstats.model.store import export_checkpoint

    cfg = tiny_config(max_epochs=4)
    real = train_mod.batch_loss

    def kill_after(n_batches, cache):
        calls = {"n": 0}

        def dying(*a, **k):
            calls["n"] += 1
            if calls["n"] > n_batches:
                raise KeyboardInterrupt
            return real(*a, **k)

        monkeypatch.setattr(train_mod, "batch_loss", dying)
        with pytest.raises(KeyboardInterrupt):
            train(cfg, cache_dir=cache, progress=False)
        monkeypatch.setattr(train_mod, "batch_loss", real)
        return train_mod.run_dir_for(cfg, cache)

    store = tmp_path / "store"
    export_checkpoint(kill_after(21, tmp_path / "a"), store)  # about 9 batches an epoch: 2 epochs done
    kill_after(12, tmp_path / "b")  # 1 epoch done here
    logs = []
    train(cfg, cache_dir=tmp_path / "b", progress=False, log=logs.append, store=store)
    assert any("resuming" in m and "after epoch 2" in m for m in logs)
    kill_after(30, tmp_path / "c")  # 3 epochs done here: the store's 2 are not taken
    logs = []
    train(cfg, cache_dir=tmp_path / "c", progress=False, log=logs.append, store=store)
    assert any("resuming" in m and "after epoch 3" in m for m in logs)


def test_checkpoint_with_other_vocabulary_is_a_clear_error(tmp_path):
    cfg = tiny_config()
    res = train(cfg, cache_dir=tmp_path, progress=False)
    other = prepare(DataConfig(source="synthetic", synth_docs=40, synth_lines_per_doc=10, synth_vocab=50,
                               min_len=3, max_len=8))
    with pytest.raises(InputError, match="vocabulary .* does not match"):
        train_mod.load_trained(res.run_dir, dataset=other)
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(InputError, match="junk.pt"):
        load_model(tmp_path / "junk.pt")


def test_training_learns_positioning_beyond_chance(tmp_path):
    """A small synthetic model must position far above chance within seconds."""
    cfg = learnable_config()
    res = train(cfg, cache_dir=tmp_path, progress=False)
    ds = prepare(cfg.data)
    ex = ds.examples("test", 5)
    # chance: the most frequent word at each position is far below this
    hit = positioned(greedy_decode(res.model, ex), ex)
    assert hit.mean() > 0.5, hit.mean()
    assert res.history[-1]["val_loss"] < res.history[0]["val_loss"]
    assert np.isclose(res.test["accuracy"], res.test["per_token"])


def test_early_stopping_on_accuracy_keeps_the_most_accurate_epoch(tmp_path):
    cfg = tiny_config(max_epochs=4, patience=1, early_stop_on="accuracy")
    res = train(cfg, cache_dir=tmp_path, progress=False)
    accs = [h["val_accuracy"] for h in res.history]
    # patience 1: training stops at the first epoch that does not beat the best so far
    first_drop = next((i for i in range(1, len(accs)) if accs[i] <= max(accs[:i])), None)
    assert len(accs) == (4 if first_drop is None else first_drop + 1)
    assert res.stopped == ("max_epochs" if first_drop is None else "early_stopping")
    # the kept weights are those of the most accurate epoch: re-evaluating them reproduces it
    from neuronstats.data.cache import prepare
    from neuronstats.model.decode import positioning_accuracy

    ds = prepare(cfg.data)
    val = ds.examples("val", train_mod.hash_seed(cfg.train.seed, 10**6))
    val = val.subset(np.arange(min(len(val), cfg.data.max_eval)))
    assert positioning_accuracy(res.model, val)["accuracy"] == pytest.approx(max(accs))


def test_divergence_stops_training_and_caches_nothing(tmp_path, monkeypatch):
    orig = train_mod.batch_loss

    def exploding(model, ex, idx, device):  # what lr = 1e37 does, without waiting for it
        loss, n = orig(model, ex, idx, device)
        return loss * float("inf"), n

    monkeypatch.setattr(train_mod, "batch_loss", exploding)
    with pytest.raises(train_mod.TrainingDiverged, match="nothing was cached"):
        train(tiny_config(), cache_dir=tmp_path, progress=False)
    assert not list(tmp_path.glob("models/*/model.json")) and not list(tmp_path.glob("models/*/checkpoint.pt"))


def test_model_key_covers_the_data_content(tmp_path):
    """The same config on another corpus (same relative path, another --data-dir) is
    another model; the same corpus under another folder is the same model."""
    from neuronstats.config import RunConfig
    from neuronstats.model.train import resolve_key

    for name, text in (("a", "one two three four\\nfive six seven eight\\n\\n" * 20),
                       ("b", "alpha beta gamma delta\\nepsilon zeta eta theta\\n\\n" * 20),
                       ("c", "one two three four\\nfive six seven eight\\n\\n" * 20)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "corpus.txt").write_text(text)
    cfg = RunConfig(data=DataConfig(source="text", path="corpus.txt", min_len=3, max_len=8))
    ka, kb, kc = (resolve_key(cfg, tmp_path / n) for n in "abc")
    assert ka != kb and ka == kc


def _untimed(history):
    return [{k: v for k, v in h.items() if k not in ("minutes", "tokens_per_s")} for h in history]


def test_larger_max_epochs_continues_a_finished_run_to_identical_weights(tmp_path, monkeypatch):
    monkeypatch.setattr(train_mod, "CURVE_START", 40)  # learning-curve points on the tiny corpus too
    cfg = dict(patience=5, lr_decay=0.5, early_stop_on="accuracy")
    ref = train(tiny_config(max_epochs=3, **cfg), cache_dir=tmp_path / "ref", progress=False)
    assert ref.stopped == "max_epochs" and len(ref.history) == 3
    short = train(tiny_config(max_epochs=2, **cfg), cache_dir=tmp_path / "run", progress=False)
    assert (short.run_dir / "continue.pt").is_file() and not (short.run_dir / "checkpoint.pt").exists()
    epochs, real = [], train_mod._epoch_examples

    def recording(ds, cfg, epoch):
        epochs.append(epoch)
        return real(ds, cfg, epoch)

    monkeypatch.setattr(train_mod, "_epoch_examples", recording)
    logs = []
    longer = train(tiny_config(max_epochs=3, **cfg), cache_dir=tmp_path / "run", progress=False, log=logs.append)
    assert any("continuing" in m and short.run_dir.name in m for m in logs)
    assert epochs == [2]  # only the third epoch was trained
    assert torch.equal(_weights(ref.model), _weights(longer.model)) and longer.test == ref.test
    assert _untimed(longer.history) == _untimed(ref.history)  # lr schedule, losses, accuracies, pairs seen
    curve = [json.loads((r.run_dir / "metrics.json").read_text())["history_curve"] for r in (ref, longer)]
    assert len(curve[0]) > 2 and _untimed(curve[1]) == _untimed(curve[0])
    assert (short.run_dir / "model.json").is_file()  # the shorter run stays cached as it was


def test_only_the_same_config_is_continued(tmp_path):
    train(tiny_config(max_epochs=1, patience=5), cache_dir=tmp_path, progress=False)
    logs = []
    train(tiny_config(max_epochs=2, patience=5, seed=1), cache_dir=tmp_path, progress=False, log=logs.append)
    train(tiny_config(max_epochs=2, patience=5, lr=1e-3), cache_dir=tmp_path, progress=False, log=logs.append)
    assert not any("continuing" in m for m in logs)


def test_a_fine_tuned_model_is_continued(tmp_path):
    parent = tiny_config(max_epochs=1)

    def tuned(epochs):
        cfg = tiny_config(max_epochs=epochs, patience=5, lr=1e-3)
        return dataclasses.replace(cfg, name="tuned", init=parent)

    ref = train(tuned(2), cache_dir=tmp_path / "ref", progress=False)
    train(tuned(1), cache_dir=tmp_path / "run", progress=False)
    logs = []
    longer = train(tuned(2), cache_dir=tmp_path / "run", progress=False, log=logs.append)
    assert any("continuing" in m for m in logs)
    assert torch.equal(_weights(ref.model), _weights(longer.model))


def _rising_val_loss(monkeypatch):
    """Validation loss that rises every epoch: with patience 1 training stops after epoch 2."""
    calls = {"n": 0}

    def rising(*a, **k):
        calls["n"] += 1
        return float(calls["n"])

    monkeypatch.setattr(train_mod, "eval_loss", rising)


def test_an_early_stopped_run_keeps_no_checkpoint_and_is_not_continued(tmp_path, monkeypatch):
    _rising_val_loss(monkeypatch)
    first = train(tiny_config(max_epochs=2, patience=1), cache_dir=tmp_path, progress=False)
    assert first.stopped == "early_stopping" and len(first.history) == 2
    assert not (first.run_dir / "continue.pt").exists()
    logs = []
    train(tiny_config(max_epochs=3, patience=1), cache_dir=tmp_path, progress=False, log=logs.append)
    assert not any("continuing" in m for m in logs)


def test_killed_after_the_early_stopping_epoch_resumes_to_early_stopping(tmp_path, monkeypatch):
    _rising_val_loss(monkeypatch)
    cfg = tiny_config(max_epochs=4, patience=1)
    ref = train(cfg, cache_dir=tmp_path / "ref", progress=False)
    assert ref.stopped == "early_stopping" and len(ref.history) == 2
    _rising_val_loss(monkeypatch)
    real = train_mod.heldout_examples

    def dying(*a, **k):  # after the last checkpoint, before model.pt
        raise KeyboardInterrupt

    monkeypatch.setattr(train_mod, "heldout_examples", dying)
    with pytest.raises(KeyboardInterrupt):
        train(cfg, cache_dir=tmp_path / "run", progress=False)
    monkeypatch.setattr(train_mod, "heldout_examples", real)
    resumed = train(cfg, cache_dir=tmp_path / "run", progress=False)
    assert resumed.stopped == "early_stopping" and len(resumed.history) == 2
    assert torch.equal(_weights(ref.model), _weights(resumed.model))
