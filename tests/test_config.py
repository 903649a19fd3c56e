import pytest

from neuronstats.config import RunConfig, dump_config, load_config
from neuronstats.errors import InputError


def test_roundtrip_and_stable_hash(tmp_path):
    cfg = RunConfig(name="x")
    cfg.model.cell = "lstm"
    cfg.train.lr = 1e-3
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
    ("[model]\ncell = 'rnn'\n", "expected gru | lstm"),
    ("[modle]\n", "unknown section"),
    ("[model\n", "not valid TOML"),
])
def test_bad_config_is_one_clear_error_naming_the_file(tmp_path, text, match):
    p = tmp_path / "bad.toml"
    p.write_text(text)
    with pytest.raises(InputError, match=match) as exc:
        load_config(p)
    assert "bad.toml" in str(exc.value)
