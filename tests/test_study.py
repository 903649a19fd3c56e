import pandas as pd
import pytest

from neuronstats.errors import InputError
from neuronstats.study import load_study, run_study

STUDY = """
name = "t"
seeds = [0, 1]
cells = ["gru", "lstm"]
[analysis]
n_null = 99
[[dataset]]
name = "synthetic"
[dataset.data]
source = "synthetic"
synth_docs = 40
synth_lines_per_doc = 10
synth_vocab = 30
min_len = 3
max_len = 8
max_eval = 100
max_test = 200
[dataset.model]
emb = 16
hidden = 16
[dataset.train]
max_epochs = 2
batch_size = 32
threads = 1
"""


def test_study_writes_tables_summary_manifest_and_reruns_identically(tmp_path):
    (tmp_path / "s.toml").write_text(STUDY)
    study = load_study(tmp_path / "s.toml")
    assert len(list(study.runs())) == 4
    first = run_study(study, None, tmp_path / "out", cache_dir=tmp_path / "cache")
    for f in ("synthetic/positioning.csv", "synthetic/positioning.tex", "summary.csv", "manifest.json"):
        assert (tmp_path / "out" / f).is_file()
    assert set(first.cell) == {"gru", "lstm"} and first.p_adjusted.notna().all()
    again = run_study(study, None, tmp_path / "out2", cache_dir=tmp_path / "cache")  # all cached
    pd.testing.assert_frame_equal(first, again)


@pytest.mark.parametrize("text, match", [
    ("seeds = [0]\n", "at least two"),
    ("cells = ['rnn']\nseeds = [0, 1]\n", "cells"),
    ("seeds = [0, 1]\nbogus = 1\n", "unknown key"),
    ("seeds = [0, 1]\n", "no \\[\\[dataset\\]\\]"),
])
def test_bad_study_files(tmp_path, text, match):
    (tmp_path / "bad.toml").write_text(text)
    with pytest.raises(InputError, match=match):
        load_study(tmp_path / "bad.toml")
