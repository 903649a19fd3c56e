import dataclasses
import importlib

import pandas as pd
import pytest

from neuronstats.errors import InputError
from neuronstats.findings import registry
from neuronstats.findings.result import FindingResult
from neuronstats.study import load_study, run_study

STUDY = """
name = "t"
seeds = [0, 1]
cells = ["gru", "lstm"]
[analysis]
n_null = 99
n_sets = 20
n_perm = 49
n_units = 2
min_examples = 2
untrained_baseline = false  # on in the first test only (it doubles the findings' time)
[[dataset]]
name = "synthetic"
paper = "gutenberg"
[dataset.data]
source = "synthetic"
synth_docs = 150
synth_lines_per_doc = 10
synth_vocab = 40
min_len = 3
max_len = 8
max_eval = 100
max_test = 400
[dataset.model]
emb = 32
hidden = 32
[dataset.train]
max_epochs = 4
batch_size = 32
threads = 1
"""


def test_study_writes_tables_summary_manifest_and_reruns_identically(tmp_path):
    (tmp_path / "s.toml").write_text(STUDY.replace("untrained_baseline = false", "untrained_baseline = true"))
    study = load_study(tmp_path / "s.toml")
    assert len(list(study.runs())) == 4
    first = run_study(study, None, tmp_path / "out", cache_dir=tmp_path / "cache", workers=0)
    for f in ("synthetic/positioning.csv", "synthetic/positioning.tex", "summary.csv", "manifest.json",
              "synthetic/storing.csv", "synthetic/counting.tex", "synthetic/triggering.csv",
              "synthetic/outputting.csv", "synthetic/x_t_negligible.csv", "synthetic/gru_vs_lstm.csv",
              "synthetic/gru_vs_lstm/outputting.csv", "synthetic/gru_vs_lstm/outputting.tex",
              "figures/table1.png", "figures/table1.pdf"):
        assert (tmp_path / "out" / f).is_file(), f
    assert set(first.cell) >= {"gru", "lstm", "gru untrained", "lstm untrained", "gru - lstm"}  # every row
    vs = pd.read_csv(tmp_path / "out" / "synthetic" / "trained_vs_untrained_gru.csv")  # the stricter control
    assert (vs.cell == "gru - gru untrained").all() and vs.test_id.str.endswith(".vs_untrained").all()
    pos = vs[vs.test_id == "positioning.accuracy.vs_untrained"].iloc[0]
    rows = first[first.test_id == "positioning.accuracy"].set_index("cell")
    effect = {c: rows.loc[c, "estimate"] - rows.loc[c, "null_mean"] for c in ("gru", "gru untrained")}
    assert pos.estimate == pytest.approx(effect["gru"] - effect["gru untrained"])  # difference of seed effects
    base = first[first.cell.str.endswith("untrained") & (first.test_id == "positioning.accuracy")]
    assert len(base) == 2 and not base.reject.any()  # an untrained network does not position on command
    assert first[first.finding == "positioning"].p_adjusted.notna().all()
    assert set(first.finding) >= {"positioning", "counting", "triggering", "x_t negligible"}
    cmp = pd.read_csv(tmp_path / "out" / "synthetic" / "gru_vs_lstm.csv")
    assert "positioning" in set(cmp.finding)
    again = run_study(study, None, tmp_path / "out2", cache_dir=tmp_path / "cache", workers=0)  # models cached
    pd.testing.assert_frame_equal(first, again)  # same seeds -> same numbers


def _patch(monkeypatch, name, run):
    """Replace a built-in finding's function for one test (its module's declaration)."""
    module = importlib.import_module(registry.MODULES[name])
    monkeypatch.setattr(module, "FINDING", dataclasses.replace(module.FINDING, run=run))


def test_changed_study_never_reuses_a_stale_finding(tmp_path, monkeypatch):
    (tmp_path / "s.toml").write_text(STUDY)
    run_study(load_study(tmp_path / "s.toml"), None, tmp_path / "out", cache_dir=tmp_path / "cache", workers=0)
    calls = []
    real = registry.get("outputting").run
    _patch(monkeypatch, "outputting", lambda ctx: calls.append(ctx.cfg.n_sets) or real(ctx))
    (tmp_path / "s.toml").write_text(STUDY.replace("n_sets = 20", "n_sets = 30"))
    changed = run_study(load_study(tmp_path / "s.toml"), None, tmp_path / "out", cache_dir=tmp_path / "cache",
                        workers=0)
    assert calls == [30, 30]  # both cells recomputed with the new setting, none reused
    ran = changed[(changed.finding == "outputting") & changed.estimate.notna() & changed.cell.isin(["gru", "lstm"])]
    assert len(ran) and (ran.n_null == 30).all()
    stems = [p.name.rsplit("-", 1)[0] for p in (tmp_path / "out" / ".partial").glob("*.json")]
    assert len(stems) == len(set(stems))  # the stale results were removed, not kept beside the new


