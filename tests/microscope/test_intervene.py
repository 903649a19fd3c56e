import numpy as np
import pytest
import torch

from neuronstats.data.cache import prepare
from neuronstats.microscope.intervene import Intervention, Outcomes, RandomInputs, run, sweep
from neuronstats.model.decode import greedy_decode
from neuronstats.model.seq2seq import Seq2Seq
from neuronstats.stats.controls import random_neuron_sets
from tests.conftest import tiny_config


def _decoded(out, T, extra):
    """Mask of the steps run() decodes for each example: 1 .. T + extra."""
    return np.arange(out.shape[-1])[None, :] < (T + extra)[:, None]


def _setup(cell="gru", autonomous=False):
    cfg = tiny_config()
    ds = prepare(cfg.data)
    torch.manual_seed(1)
    model = Seq2Seq(cell, len(ds.vocab), 8, 12).eval()
    if autonomous:  # decoder ignores its input tokens: h_{t+1} = f(h_t)
        with torch.no_grad():
            model.decoder.weight_ih_l0.zero_()
    return model, ds.examples("test", 0).subset(np.arange(30))


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_noop_reproduces_greedy_decoding(cell):
    model, ex = _setup(cell)
    out = run(model, ex, [()], extra_steps=2)
    ref = greedy_decode(model, ex, n_steps=int(ex.T.max()) + 2)
    ok = _decoded(ref, ex.T[:, 0], 2)
    assert (out.outputs[:, 0][ok] == ref[ok]).all() and (out.outputs[:, 0][~ok] == -1).all()
    keep_all = run(model, ex, [(Intervention(step=1, op="keep_only"),)], extra_steps=2)
    assert (keep_all.outputs[:, 0] == out.outputs[:, 0]).all()  # keep all neurons = change nothing


def test_copying_previous_step_into_every_neuron_delays_output_by_one():
    model, ex = _setup(autonomous=True)
    s = 2
    out = run(model, ex, [(), (Intervention(step=s, op="from_step", source_offset=-1),)], extra_steps=2)
    clean, delayed = out.outputs[:, 0], out.outputs[:, 1]
    assert (delayed[:, : s - 1] == clean[:, : s - 1]).all()
    ok = _decoded(clean, ex.T[:, 0], 2)[:, s - 1 :]
    assert ok.sum() > 50
    assert (delayed[:, s - 1 :][ok] == clean[:, s - 2 : -1][ok]).all()


def test_zeroing_every_neuron_makes_output_independent_of_input():
    model, ex = _setup()
    out = run(model, ex, [(Intervention(step=0, op="zero"),)], extra_steps=2)
    ok = _decoded(out.outputs[:, 0], ex.T[:, 0], 2)
    n = ok.sum(1).min()
    assert (out.outputs[:, 0, :n] == out.outputs[0, 0, :n]).all()


def test_batched_random_sets_equal_one_at_a_time_and_relative_steps():
    model, ex = _setup()
    sets = random_neuron_sets(12, 3, n_sets=5, seed=0)
    conds = sweep((Intervention(step="T-1", op="zero"),), sets)
    together = run(model, ex, conds, batch=64)
    for k, c in enumerate(conds):
        alone = run(model, ex, [c])
        assert (alone.outputs[:, 0] == together.outputs[:, k]).all()
    assert conds[0][0].neurons == tuple(sets[0])


def test_value_add_donor_and_random_inputs_run_and_differ():
    model, ex = _setup()
    donors = np.roll(np.arange(len(ex)), 1)
    conds = [(), (Intervention(step=0, op="value", value=0.9),), (Intervention(step=0, op="add", value=0.5),),
             (Intervention(step=0, op="from_example", source=0),), (RandomInputs(seed=3),)]
    out = run(model, ex, conds, donors=donors)
    assert out.outputs.shape[:2] == (len(ex), 5)
    # copying the donor's whole h_0 makes example i decode exactly like its donor
    n = int(ex.T.min()) + 1  # steps every example decodes
    assert (out.outputs[:, 3, :n] == out.outputs[donors, 0, :n]).all()
    assert (out.outputs[:, 1, :n] == out.outputs[0, 1, :n]).all()


@pytest.mark.parametrize("spec, match", [
    (Intervention(step=99), "outside decoder times"),
    (Intervention(step=1, neurons=(12,)), "neuron ids"),
    (Intervention(step=1, op="value", value=tuple([0.0] * 5)), "entries"),
    (Intervention(step=1, op="from_step", source_offset=-5), "source time"),
])
def test_bad_specs_raise_clear_errors(spec, match):
    model, ex = _setup()
    with pytest.raises(ValueError, match=match):
        run(model, ex, [(spec,)])
    with pytest.raises(ValueError, match="op"):
        Intervention(step=1, op="scramble")


