import pytest

from neuronstats.cli import main
from neuronstats.config import dump_config
from tests.conftest import tiny_config, write_grid


def test_train_then_evaluate_from_the_cli(tmp_path, capsys):
    cfg = tmp_path / "tiny.toml"
    cfg.write_text(dump_config(tiny_config()))
    assert main(["train", str(cfg), "--cache-dir", str(tmp_path / "cache"), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "test positioning accuracy" in out and "device: cpu" in out
    model = next((tmp_path / "cache").glob("models/*/model.json"))
    assert main(["evaluate", str(model), "--split", "val"]) == 0
    assert "val: positioning accuracy" in capsys.readouterr().out


def test_cli_bad_input_is_one_line_and_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("[train]\nlr = 'fast'\n")
    assert main(["train", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "bad.toml" in err and "train.lr" in err
    assert main(["evaluate", str(tmp_path / "none.pt")]) == 2
    assert "model file not found" in capsys.readouterr().err


@pytest.mark.slow
def test_synthetic_config_reaches_95_percent(tmp_path, capsys):
    assert main(["train", "analyses/synthetic.toml", "--cache-dir", str(tmp_path), "--quiet"]) == 0
    out = capsys.readouterr().out
    acc = float(out.split("test positioning accuracy: ")[1].split(" %")[0])
    assert acc >= 95.0, out


def test_record_and_sweep_from_the_cli(tmp_path, capsys):
    cfg = tmp_path / "tiny.toml"
    cfg.write_text(dump_config(tiny_config()))
    assert main(["train", str(cfg), "--cache-dir", str(tmp_path / "cache"), "--quiet"]) == 0
    model = str(next((tmp_path / "cache").glob("models/*/model.json")))
    capsys.readouterr()
    assert main(["record", model, "--out", str(tmp_path / "rec.npz"), "--limit", "50"]) == 0
    from neuronstats.io import load_recording

    rec = load_recording(tmp_path / "rec.npz")
    assert rec.dec_h.shape[0] == rec.n <= 50 and rec.mode == "greedy" and "z" in rec.gates
    assert main(["sweep", model, "--neurons", "0,1,2", "--n-sets", "20", "--limit", "50",
                 "--out", str(tmp_path / "sw.npz")]) == 0
    out = capsys.readouterr().out
    assert "random 3-neuron sets" in out and "p = " in out and (tmp_path / "sw.npz").is_file()
    assert main(["sweep", model, "--neurons", "0,99", "--limit", "10"]) == 2  # neuron 99 does not exist
    capsys.readouterr()
    # T = 1 examples have no step T-2 to copy from: left out and counted, not a late failure
    assert main(["sweep", model, "--step", "T-1", "--op", "from_step", "--source-offset", "-1",
                 "--limit", "200", "--n-sets", "5", "--neurons", "0,1"]) == 0
    out = capsys.readouterr().out
    n_left = int(out.split(" examples left out")[0].split()[-1])
    n_used = int(out.split(" examples; accuracy")[0].split()[-1])
    assert n_left > 0 and n_used > 0


def test_find_from_the_cli(tmp_path, capsys):
    from tests.conftest import learnable_config

    cfg = tmp_path / "learn.toml"
    cfg.write_text(dump_config(learnable_config()))
    assert main(["train", str(cfg), "--cache-dir", str(tmp_path / "cache"), "--quiet"]) == 0
    model = str(next((tmp_path / "cache").glob("models/*/model.json")))
    capsys.readouterr()
    assert main(["find", model, "--hypothesis", "counting", "--n-perm", "99", "--limit", "300",
                 "--out", str(tmp_path / "ns.json")]) == 0
    out = capsys.readouterr().out
    assert "stage 1: LinearSVC training accuracy" in out and "stage 2 (IG) kept" in out
    assert main(["find", model, "--hypothesis", "storing", "--token", "nope"]) == 2
    assert "not in the model's vocabulary" in capsys.readouterr().err


def test_misspelled_finding_fails_in_seconds_before_any_work(tmp_path, capsys):
    import time

    study = tmp_path / "s.toml"
    study.write_text('seeds = [0, 1]\n[analysis]\nfindings = ["storing", "countng"]\n[[dataset]]\nname = "x"\n'
                     'data = { source = "synthetic" }\n')
    t = time.perf_counter()
    assert main(["replicate", str(study), "--out", str(tmp_path / "out")]) == 2
    assert time.perf_counter() - t < 5
    err = capsys.readouterr().err
    assert "countng" in err and "s.toml" in err and err.count("\n") == 1
    assert not (tmp_path / "out").exists()  # nothing created


def test_a_full_disk_is_one_line_naming_the_file(tmp_path, capsys, monkeypatch):
    import errno

    from neuronstats import io

    def full(tmp):  # what torch.save raises on a full disk
        raise RuntimeError("[enforce fail at inline_container.cc:672] . unexpected pos 123 vs 456")

    with pytest.raises(OSError) as exc:
        io._atomic(tmp_path / "model.pt", full)
    assert exc.value.errno == errno.ENOSPC and exc.value.filename.endswith("model.pt")
    assert not list(tmp_path.iterdir())  # nothing half-written
    cfg = tmp_path / "tiny.toml"
    cfg.write_text(dump_config(tiny_config()))
    monkeypatch.setattr(io, "save_torch", lambda path, obj: io._atomic(path, full))
    assert main(["train", str(cfg), "--cache-dir", str(tmp_path / "cache"), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "disk full while writing" in err[0] and "checkpoint.pt" in err[0]


def test_bench_train_with_nothing_cached_says_so(tmp_path, capsys):
    cfg = write_grid(tmp_path / "grid.toml", tiny_config(), '[[run]]\nname = "a"\n')
    out = tmp_path / "bench"
    assert main(["bench", "train", str(cfg), "--cached-only", "--cache-dir", str(tmp_path / "cache"),
                 "--out", str(out), "--quiet"]) == 1
    assert "none is trained yet" in capsys.readouterr().out
    assert not list(out.glob("*.csv")) and not list((tmp_path / "cache").glob("models/*/model.json"))


POEMS_STUDY = """seeds = [0]
[analysis]
findings = ["storing"]
[[dataset]]
name = "poems"
data = { source = "text", path = "poems.txt", chunk_lines = 5 }
"""


def test_replicate_checks_corpora_and_out_before_dask_and_leaves_nothing(tmp_path, capsys, monkeypatch):
    import neuronstats.engine

    def no_dask(*args, **kwargs):
        raise AssertionError("Dask was started before the inputs were checked")

    monkeypatch.setattr(neuronstats.engine, "local_cluster", no_dask)
    study = tmp_path / "s.toml"
    study.write_text(POEMS_STUDY)
    out = tmp_path / "out"
    # a --data-dir that does not exist: named, with the setting to fix; no folder, lock or log made
    assert main(["replicate", str(study), "--out", str(out), "--data-dir", str(tmp_path / "nodata")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "nodata" in err and "--data-dir" in err, err
    assert not out.exists()
    # the folder exists but the corpus is not in it; --out exists (empty): it stays empty
    (tmp_path / "data").mkdir()
    out.mkdir()
    assert main(["replicate", str(study), "--out", str(out), "--data-dir", str(tmp_path / "data")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "poems.txt: text file not found" in err, err
    assert not list(out.iterdir())  # no .lock, no replicate.log
    # --out is a file
    (tmp_path / "data" / "poems.txt").write_text("a b c d\n")
    (tmp_path / "taken").write_text("x")
    assert main(["replicate", str(study), "--out", str(tmp_path / "taken"), "--data-dir", str(tmp_path / "data")]) == 2
    assert "taken: the results folder is a file" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["train", "replicate", "sensitivity", "calibrate", "find"])
def test_help_states_each_default_once(command, capsys):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    raw = capsys.readouterr().out
    options = raw.split("\n  -")[1:]  # one entry per option, its help wrapped over lines
    assert len(options) >= 2
    for option in options:
        text = " ".join(option.split())
        assert not any(f"(default: {v})" in text for v in ("None", "False", "")), text
        assert text.count("default") <= 1, text


def test_a_shipped_model_opens_from_the_cli_without_its_corpus(tmp_path, capsys):
    """The Gutenberg models ship their test examples: evaluate and find read those, never
    the corpus, and score the model as the store's manifest says it was scored."""
    import json
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    model = root / "results" / "models" / "gutenberg-gru-s0"
    if not (model / "model.json").is_file():
        pytest.skip("no shipped models here")
    entry = json.loads((model.parent / "manifest.json").read_text())["gutenberg-gru-s0"]
    missing = str(tmp_path / "no-corpora-here")
    assert main(["evaluate", str(model), "--data-dir", missing]) == 0
    out = capsys.readouterr().out
    assert f"positioning accuracy {100 * entry['test_accuracy']:.2f} %" in out and f"({entry['n_test']} examples" in out
    assert main(["find", str(model), "--hypothesis", "storing", "--token", "the", "--n-perm", "99",
                 "--data-dir", missing, "--limit", "500"]) == 0
    assert "stage 2 (IG) kept" in capsys.readouterr().out
    assert main(["evaluate", str(model), "--split", "val", "--data-dir", missing]) == 2  # val needs the corpus
    assert "no-corpora-here" in capsys.readouterr().err
