import numpy as np
import torch

from neuronstats.data.examples import prepare
from neuronstats.findings.positioning import positioning_rows, shuffled_null
from neuronstats.model.seq2seq import Seq2Seq
from neuronstats.model.train import heldout_examples, train
from tests.conftest import learnable_config, tiny_config


def test_trained_models_beat_the_shuffled_null(tmp_path):
    cfg = learnable_config()
    ds = prepare(cfg.data)
    models = []
    for seed in (0, 1):
        cfg.train.seed = seed
        models.append(train(cfg, cache_dir=tmp_path, progress=False, dataset=ds).model)
    ex = heldout_examples(ds, cfg)
    (row,) = positioning_rows("synthetic", "gru", models, ex, n_null=199)
    assert row["estimate"] > row["null_ci_high"] and row["p_value"] == 1 / 200
    assert row["ci_low"] <= row["estimate"] <= row["ci_high"] and row["n_seeds"] == 2


def test_untrained_models_are_not_significant():
    cfg = tiny_config()
    ds = prepare(cfg.data)
    ex = heldout_examples(ds, cfg)
    models = []
    for seed in (0, 1, 2):
        torch.manual_seed(seed)
        models.append(Seq2Seq("gru", len(ds.vocab), 16, 16).eval())
    (row,) = positioning_rows("synthetic", "gru", models, ex, n_null=199)
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
