"""One model is a study too: a researcher's single trained model goes through every
finding, and no row has p = 0 or a zero-width CI where its statistic has sampling error;
each row says which unit of inference it used."""

import numpy as np
import pytest

import neuronstats as ns
from tests.conftest import learnable_config


@pytest.fixture(scope="module")
def one(tmp_path_factory):
    run = ns.train(learnable_config(), cache_dir=tmp_path_factory.mktemp("one"), progress=False)
    return ns.load(run.run_dir, split="test")


def test_no_row_of_a_one_model_study_has_p_zero_or_a_zero_width_ci(one):
    models, examples = one
    word = models[0].vocab_itos[examples.w[0, 0]]
    kw = dict(n_sets=20, min_examples=3)
    frames = [ns.positioning(models, examples), ns.inputs(models, examples),
              ns.storing(models, examples, tokens=[word], n_perm=49, **kw),
              ns.counting(models, examples, n_perm=49, **kw), ns.triggering(models, examples, n_perm=49, **kw),
              ns.outputting(models, examples, tokens=[word], **kw)]
    import pandas as pd

    df = pd.concat(frames, ignore_index=True)
    assert (df.n_seeds <= 1).all() and len(df) > 10
    tested = df[df.p_value.notna()]
    assert (tested.p_value > 0).all(), tested[tested.p_value <= 0][["test_id", "unit", "notes"]]
    ci = df[df.ci_low.notna() & (df.test_id != "storing.size")]  # the set size is fixed by the method
    assert (ci.ci_high > ci.ci_low).all(), ci[ci.ci_high <= ci.ci_low][["test_id", "unit", "estimate"]]
    assert df.notes.str.contains("one model").sum() >= len(tested) // 2
    assert np.isfinite(df[df.test_id == "x_t.random_inputs"].ci_low).all()  # once a traceback with one seed