def test_killed_study_resumes_at_finding_granularity(tmp_path, monkeypatch):
    (tmp_path / "s.toml").write_text(STUDY)
    study = load_study(tmp_path / "s.toml")
    ref = run_study(study, None, tmp_path / "ref", cache_dir=tmp_path / "cache", workers=0)
    real = registry.get("triggering").run
    _patch(monkeypatch, "triggering", lambda ctx: (_ for _ in ()).throw(KeyboardInterrupt))
    with pytest.raises(KeyboardInterrupt):
        run_study(study, None, tmp_path / "out", cache_dir=tmp_path / "cache", workers=0)
    done = {p.name.rsplit("-", 1)[0] for p in (tmp_path / "out" / ".partial").iterdir()}
    assert "synthetic-gru-counting" in done and "synthetic-gru-triggering" not in done
    calls = []
    _patch(monkeypatch, "counting", lambda ctx: calls.append(1) or FindingResult("counting"))
    _patch(monkeypatch, "triggering", real)
    resumed = run_study(study, None, tmp_path / "out", cache_dir=tmp_path / "cache", workers=0)
    assert calls == [1]  # gru counting came from the partial results; only lstm counting ran
    gru = resumed[resumed.cell == "gru"]
    pd.testing.assert_frame_equal(gru.reset_index(drop=True), ref[ref.cell == "gru"].reset_index(drop=True))


@pytest.mark.parametrize("text, match", [
    ("seeds = []\n", "distinct integer seeds"),
    ("seeds = [0, 1]\n[analysis]\nfindings = ['storing', 'countng']\n", "countng"),
    ("seeds = [0, 1]\n[analysis]\nci_method = 'bca'\n", "ci_method"),
    ("seeds = [0, 1]\n[analysis]\ncorrection = 'hlm'\n", "correction"),
    ("seeds = [0, 1]\n[analysis]\nn_sets = 'many'\n", "wrong type"),
    ("cells = ['rnn']\nseeds = [0, 1]\n", "cells"),
    ("seeds = [0, 1]\nbogus = 1\n", "unknown key"),
    ("seeds = [0, 1]\n", "no \\[\\[dataset\\]\\]"),
])
def test_bad_study_files(tmp_path, text, match):
    (tmp_path / "bad.toml").write_text(text)
    with pytest.raises(InputError, match=match):
        load_study(tmp_path / "bad.toml")


def test_replicate_cli_writes_tables_manifest_and_report(tmp_path, capsys):
    from neuronstats.cli import main

    (tmp_path / "s.toml").write_text(STUDY)
    rc = main(["replicate", str(tmp_path / "s.toml"), "--out", str(tmp_path / "out"), "--cache-dir",
               str(tmp_path / "cache"), "--quiet", "--workers", "0", "--cells", "gru"])
    assert rc == 0 and "tables, summary and manifest" in capsys.readouterr().out
    claims = pd.read_csv(tmp_path / "out" / "claims.csv")
    lstm = claims[claims.cell == "lstm"]
    assert len(lstm) and lstm.verdict.eq("not run").all()
    assert lstm.reason.str.contains("left out: cells lstm").all()  # the part-run says what it left out
    assert "Part of the study" in (tmp_path / "out" / "report.html").read_text()
    assert (tmp_path / "out" / "synthetic" / "counting.tex").is_file()
    assert (tmp_path / "out" / "report.html").is_file() and (tmp_path / "out" / "claims.csv").is_file()
    manifest = __import__("json").loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["findings"] and all(v["seconds"] >= 0 for v in manifest["findings"].values())


def test_subset_keeps_parents_and_rejects_what_the_study_lacks(tmp_path):
    tuned = STUDY[STUDY.index("[[dataset]]"):].replace('name = "synthetic"', 'name = "tuned"\ninit = "synthetic"')
    text = STUDY + tuned
    (tmp_path / "s.toml").write_text(text)
    study = load_study(tmp_path / "s.toml")
    assert study.coverage() == ""
    part = study.subset(seeds=[1], cells=["gru"], datasets=["tuned"])
    runs = list(part.runs())
    assert [(d, c, s) for d, c, s, _ in runs] == [("tuned", "gru", 1)]
    assert runs[0][3].init.name == "synthetic-gru-s1"  # its parent is still built (and trained first)
    assert "left out: datasets synthetic; cells lstm; seeds 0" in part.coverage()
    assert part.subset(seeds=[1]).subset_of == study.subset(seeds=[0]).subset_of  # always the study file's
    for bad in ({"seeds": [7]}, {"cells": ["rnn"]}, {"datasets": ["lyrics"]}, {"seeds": []}):
        with pytest.raises(InputError, match="subset"):
            study.subset(**bad)


