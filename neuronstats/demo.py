"""Small trained models to try the API on, and that its examples run on: GRUs (or LSTMs)
trained in seconds on the built-in synthetic corpus (word ``sK`` has Zipf frequency rank
K). They are cached like any model, so the second call only loads them."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from neuronstats.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from neuronstats.model.train import train

DEMO = RunConfig(
    name="demo",
    data=DataConfig(source="synthetic", synth_docs=300, synth_lines_per_doc=20, synth_vocab=60, min_len=3,
                    max_len=10, max_eval=500, max_test=500),
    model=ModelConfig(cell="gru", emb=48, hidden=48),
    train=TrainConfig(max_epochs=6, batch_size=32, threads=1),
)


def demo_runs(seeds: int = 1, cell: str = "gru", cache_dir=None) -> list[Path]:
    """Run folders of ``seeds`` demo models (seeds 0 .. seeds−1), trained now (a few
    seconds each) or found in the cache. Pass them to :func:`neuronstats.load`.

    Examples
    --------
    >>> import neuronstats as ns
    >>> runs = ns.demo_runs(seeds=2)
    >>> models, examples = ns.load(runs, split="test")
    >>> len(models), models[0].cell, len(examples)
    (2, 'gru', 500)
    """
    runs = []
    for seed in range(seeds):
        cfg = dataclasses.replace(DEMO, model=dataclasses.replace(DEMO.model, cell=cell),
                                  train=dataclasses.replace(DEMO.train, seed=seed))
        runs.append(train(cfg, cache_dir=cache_dir, progress=False).run_dir)
    return runs
