"""The GPU script of the scale issue runs end to end on the CPU at a tiny size (no GPU
time is spent finding its bugs)."""

import importlib.util
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def test_paper_scale_gpu_script_trains_exports_and_reports_at_a_tiny_size(tmp_path):
    spec = importlib.util.spec_from_file_location("gpu", ROOT / "analyses" / "paper_scale_gpu.py")
    gpu = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gpu)
    assert gpu.main(["--tiny", "--out", str(tmp_path), "--seeds", "0,1", "--minutes", "1"]) == 0
    runs = pd.read_csv(tmp_path / "paper_scale_runs.csv")
    assert list(runs.name) == ["tiny-gutenberg-gru-s0", "tiny-gutenberg-gru-s1"]
    assert runs.device.str.contains("cpu").all()
    from neuronstats.model.store import find_in_store

    for key in runs.model_key:
        assert find_in_store(tmp_path / "models", key) is not None
    # the study it writes finds every model it trained in its store, by the key replicate computes
    from neuronstats.model.train import resolve_key
    from neuronstats.study import load_study

    study = load_study(tmp_path / "study.toml")
    assert study.models == str((tmp_path / "models").resolve())
    keys = [resolve_key(cfg) for *_, cfg in study.runs()]
    assert keys == list(runs.model_key)
    assert all(find_in_store(study.models, k) is not None for k in keys)