def test_outcomes_shift_bookkeeping():
    w, T = np.array([7, 7]), np.array([2, 2])
    outs = np.array([[[1, 7, 7, 1], [1, 1, 7, 1]], [[7, 1, 1, 1], [1, 1, 1, 1]]])
    o = Outcomes(outs, np.zeros((2, 2)), w, T)
    assert o.at_T.tolist() == [[True, False], [False, False]]
    assert o.first_w.tolist() == [[2, 3], [1, 0]]
    assert o.moved_by(1).tolist() == [[False, True], [False, False]]
    assert o.moved_by(-1).tolist() == [[False, False], [True, False]]
    assert np.isnan(o.shift[1, 1]) and o.shift[0, 1] == 1


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_fast_forward_equals_decoding_every_step(cell):
    model, ex = _setup(cell)
    ex = ex.subset(np.flatnonzero(ex.T[:, 0] >= 3))  # every condition's steps exist
    sets = random_neuron_sets(12, 3, n_sets=4, seed=1)
    conds = ([()] + sweep((Intervention(step="T-1", op="zero"),), sets)
             + sweep((Intervention(step="T-1", op="from_step", source_offset=-2),), sets)
             + sweep((Intervention(step="T-2", op="from_step", source="T-1"),), sets)
             + [(Intervention(step=3, op="zero", state="c" if cell == "lstm" else "h"),)])
    fast = run(model, ex, conds, extra_steps=3, batch=40)
    slow = run(model, ex, conds, extra_steps=3, batch=40, fast_forward=False)
    assert (fast.outputs == slow.outputs).all()
    np.testing.assert_allclose(fast.p_w_at_T, slow.p_w_at_T, rtol=1e-4, atol=1e-6)
    assert (fast.outputs[:, 0] != -1).any() and (fast.outputs[:, 1:] != fast.outputs[:, :1]).any()


def test_logits_read_in_chunks_and_without_p_w_decode_the_same(monkeypatch):
    from neuronstats.microscope import intervene

    model, ex = _setup("gru")
    ex = ex.subset(np.flatnonzero(ex.T[:, 0] >= 2))
    sets = random_neuron_sets(12, 3, n_sets=6, seed=2)
    conds = ([()] + sweep((Intervention(step="T-1", op="zero"),), sets)
             + sweep((Intervention(step="T", op="keep_only"),), sets))
    whole = run(model, ex, conds, extra_steps=2, batch=64)
    monkeypatch.setattr(intervene, "CHUNK", 5)  # several chunks per step, for both reading paths
    chunked = run(model, ex, conds, extra_steps=2, batch=64)
    no_p = run(model, ex, conds, extra_steps=2, batch=64, p_w=False)
    assert (chunked.outputs == whole.outputs).all() and (no_p.outputs == whole.outputs).all()
    np.testing.assert_allclose(chunked.p_w_at_T, whole.p_w_at_T, rtol=1e-5, atol=1e-7)
    assert np.isnan(no_p.p_w_at_T).all() and not np.isnan(whole.p_w_at_T).any()


def test_stopping_where_the_outcome_is_decided_gives_the_same_outcome():
    from neuronstats.microscope.intervene import Outcome
    from neuronstats.planted import planted_model

    p = planted_model(seed=0)  # positions every example, so w comes out at T under most conditions
    ex = p.examples.subset(np.flatnonzero(p.examples.T[:, 0] >= 3)[:100])
    H = p.model.hidden
    sets = np.vstack([random_neuron_sets(H, 7, n_sets=4, seed=3), [p.truth["counting"][:7]]])
    conds = ([()] + sweep((Intervention(step="T-1", op="from_step", source_offset=-2),), sets)
             + sweep((Intervention(step="T-2", op="from_step", source="T-1"),), sets)
             + sweep((Intervention(step="T-1", op="zero"),), sets))
    full = run(p.model, ex, conds, extra_steps=3, batch=2000)
    assert full.at_T.any() and (~full.at_T).any() and any(full.moved_by(k).any() for k in (-1, 1, 2))
    for o in (Outcome("moved", 1), Outcome("moved", 3), Outcome("moved", -1), Outcome("moved", -2)):
        ref = run(p.model, ex, conds, extra_steps=o.extra_steps, batch=2000)
        stop = run(p.model, ex, conds, extra_steps=o.extra_steps, batch=2000, decided=o)
        assert (o.of(stop) == o.of(full)).all() and (o.of(ref) == o.of(full)).all(), o
        kept = stop.outputs != -1
        assert (stop.outputs[kept] == ref.outputs[kept]).all()  # each sequence a prefix of its full decode
        if o.kind == "moved":
            assert kept.sum() < (ref.outputs != -1).sum()  # and some stopped early


def test_outcomes_need_no_steps_past_the_one_they_read():
    from neuronstats.microscope.intervene import Outcome

    model, ex = _setup()
    ex = ex.subset(np.flatnonzero(ex.T[:, 0] >= 3))
    conds = [(), (Intervention(step="T-1", op="from_step", source_offset=-2),),
             (Intervention(step="T-3", op="from_step", source="T-1"),)]
    long = run(model, ex, conds, extra_steps=4)
    for o in (Outcome("at_T"), Outcome("not_at_T"), Outcome("moved", 2), Outcome("moved", -2)):
        short = run(model, ex, conds, extra_steps=o.extra_steps)
        assert (o.of(short) == o.of(long)).all()
