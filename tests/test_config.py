import dataclasses

import pytest

from neuronstats.config import DataConfig, ModelConfig, RunConfig, TrainConfig, dump_config, load_config
from neuronstats.errors import InputError


def test_roundtrip_and_stable_hash(tmp_path):
    cfg = RunConfig(name="x", model=ModelConfig(cell="lstm"), train=TrainConfig(lr=1e-3))
    p = tmp_path / "c.toml"
    p.write_text(dump_config(cfg))
    back = load_config(p)
    assert back == cfg and back.hash() == cfg.hash()
    assert RunConfig().hash() == RunConfig().hash() != cfg.hash()
    renamed = RunConfig(name="other")
    assert renamed.hash() == RunConfig().hash()  # the name is not part of what is trained


@pytest.mark.parametrize("text, match", [
    ("[model]\ncel = 'gru'\n", "unknown key 'model.cel'"),
    ("[model]\nhidden = 'big'\n", "model.hidden = 'big' has the wrong type"),
    ("[model]\ncell = 'transformer'\n", "expected gru | lstm | rnn"),
    ("[modle]\n", "unknown section"),
    ("[model\n", "not valid TOML"),
])
def test_bad_config_is_one_clear_error_naming_the_file(tmp_path, text, match):
    p = tmp_path / "bad.toml"
    p.write_text(text)
    with pytest.raises(InputError, match=match) as exc:
        load_config(p)
    assert "bad.toml" in str(exc.value)


@pytest.mark.parametrize("section, key, value, match", [
    ("model", "hidden", -1, "model.hidden"), ("train", "batch_size", 0, "train.batch_size"),
    ("data", "vocab_size", 0, "data.vocab_size"), ("train", "lr", -1.0, "train.lr"),
    ("train", "clip", -1.0, "train.clip"), ("data", "min_len", 9, "min_len"),
    ("data", "n_tokens", 5, "n_tokens"), ("data", "drop_lines", "(", "regular expression"),
])
def test_out_of_range_values_fail_before_any_work(tmp_path, section, key, value, match):


    cfg = RunConfig(data=DataConfig(max_len=8))
    cfg = dataclasses.replace(cfg, **{section: dataclasses.replace(getattr(cfg, section), **{key: value})})
    path = tmp_path / "c.toml"
    path.write_text(dump_config(cfg))
    with pytest.raises(InputError, match=match) as exc:
        load_config(path)
    assert "c.toml" in str(exc.value)
    assert not (tmp_path / "cache").exists()


@pytest.mark.parametrize("loader", ["run", "study", "bench grid", "bench configs"])
def test_every_toml_loader_gives_the_same_clear_error(tmp_path, loader):
    from neuronstats.bench import load_configs, load_grid
    from neuronstats.study import load_study

    load = {"run": load_config, "study": load_study, "bench grid": load_grid, "bench configs": load_configs}[loader]
    with pytest.raises(InputError, match="file not found"):
        load(tmp_path / "missing.toml")
    (tmp_path / "bad.toml").write_text("seeds = [0, 1]\n[analysis\n")
    with pytest.raises(InputError, match="not valid TOML") as err:
        load(tmp_path / "bad.toml")
    assert "bad.toml" in str(err.value) and "line 2" in str(err.value)