def test_a_dataset_can_be_run_with_some_cells_only(tmp_path):
    gru_only = STUDY[STUDY.index("[[dataset]]"):].replace('name = "synthetic"', 'name = "two"\ncells = ["gru"]')
    (tmp_path / "s.toml").write_text(STUDY + gru_only)
    study = load_study(tmp_path / "s.toml")
    assert study.cells_of("two") == ["gru"] and study.cells_of("synthetic") == ["gru", "lstm"]
    assert sorted({(d, c) for d, c, _, _ in study.runs()}) == [("synthetic", "gru"), ("synthetic", "lstm"),
                                                                ("two", "gru")]
    lstm = study.subset(cells=["lstm"])  # "two" has no LSTM: it is left out of that run, and says so
    assert list(lstm.datasets) == ["synthetic"] and "datasets two" in lstm.coverage()
    with pytest.raises(InputError, match="cells that some chosen dataset"):
        study.subset(cells=["lstm"], datasets=["two"])
    (tmp_path / "bad.toml").write_text(STUDY + gru_only.replace('cells = ["gru"]', 'cells = ["rnn"]'))
    with pytest.raises(InputError, match="two: cells"):
        load_study(tmp_path / "bad.toml")


@pytest.mark.parametrize("name", ["replication", "smoke", "calibration", "paper_scale"])
def test_the_shipped_study_files_load(name):
    from pathlib import Path

    study = load_study(Path(__file__).parents[1] / "analyses" / f"{name}.toml")
    assert list(study.runs()) and set(study.datasets)
    if name in ("replication", "paper_scale"):
        assert study.cells_of("gutenberg-2tokens") == ["gru"] and study.dataset_init["lyrics"] == "gutenberg"


def test_cell_train_overrides_one_cells_budget_and_is_checked(tmp_path):
    text = STUDY.replace("threads = 1\n", "threads = 1\n[dataset.cell_train.lstm]\nmax_epochs = 6\npatience = 3\n")
    (tmp_path / "s.toml").write_text(text)
    study = load_study(tmp_path / "s.toml")
    runs = {(c, s): cfg.train for _, c, s, cfg in study.runs()}
    assert (runs["lstm", 0].max_epochs, runs["lstm", 0].patience) == (6, 3)
    assert (runs["gru", 0].max_epochs, runs["gru", 0].patience) == (4, 3)  # the dataset's own (patience default)
    assert runs["lstm", 1].seed == 1
    for bad, match in (("max_epoch = 6", "unknown key 'cell_train.lstm.max_epoch'"), ("seed = 3", "seed"),
                       ("max_epochs = 'six'", "wrong type")):
        (tmp_path / "bad.toml").write_text(STUDY.replace("threads = 1\n", f"threads = 1\n[dataset.cell_train.lstm]\n"
                                                                           f"{bad}\n"))
        with pytest.raises(InputError, match=match):
            load_study(tmp_path / "bad.toml")


def test_a_study_with_a_model_store_exports_what_it_trains_and_then_trains_nothing(tmp_path, monkeypatch):
    import json

    from neuronstats.cli import main
    from neuronstats.model import train as train_mod

    (tmp_path / "s.toml").write_text('models = "shipped"\n' + STUDY.replace("seeds = [0, 1]", "seeds = [0]"))
    study = load_study(tmp_path / "s.toml")
    assert study.models == str(tmp_path / "shipped")
    rc = main(["replicate", str(tmp_path / "s.toml"), "--out", str(tmp_path / "o"), "--train-only", "--cache-dir",
               str(tmp_path / "cache"), "--workers", "0", "--quiet"])
    manifest = json.loads((tmp_path / "shipped" / "manifest.json").read_text())
    assert rc == 0 and sorted(manifest) == ["synthetic-gru-s0", "synthetic-lstm-s0"]
    # a fresh cache (a fresh clone): every model comes from the store, none is trained
    monkeypatch.setattr(train_mod, "batch_loss", lambda *a, **k: pytest.fail("retrained"))
    rc = main(["replicate", str(tmp_path / "s.toml"), "--out", str(tmp_path / "o2"), "--train-only", "--cache-dir",
               str(tmp_path / "fresh"), "--workers", "0", "--quiet"])
    assert rc == 0 and not (tmp_path / "fresh" / "models").exists()
    # --export-models copies cached models in (here: nothing new to copy)
    assert main(["replicate", str(tmp_path / "s.toml"), "--export-models", "--cache-dir", str(tmp_path / "cache")]) == 0


