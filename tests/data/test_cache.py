"""The prepared-data cache: keyed by corpus content and the shaping config; a hit gives
the same arrays; an edited corpus misses."""

import numpy as np

from neuronstats.config import DataConfig
from neuronstats.data.cache import cache_root, data_key, prepare


def test_cache_hit_gives_the_same_arrays_and_an_edit_misses(tmp_path, monkeypatch):
    corpus = tmp_path / "data" / "poems.txt"
    corpus.parent.mkdir()
    corpus.write_text("".join(f"line {i} of poem {d} here\nand line {i + 1} of poem {d} too\n\n"
                              for d in range(12) for i in range(3)))
    cfg = DataConfig(source="text", path="poems.txt", min_len=3, max_len=10)
    built = prepare(cfg, tmp_path / "data", cache_dir=tmp_path / "cache")
    folder = tmp_path / "cache" / "data" / built.key
    assert (folder / "meta.json").is_file()
    loaded = prepare(cfg, tmp_path / "data", cache_dir=tmp_path / "cache")
    assert loaded.key == built.key and loaded.vocab.itos == built.vocab.itos
    for split in ("train", "val", "test"):
        assert all(np.array_equal(a, b) for a, b in zip(loaded.pairs[split], built.pairs[split]))
    assert np.array_equal(loaded.flat, built.flat)
    # n_tokens and the corpus folder do not shape the arrays: same key; the content does
    assert data_key(DataConfig(**{**cfg.__dict__, "n_tokens": 2}), tmp_path / "data") == built.key
    corpus.write_text(corpus.read_text().replace("poem 3", "song 3"))
    assert data_key(cfg, tmp_path / "data") != built.key


def test_cache_root_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("NEURONSTATS_CACHE", str(tmp_path / "x"))
    assert cache_root() == tmp_path / "x"
    monkeypatch.delenv("NEURONSTATS_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_root() == tmp_path / "xdg" / "neuronstats"
    assert cache_root(tmp_path / "given") == tmp_path / "given"
