"""Any recurrent seq2seq, not only ours: an encoder-decoder written and trained by a plain
PyTorch script (analyses/own_model.py: no neuronstats in it) goes from ns.from_torch
through find, sweep and storing to a stats row, for nn.GRU, nn.LSTM and nn.RNN."""

import pytest
import torch
from torch import nn

import neuronstats as ns
from analyses.own_model import ITOS, make_items, train_plain  # the user's plain PyTorch script

STEPS = {nn.GRU: 120, nn.LSTM: 150, nn.RNN: 300}  # the vanilla RNN learns the task slowly (30 % at 600 steps)


@pytest.fixture(scope="module", params=[nn.GRU, pytest.param(nn.LSTM, marks=pytest.mark.slow), nn.RNN],
                ids=["gru", "lstm", "rnn"])
def trained(request):
    return request.param, train_plain(request.param, steps=STEPS[request.param])


def test_a_plain_pytorch_model_goes_through_the_method_in_ten_lines(trained):
    cell, (emb, enc, dec, out) = trained
    test_items = make_items(400, torch.Generator().manual_seed(99))
    # ---- the user's analysis: ten lines -------------------------------------------------
    model = ns.from_torch(emb, enc, dec, out, vocab=ITOS)
    examples = ns.examples_from(test_items, vocab=ITOS)
    acc = ns.positioning([model], examples)
    word = "w3"
    found = ns.find(model, examples, "storing", token=word, n_perm=49)
    sweep = ns.sweep(model, examples, ns.Intervention(step="T-1", op="zero", neurons=found.neurons), n_sets=20)
    rows = ns.storing([model], examples, tokens=[word], n_perm=49, n_sets=20, min_examples=3)
    # --------------------------------------------------------------------------------------
    assert acc.reject.iloc[0] and acc.estimate.iloc[0] > acc.null_mean.iloc[0] + 0.1  # it learnt the task, some
    assert model.cell == {nn.GRU: "gru", nn.LSTM: "lstm", nn.RNN: "rnn"}[cell]
    assert len(found.neurons) > 0 and len(sweep) == 22 and "p" in str(sweep.summary()).lower()
    probe = rows[rows.test_id == "storing.probe"].iloc[0]
    assert probe.p_value > 0 and probe.estimate > probe.null_mean


def test_wrapped_model_equals_the_users_modules(trained):
    """The gates and states recomputed from the modules' weights equal the modules' own."""
    _, (emb, enc, dec, out) = trained
    model = ns.from_torch(emb, enc, dec, out, vocab=ITOS)
    tok = torch.randint(3, len(ITOS), (7,))
    state = tuple(torch.randn(7, 48) for _ in model.state_names)
    explicit, _, logits = model.step(tok, state)
    st = state[0][None] if len(state) == 1 else tuple(s[None] for s in state)
    y, st2 = dec(emb(tok)[:, None], st)
    assert torch.allclose(explicit[0], y[:, 0], atol=1e-5) and torch.allclose(logits, out(y[:, 0]), atol=1e-4)


def test_a_module_that_cannot_be_wrapped_says_what_to_do():
    emb, out = nn.Embedding(len(ITOS), 8), nn.Linear(16, len(ITOS))
    with pytest.raises(ns.InsufficientData.__mro__[1], match="one layer"):
        ns.from_torch(emb, nn.GRU(8, 16, num_layers=2), nn.GRU(8, 16), out, vocab=ITOS)
    with pytest.raises(Exception, match="no cell adapter"):
        ns.from_torch(emb, nn.Linear(8, 16), nn.GRU(8, 16), out, vocab=ITOS)
    with pytest.raises(Exception, match="not at position"):
        ns.examples_from([("w1 w2".split(), "x w3".split(), "w3", 1)], vocab=ITOS)


@pytest.mark.slow
def test_the_vanilla_rnn_runs_the_whole_smoke_study(tmp_path):
    """A new cell touches only its adapter: the tanh RNN goes through every finding of the
    smoke study (the §5 gates say why they do not apply). About a minute."""
    from pathlib import Path

    import pandas as pd

    from neuronstats.cli import main

    root = Path(__file__).resolve().parents[1]
    text = (root / "analyses" / "smoke.toml").read_text().replace('cells = ["gru", "lstm"]', 'cells = ["rnn"]')
    (tmp_path / "rnn.toml").write_text(text)
    assert main(["replicate", str(tmp_path / "rnn.toml"), "--out", str(tmp_path / "out"), "--workers", "0",
                 "--quiet", "--cache-dir", str(tmp_path / "cache")]) == 0
    s = pd.read_csv(tmp_path / "out" / "summary.csv")
    rnn = s[s.cell == "rnn"]
    assert {"positioning", "storing", "counting", "triggering", "outputting", "x_t negligible"} <= set(rnn.finding)
    assert "update (z) and reset (r) gates" in rnn[rnn.finding == "gates"].notes.iloc[0]
