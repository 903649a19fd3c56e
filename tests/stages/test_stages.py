import numpy as np
import pytest
import torch

from neuronstats.data.cache import prepare
from neuronstats.microscope.intervene import run
from neuronstats.microscope.record import record
from neuronstats.model.seq2seq import Seq2Seq
from neuronstats.model.train import heldout_examples, train
from neuronstats.stages.attribution import integrated_gradients, stage2
from neuronstats.stages.candidates import stage1
from neuronstats.stages.hypothesis import counting, storing, triggering
from neuronstats.stages.neuronset import NeuronSet, find
from neuronstats.stages.verify import verify
from tests.conftest import learnable_config, tiny_config


def test_stage1_finds_a_planted_storing_unit_and_grouped_cv_never_splits():
    rng = np.random.default_rng(0)
    groups = np.repeat(np.arange(150), 4)
    token = rng.integers(0, 5, 150)[groups]
    y = (token == 2).astype(int)
    X = rng.normal(size=(len(y), 20))
    X[:, 7] += 2.5 * y  # neuron 7 copies "is the token 2"
    s1 = stage1(X, y, groups, token, n_candidates=4, n_perm=199)
    assert 7 in s1.candidates and len(s1.candidates) == 4
    assert s1.p_value == pytest.approx(1 / 200) and s1.heldout_accuracy > 0.8
    assert s1.plausible == (s1.train_accuracy > 0.95)
    null = stage1(rng.normal(size=(len(y), 20)), y, groups, token, n_candidates=4, n_perm=199)
    assert null.p_value > 0.05 and null.heldout_accuracy < 0.6


def _output_model():
    """A hand-built model whose output at step T reads neuron 0 only: neuron 1 is irrelevant."""
    cfg = tiny_config()
    ds = prepare(cfg.data)
    torch.manual_seed(0)
    m = Seq2Seq("gru", len(ds.vocab), 8, 6).eval()
    with torch.no_grad():
        m.out.weight.mul_(0.1)
        m.out.weight[:, 1] = 0.0
        m.out.weight[:, 0] = torch.linspace(-3, 3, len(ds.vocab))
    ex = ds.examples("test", 0)
    return m, ex


def test_stage2_keeps_the_unit_the_output_reads_and_drops_the_irrelevant_one():
    m, ex = _output_model()
    rec = record(m, ex)
    s2 = stage2(m, rec, candidates=[0, 1], step="T", keep=0.5, n_steps=64)
    assert list(s2.kept) == [0] and s2.mean_abs_attribution[1] == 0.0
    assert s2.median_rel_delta < 0.05


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_integrated_gradients_are_complete_through_recurrent_steps(cell):
    cfg = tiny_config()
    ds = prepare(cfg.data)
    torch.manual_seed(3)
    m = Seq2Seq(cell, len(ds.vocab), 8, 6).eval()
    rec = record(m, ds.examples("test", 0))
    attrs, fx, fb, delta, idx = integrated_gradients(m, rec, step=0, n_steps=100)
    assert len(idx) == rec.n
    np.testing.assert_allclose(attrs.sum(1), fx - fb, atol=2e-3)


def test_find_verify_and_neuronset_roundtrip(tmp_path):
    cfg = learnable_config()
    res = train(cfg, cache_dir=tmp_path, progress=False)
    ds = prepare(cfg.data)
    ex = heldout_examples(ds, cfg)
    rec = record(res.model, ex)
    token = int(np.bincount(rec.w[rec.correct, 0]).argmax())
    for hyp in (storing(token), counting(), triggering()):
        ns = find(res.model, rec, hyp, n_perm=99, ig_examples=100)
        assert ns.sizes["filtered"] == len(ns.neurons) <= ns.sizes["candidates"] < ns.sizes["hidden"]
        assert set(ns.neurons) <= set(ns.candidates)
        untested = find(res.model, rec, hyp, n_perm=0, ig_examples=100)  # the set alone, no probe test
        assert untested.neurons == ns.neurons and untested.candidates == ns.candidates
        assert np.isnan(untested.stage1["p_value"]) and not np.isnan(ns.stage1["p_value"])
    (tmp_path / "ns.json").write_text(ns.to_json())
    assert NeuronSet.load(tmp_path / "ns.json") == ns
    clean = run(res.model, ex, [()], extra_steps=1).at_T[:, 0]
    results = verify(res.model, ex, ns.neurons, "counting", n_sets=20, clean_correct=clean, ks=(1,))
    (r,) = results
    assert r.control.shape == (len(r.examples), 20) and 0 <= r.rate <= 1
    # only examples the model positions without intervention, with a step T-1-k to copy from
    assert set(r.examples) == set(np.flatnonzero(clean & (ex.T[:, 0] >= r.verification.min_T)))
    assert r.verification.min_T >= 2 and not r.clean.any()


def test_typed_outcomes_read_the_decode():
    from neuronstats.microscope.intervene import Outcomes
    from neuronstats.stages.verify import Outcome, verifications

    w, T = np.array([7, 7]), np.array([2, 2])
    out = Outcomes(np.array([[[1, 7, 7, 1], [1, 1, 7, 1]], [[7, 1, 1, 1], [1, 1, 1, 1]]]), np.zeros((2, 2)), w, T)
    assert Outcome("at_T").of(out).tolist() == [[True, False], [False, False]]
    assert Outcome("not_at_T").of(out).tolist() == [[False, True], [True, True]]
    assert Outcome("moved", 1).of(out).tolist() == [[False, True], [False, False]]
    assert Outcome("moved", -1).of(out).tolist() == [[False, False], [True, False]]
    assert Outcome("moved", 3).extra_steps == 3 and Outcome("moved", -3).extra_steps == 0
    assert Outcome("at_T").extra_steps == 0
    assert [v.outcome.k for v in verifications("triggering", ks=(1, 2))] == [-1, -2]
    with pytest.raises(ValueError, match="outcome"):
        Outcome("moved:1")
