from neuronstats.data.tokenize import tokenize
from neuronstats.vocab import Vocab, position_token


def test_tokenize_words_punctuation_apostrophes_italics():
    assert tokenize("Look at her face, it's a _wonderful_ face!") == [
        "look", "at", "her", "face", ",", "it's", "a", "wonderful", "face", "!"]
    assert tokenize("Don\u2019t  stop") == ["don't", "stop"]
    assert tokenize("   ") == []
    assert tokenize("1816 -- VOLUME I") == ["1816", "-", "-", "volume", "i"]


def test_vocab_layout_and_ties_are_deterministic():
    v = Vocab.build([["b", "a", "c", "a"], ["b", "d"]], size=3, n_positions=4)
    assert v.itos[:4] == ["<pad>", "<unk>", "<sos>", "<eos>"]
    assert v.itos[4:8] == [position_token(t) for t in range(1, 5)]
    assert v.itos[8:] == ["a", "b", "c"]  # a,b twice; c before d alphabetically
    assert v.encode(["a", "zzz"]) == [8, v.unk_id]
    assert v.position_id(4) == 7
    assert Vocab.from_dict(v.to_dict()).itos == v.itos