def test_shipped_test_examples_open_a_model_without_its_corpus(tmp_path, monkeypatch, capsys):
    """ship_test_examples = true: --export-models writes the dataset's held-out examples once
    beside its models, and ns.pretrained reads them instead of preparing the corpus: the
    same examples either way. A tampered file is one clear error."""
    import json

    import numpy as np

    import neuronstats as ns
    from neuronstats import shipped
    from neuronstats.cli import main

    text = 'models = "shipped"\n' + STUDY.replace("seeds = [0, 1]", "seeds = [0]")
    (tmp_path / "s.toml").write_text(text.replace('paper = "gutenberg"\n',
                                                  'paper = "gutenberg"\nship_test_examples = true\n'))
    args = ["replicate", str(tmp_path / "s.toml"), "--cache-dir", str(tmp_path / "cache")]
    assert main([*args, "--out", str(tmp_path / "o"), "--train-only", "--workers", "0", "--quiet"]) == 0
    store = tmp_path / "shipped"
    rebuilt = ns.pretrained("synthetic", cell="lstm", seed=0, models=store, cache_dir=tmp_path / "cache")[1]
    assert main([*args, "--export-models"]) == 0
    assert "synthetic: held-out test examples -> " in capsys.readouterr().out
    manifest = json.loads((store / "manifest.json").read_text())
    files = {e["test_examples"] for e in manifest.values()}
    assert len(files) == 1 and list((store / "examples").iterdir()) == [store / files.pop()]  # one file, both cells
    monkeypatch.setattr(shipped, "load_with_data", lambda *a: pytest.fail("the corpus was prepared"))
    model, from_store = ns.pretrained("synthetic", cell="lstm", seed=0, models=store)
    assert model.cell == "lstm" and from_store.vocab_itos == model.vocab_itos and len(from_store) == len(rebuilt) > 0
    for name in ("src", "src_len", "tgt", "tgt_len", "w", "T", "pair_index"):
        np.testing.assert_array_equal(getattr(from_store, name), getattr(rebuilt, name))
    path = store / manifest["synthetic-gru-s0"]["test_examples"]
    with np.load(path) as z:
        arrays = dict(z)
    arrays["T"] = arrays["T"] + 1
    np.savez(path.with_suffix(""), **arrays)  # writes path: the same name, other positions
    with pytest.raises(InputError, match="digest differs"):
        ns.pretrained("synthetic", cell="gru", seed=0, models=store)
    # a retrained model replaces its entry (export_model): the examples are named again
    entry = manifest["synthetic-gru-s0"]
    del entry["test_examples"], entry["test_examples_sha256"]
    (store / "manifest.json").write_text(json.dumps(manifest))
    assert main([*args, "--export-models"]) == 0  # rewrites the tampered file, names it again
    assert json.loads((store / "manifest.json").read_text())["synthetic-gru-s0"]["test_examples"] == str(
        path.relative_to(store))
    assert ns.pretrained("synthetic", cell="gru", seed=0, models=store)[1].digest() == rebuilt.digest()


def test_a_study_file_cannot_set_the_untrained_baselines_switch(tmp_path):
    (tmp_path / "s.toml").write_text(STUDY.replace("n_sets = 20", "n_sets = 20\nall_examples = true"))
    with pytest.raises(InputError, match="all_examples is not a setting"):
        load_study(tmp_path / "s.toml")


def test_seed_effects_are_tidy_and_name_their_seed_only_where_every_seed_gave_one():
    from neuronstats.study import seed_effects_frame

    key = ("storing", "zero the set", "pooled: 2 tokens", "storing.zero")
    short = ("storing", "zero the set", "token 5 'a'", "storing.zero")
    t = seed_effects_frame("gutenberg", {"gru": {key: [0.1, 0.2, 0.3], short: [0.4, 0.5]},
                                         "gru untrained": {key: [0.0, 0.1, 0.0]}}, seeds=[3, 4, 7])
    assert len(t) == 8 and set(t.cell) == {"gru", "gru untrained"}
    full = t[(t.cell == "gru") & (t.unit == key[2])]
    assert full.seed.tolist() == [3, 4, 7] and full.effect.tolist() == [0.1, 0.2, 0.3]
    assert t[t.unit == short[2]].seed.isna().all()  # a seed was left out: which one is not known
