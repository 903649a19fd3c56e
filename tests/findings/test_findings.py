import dataclasses

import numpy as np
import pytest

from neuronstats.data.cache import prepare
from neuronstats.findings import registry
from neuronstats.findings.context import Context
from neuronstats.findings.run import compare_rows, findings_rows, run_finding
from neuronstats.findings.settings import FindingsConfig
from neuronstats.model.train import heldout_examples, train
from neuronstats.stats.row import rows_to_frame
from tests.conftest import learnable_config


@pytest.fixture(scope="module")
def contexts(tmp_path_factory):
    out = {}
    for cell in ("gru", "lstm"):
        cfg = learnable_config(cell=cell, max_epochs=8)
        ds = prepare(cfg.data)
        models = []
        for seed in (0, 1):
            cfg = dataclasses.replace(cfg, train=dataclasses.replace(cfg.train, seed=seed))
            models.append(train(cfg, cache_dir=tmp_path_factory.mktemp("m"), progress=False, dataset=ds).model)
        fc = FindingsConfig(n_units=2, min_examples=10, n_sets=30, n_perm=49, max_examples=200)
        out[cell] = Context("synthetic", cell, models, heldout_examples(ds, cfg), fc)
    return out


def test_every_finding_returns_well_formed_rows(contexts):
    ctx = contexts["gru"]
    tables = findings_rows(ctx)
    assert set(tables) == set(registry.names())
    for name, rows in tables.items():
        df = rows_to_frame(rows)
        assert len(df) and (df.finding == name).all() and (df.cell == "gru").all()
        p = df.p_value.dropna()
        assert ((p >= 0) & (p <= 1)).all()
        exact = df[df.p_value == 0]  # p = 0 only where every seed agrees exactly, and the row says so
        assert (exact.test.str.contains("TOST") | exact.notes.str.contains("no variation at all")).all()
        ok = df.ci_low.notna()
        assert (df.ci_low[ok] <= df.estimate[ok] + 1e-12).all() and (df.estimate[ok] <= df.ci_high[ok] + 1e-12).all()
    counting = rows_to_frame(tables["counting"])
    probe = counting[counting.test.str.startswith("probe")].iloc[0]
    assert probe.estimate > probe.null_ci_high  # a trained model encodes steps remaining


def test_gates_on_lstm_is_reported_as_not_run(contexts):
    (row,) = run_finding("gates", contexts["lstm"]).rows
    assert row["test"] == "(not run)" and "reset (r) gates" in row["notes"] and np.isnan(row["estimate"])


def test_one_result_per_finding_holds_only_its_own_values(contexts):
    ctx = contexts["gru"]
    pos, trig = run_finding("positioning", ctx), run_finding("triggering", ctx)
    assert [r["finding"] for r in pos.rows] == ["positioning"] and pos.figure_data == {}
    assert {k[0] for k in pos.seed_values} == {"positioning"} and {k[0] for k in trig.seed_values} == {"triggering"}
    assert all(len(v) == len(ctx.models) for v in trig.seed_values.values())


def test_a_finding_changes_nothing_it_is_given(contexts):
    """The contract: a finding reads its context and returns a result; running it twice
    on the same context gives the same rows, and the context keeps only what it had."""
    ctx = contexts["gru"]
    first = run_finding("counting", ctx)
    before, cfg = dict(vars(ctx)), dataclasses.replace(ctx.cfg)
    again = run_finding("counting", ctx)
    assert rows_to_frame(first.rows).equals(rows_to_frame(again.rows))
    assert first.seed_values == again.seed_values and first.figure_data == again.figure_data
    assert vars(ctx).keys() == before.keys() and all(vars(ctx)[k] is v for k, v in before.items())
    assert ctx.cfg == cfg


def test_gru_vs_lstm_rows(contexts):
    res = {cell: run_finding("triggering", ctx) for cell, ctx in contexts.items()}
    rows = compare_rows("synthetic", res["gru"].seed_values, res["lstm"].seed_values)
    df = rows_to_frame(rows)
    assert len(df) >= 5 and (df.cell == "gru - lstm").all() and df.p_value.between(0, 1).all()


def test_token_findings_log_their_progress(contexts, caplog):
    import logging

    with caplog.at_level(logging.INFO, logger="neuronstats.findings"):
        res = run_finding("outputting", contexts["gru"])
    units = sorted({r["unit"] for r in res.rows if not r["unit"].startswith("pooled")})
    done = [m for m in caplog.messages if "outputting" in m and "done" in m]
    assert len(done) == len(units) and done[-1].split("(")[-1].startswith(f"{len(units)}/{len(units)}")
