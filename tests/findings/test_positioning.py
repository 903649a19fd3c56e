import dataclasses

import numpy as np
import torch

from neuronstats.data.cache import prepare
from neuronstats.findings.positioning import positioning_tests, shuffled_null
from neuronstats.model.seq2seq import Seq2Seq
from neuronstats.model.train import heldout_examples, train
from tests.conftest import learnable_config, tiny_config


def test_trained_models_beat_the_shuffled_null(tmp_path):
    cfg = learnable_config()
    ds = prepare(cfg.data)
    models = []
    for seed in (0, 1, 2):
        cfg = dataclasses.replace(cfg, train=dataclasses.replace(cfg.train, seed=seed))
        models.append(train(cfg, cache_dir=tmp_path, progress=False, dataset=ds).model)
    ex = heldout_examples(ds, cfg)
    row = positioning_tests("synthetic", "gru", models, ex, n_null=199)[0].to_row()
    assert row["estimate"] > row["null_ci_high"] and row["p_value"] < 0.05
    assert row["null_mean"] < row["ci_low"] <= row["estimate"] <= row["ci_high"] and row["n_seeds"] == 3


def test_untrained_models_are_not_significant():
    cfg = tiny_config()
    ds = prepare(cfg.data)
    ex = heldout_examples(ds, cfg)
    models = []
    for seed in (0, 1, 2):
        torch.manual_seed(seed)
        models.append(Seq2Seq("gru", len(ds.vocab), 16, 16).eval())
    row = positioning_tests("synthetic", "gru", models, ex, n_null=199)[0].to_row()
    assert row["p_value"] > 0.05, row


def test_shuffled_null_of_a_perfect_copier_is_chance():
    """Outputs equal to the targets: the null is the chance that another example's w sits at its T."""
    cfg = tiny_config()
    ex = heldout_examples(prepare(cfg.data), cfg)
    outs = [ex.tgt[:, : ex.T.max()]]
    null = shuffled_null(outs, ex, 50)
    rows = np.arange(len(ex))
    chance = np.mean([(outs[0][rows, ex.T[p, 0] - 1] == ex.w[p, 0]).mean()
                      for p in [np.random.default_rng(k).permutation(len(ex)) for k in range(200)]])
    assert abs(null.mean() - chance) < 0.03 and null.max() < 0.5


def test_a_copier_that_ignores_the_controls_does_not_pass(monkeypatch):
    """A 'model' that writes the target line for 30 % of examples (chosen by the source
    line alone) and junk otherwise, whatever its control tokens say: scoring its outputs
    against shuffled (w, T) would call it a positioner; re-decoding without its controls
    shows it is not."""
    from neuronstats.findings import positioning as pos

    cfg = tiny_config()
    ex = heldout_examples(prepare(cfg.data), cfg)

    def copier(model, e, n_steps=None, device="cpu"):
        n_steps = int(e.T.max()) if n_steps is None else n_steps
        out = np.full((len(e), n_steps), 1, dtype=np.int64)
        for i in range(len(e)):
            line = e.src[i, : e.src_len[i]]
            line = line[line >= 4 + 20]  # ordinary words only: control tokens ignored
            if hash(tuple(line[:-1] if len(line) else line)) % 10 < 3:
                out[i] = ex.tgt[i, :n_steps]
        return out

    monkeypatch.setattr(pos, "greedy_decode", copier)
    (res,) = positioning_tests("synthetic", "gru", [None, None, None], ex, n_null=199)
    row = res.to_row()
    assert row["estimate"] > 0.15  # it does put w at T often ...
    assert row["p_value"] > 0.05 and row["ci_low"] <= row["null_mean"] <= row["ci_high"]  # ... but not on command
    assert "chance that w sits at T of shuffled" in row["notes"]
