"""The public surface: its doctests run, and a storing test is five lines away."""

import doctest

import neuronstats


def test_public_doctests_run():
    result = doctest.testmod(neuronstats, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted >= 7


def test_storing_in_five_lines_with_words_and_one_seed(tmp_path):
    import neuronstats as ns
    from tests.conftest import learnable_config

    run = ns.train(learnable_config(), cache_dir=tmp_path, progress=False)
    models, examples = ns.load(run.run_dir, split="test")
    word = models[0].vocab_itos[examples.w[0, 0]]
    df = ns.storing(models, examples, tokens=[word], n_perm=49, n_sets=20, min_examples=3)
    assert set(df.finding) == {"storing"} and (df.n_seeds <= 1).all()
    assert df.unit.str.contains(repr(word)).any()
    assert ns.sweep(models[0], examples, ns.Intervention(step="T", op="zero")).accuracy.iloc[1] < 0.5
