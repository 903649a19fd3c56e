import dataclasses
from pathlib import Path

import pytest

from neuronstats.config import DataConfig, ModelConfig, RunConfig, TrainConfig

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory):
    """Tests never read or write the user's cache (~/.cache/neuronstats)."""
    mp = pytest.MonkeyPatch()
    mp.setenv("NEURONSTATS_CACHE", str(tmp_path_factory.mktemp("cache")))
    yield
    mp.undo()


@pytest.fixture
def shared_data():
    if not (SHARED_DATA / "gutenberg").is_dir():
        pytest.skip(f"real corpora not found at {SHARED_DATA} (CI always has them)")
    return SHARED_DATA


def tiny_config(**train) -> RunConfig:
    """A model that trains in about a second on a small synthetic corpus."""
    return RunConfig(
        name="tiny",
        data=DataConfig(source="synthetic", synth_docs=40, synth_lines_per_doc=10, synth_vocab=30,
                        min_len=3, max_len=8, max_eval=100, max_test=100),
        model=ModelConfig(cell=train.pop("cell", "gru"), emb=16, hidden=16),
        train=TrainConfig(**{"max_epochs": 2, "batch_size": 32, "threads": 1, **train}),
    )


def learnable_config(**train) -> RunConfig:
    """A small synthetic model that positions well above chance in a few seconds."""
    cfg = tiny_config(**{"max_epochs": 6, **train})
    return dataclasses.replace(
        cfg, name="learn", model=dataclasses.replace(cfg.model, hidden=48, emb=48),
        data=DataConfig(source="synthetic", synth_docs=300, synth_lines_per_doc=20, synth_vocab=60, max_len=10,
                        max_eval=500, max_test=500))


def write_grid(path: Path, cfg: RunConfig, runs: str) -> Path:
    """A bench grid file: ``cfg`` as its [defaults] and ``runs`` (its [[run]] tables) after it."""
    from neuronstats.config import dump_config

    body = dump_config(cfg).split("\n", 1)[1]  # without the config's own name line
    for section in ("data", "model", "train"):
        body = body.replace(f"[{section}]", f"[defaults.{section}]")
    path.write_text(body + "\n" + runs)
    return path
