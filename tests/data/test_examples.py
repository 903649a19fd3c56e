import numpy as np
import pytest

from neuronstats.config import DataConfig
from neuronstats.data.cache import prepare
from neuronstats.data.corpora import Document
from neuronstats.data.examples import (
    Pair,
    assert_no_leak,
    make_examples,
    make_pairs,
    split_pairs,
)
from neuronstats.errors import InputError
from neuronstats.vocab import Vocab


def test_pairs_are_consecutive_nonempty_bounded_and_deduplicated():
    doc = Document("d", ("a b c", "d e f", "", "g h i", "j k", "a b c", "d e f", "x y z w v u"))
    pairs = make_pairs([doc], min_len=3, max_len=5)
    assert [(p.src, p.tgt) for p in pairs] == [(("a", "b", "c"), ("d", "e", "f"))]


def test_split_is_by_document_and_leak_free():
    pairs = [Pair(f"doc{d}", (f"s{d}{i}",), (f"t{d}{i}",)) for d in range(20) for i in range(5)]
    pairs.append(Pair("doc0", ("chorus",), ("again",)))
    pairs += [Pair(f"doc{d}", ("chorus",), ("again",)) for d in range(1, 20)]
    s = split_pairs(pairs, 0.1, 0.2, seed=0)
    assert [len({p.doc_id for p in s[k]}) for k in ("train", "val", "test")] == [14, 2, 4]
    docs = [{p.doc_id for p in v} for v in s.values()]
    assert sum(len(d) for d in docs) == 20 and not (docs[0] & docs[1]) and not (docs[0] & docs[2])
    keys = [{(p.src, p.tgt) for p in v} for v in s.values()]
    assert sum(k == ("chorus",) for k, _ in keys[0] | keys[1] | keys[2]) == 1  # chorus kept once
    assert_no_leak(s)
    with pytest.raises(AssertionError):
        assert_no_leak({"train": [pairs[0]], "test": [pairs[0]]})


def test_examples_append_w_and_position_and_drop_unk():
    v = Vocab.build([["a", "b", "c", "d"]], size=4, n_positions=5)
    src = [v.encode(["a", "b"])] * 50
    tgt = [v.encode(["c", "d", "zzz"])] * 50  # position 3 is <unk>
    ex = make_examples(src, tgt, v, 1, np.random.default_rng(0))
    assert ex.n_dropped_unk + len(ex) == 50 and 5 < ex.n_dropped_unk < 30
    for i in range(len(ex)):
        T, w = ex.T[i, 0], ex.w[i, 0]
        assert ex.tgt[i, T - 1] == w
        assert list(ex.src[i, : ex.src_len[i]]) == src[0] + [w, v.position_id(T)]
        assert ex.tgt[i, ex.tgt_len[i] - 1] == v.eos_id


def test_multi_token_examples_have_distinct_sorted_positions():
    v = Vocab.build([list("abcdefgh")], size=8, n_positions=8)
    ids = v.encode(list("abcdefgh"))
    ex = make_examples([ids[:3]] * 20, [ids] * 20, v, 3, np.random.default_rng(0))
    assert ex.T.shape == (20, 3)
    assert (np.diff(ex.T, axis=1) > 0).all()
    assert (ex.tgt[np.arange(20)[:, None], ex.T - 1] == ex.w).all()
    assert (ex.src_len == 3 + 6).all()


def test_prepare_synthetic_and_missing_path_error():
    ds = prepare(DataConfig(synth_docs=30, synth_lines_per_doc=6, synth_vocab=40))
    src, tgt = ds.pairs["train"]
    train_words = {t for line in np.concatenate([src, tgt]) for t in ds.tokens(line)}
    assert len(ds.vocab) == 4 + 20 + len(train_words) and len(train_words) <= 40
    splits = {s: [Pair(s, tuple(ds.tokens(a)), tuple(ds.tokens(b))) for a, b in zip(*ds.pairs[s])]
              for s in ds.pairs}
    assert_no_leak(splits)  # no (src, tgt) pair on two sides
    with pytest.raises(InputError, match="needs data.path"):
        prepare(DataConfig(source="lyrics"))


def test_real_corpora_statistics(shared_data):
    g = prepare(DataConfig(source="gutenberg", path="gutenberg", chunk_lines=200), shared_data).summary()
    assert 80_000 < g["train_pairs"] + g["val_pairs"] + g["test_pairs"] < 100_000
    assert 11 < g["mean_tgt_len"] < 13
    ly = prepare(DataConfig(source="lyrics", path="lyrics"), shared_data).summary()
    assert 15_000 < ly["train_pairs"] + ly["val_pairs"] + ly["test_pairs"] < 25_000


def _poems(path, n_docs=30, long_lines=8):
    """Documents of two short lines then ``long_lines`` lines of 15 words."""
    text = ""
    for d in range(n_docs):
        text += f"short line {d} here\nanother short one {d}\n"
        text += "".join(" ".join(f"w{d}x{i}y{j}" for j in range(15)) + "\n" for i in range(long_lines)) + "\n"
    path.write_text(text)
    return path


def test_preparation_warns_when_a_setting_drops_most_of_the_corpus(tmp_path):
    _poems(tmp_path / "poems.txt")
    cfg = DataConfig(source="text", path="poems.txt", min_len=3, max_len=10)
    with pytest.warns(UserWarning) as caught:
        ds = prepare(cfg, tmp_path, cache_dir=False)
    msg = " ".join(str(w.message) for w in caught)
    assert "poems.txt: data.max_len = 10 drops 80 % of the corpus's 300 non-empty lines (longer than 10 tokens)" in msg
    assert "of its 270 pairs of consecutive lines, 30 have both lines kept (89 % dropped" in msg
    assert ds.stats["lines_too_long"] == 240 and ds.n_pairs("train") + ds.n_pairs("val") + ds.n_pairs("test") == 30
    # the same corpus with lines of up to 15 tokens kept: nothing to say
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        prepare(DataConfig(source="text", path="poems.txt", min_len=3, max_len=15), tmp_path, cache_dir=False)
    assert not [w for w in caught if "poems.txt" in str(w.message)]


def test_examples_print_counts_shapes_and_words_not_arrays():
    v = Vocab.build([["the", "cat", "sat", "on", "a", "mat"]], size=10, n_positions=6)
    src = [v.encode("the cat sat".split())] * 5
    tgt = [v.encode("on a mat".split())] * 5
    ex = make_examples(src, tgt, v, 1, np.random.default_rng(0))
    text = repr(ex)
    assert "array(" not in text and text.startswith("Examples: 5 examples, 1 (w, T) pair each; T ")
    assert "src (5, 5)" in text and "on a mat" not in text  # no vocabulary at hand: no words
    ex.vocab_itos = v.itos
    text = repr(ex.subset([0, 1, 2, 3]))  # a subset keeps the vocabulary
    assert "[0] the cat sat → on a mat   (w = " in text and "... 1 more" in text and len(text.splitlines()) == 6
