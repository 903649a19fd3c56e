"""The 3-stage method on a ground truth: a hand-wired GRU whose storing, counting and
outputting neurons are known (neuronstats/planted.py; analyses/planted.py writes the
full table to results/planted/)."""

import numpy as np
import pytest

import neuronstats as ns
from neuronstats.planted import planted_model, recovery


@pytest.fixture(scope="module")
def planted():
    return [planted_model(seed=s) for s in range(3)]


def test_the_planted_model_does_the_task_by_its_planted_units(planted):
    p = planted[0]
    assert ns.record(p.model, p.examples).correct.mean() == 1.0
    S = p.truth["storing"]
    zero = ns.sweep(p.model, p.examples, ns.Intervention("T-1", "zero", neurons=S)).summary().iloc[0]
    bg = ns.sweep(p.model, p.examples, ns.Intervention("T-1", "zero", neurons=p.truth["background"])).summary().iloc[0]
    assert zero.accuracy < 0.1 and bg.accuracy > 0.9


def test_stages_recover_the_planted_storing_and_outputting_sets(planted):
    for p in planted:
        s = ns.find(p.model, p.examples, "storing", token="w7", n_perm=49, seed=p.seed)
        r = recovery(s.neurons, p.truth["storing"])
        assert r["precision"] >= 0.75 and r["recall"] >= 0.75, r
        o = ns.find(p.model, p.examples, "outputting", token="w7")
        assert recovery(o.neurons, p.truth["outputting"])["recall"] == 1.0


def test_stage_1_finds_the_whole_counter(planted):
    # stage 2 (integrated gradients at T-1) keeps only the counter's unit that is on at T-1:
    # a measured limitation, reported in results/planted/recovery.csv and docs/statistics.md
    p = planted[0]
    c = ns.find(p.model, p.examples, "counting", n_perm=49)
    assert recovery(c.candidates, p.truth["counting"])["recall"] == 1.0
    assert p.truth["counting"][1] in c.neurons


def test_the_findings_tests_reject_on_planted_mechanisms(planted):
    models, ex = [p.model for p in planted], planted[0].examples
    rows = ns.storing(models, ex, tokens=["w3", "w7"], n_perm=49, n_sets=20)
    pooled = rows[rows.unit.str.startswith("pooled")].set_index("test_id")
    assert pooled.loc["storing.probe", "reject"] and pooled.loc["storing.zero", "reject"]
    out = ns.outputting(models, ex, tokens=["w3", "w7"], n_sets=20)
    assert out[out.unit.str.startswith("pooled")].reject.astype(bool).all()
    cnt = ns.counting(models, ex, n_perm=49, n_sets=20).set_index("test_id")
    assert cnt.loc["counting.probe", "reject"]
    assert np.isfinite(rows.p_adjusted.dropna()).all()
