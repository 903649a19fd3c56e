"""Train the paper-scale GRUs (analyses/paper_scale.toml: vocabulary 20k, every line pair
of the Lahiri Gutenberg zip) on a GPU, and bring them back as a model store.

    python analyses/paper_scale_gpu.py --data-dir DATA --out OUT [--seeds 0,1,2] [--minutes 3]
    python -m neuronstats replicate OUT/study.toml --out OUT/results --data-dir DATA   # back on the CPU
    python analyses/paper_scale_gpu.py --tiny --out /tmp/x     # the same path on the CPU, in seconds

Each model trains with ``train.device = "auto"`` (CUDA when present) and a wall-clock
budget per model (``--minutes``: the lent GPU time is short, so these are the paper's
data and vocabulary at a budget, not the paper's training), is exported into
``OUT/models`` (safetensors + manifest, :mod:`neuronstats.model.store`), and its facts go
to ``OUT/paper_scale_runs.csv``. The budget is part of each model's key, so the script
also writes ``OUT/study.toml``: paper_scale.toml's analysis and Gutenberg GRU recipe at
that budget and those seeds, with ``OUT/models`` as its store, in which ``neuronstats
replicate`` finds every model it trained by content key (and trains none). ``--tiny``
swaps the corpus for a small synthetic one and one epoch, to test this script where no
GPU is.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from neuronstats.config import DataConfig, dump_config  # noqa: E402
from neuronstats.model.store import export_model  # noqa: E402
from neuronstats.model.train import train  # noqa: E402
from neuronstats.study import load_study  # noqa: E402


def configs(seeds, tiny: bool, minutes: float):
    study = load_study(ROOT / "analyses" / "paper_scale.toml")
    for seed in seeds:
        cfg = study.config("gutenberg", "gru", seed)
        cfg = dataclasses.replace(cfg, train=dataclasses.replace(cfg.train, device="auto", max_minutes=minutes))
        if tiny:
            cfg = dataclasses.replace(
                cfg, name=f"tiny-{cfg.name}",
                data=DataConfig(source="synthetic", synth_docs=60, synth_vocab=30, max_len=8, max_test=100),
                model=dataclasses.replace(cfg.model, emb=16, hidden=16),
                train=dataclasses.replace(cfg.train, max_epochs=1, threads=1))
        yield cfg


def study_text(cfg, seeds) -> str:
    """A study file for the trained models: paper_scale.toml's [analysis] and this run's
    Gutenberg GRU recipe (its budget included), the trained seeds, ``models`` as its store."""
    text = (ROOT / "analyses" / "paper_scale.toml").read_text()
    analysis = text[text.index("[analysis]"):text.index("[[dataset]]")].strip()  # verbatim, comments too
    body = dump_config(cfg).split("\n", 1)[1]  # the recipe without its run name
    for section in ("data", "model", "train"):
        body = body.replace(f"\n[{section}]", f"\n[dataset.{section}]")
    return "\n".join([
        "# Written by analyses/paper_scale_gpu.py: the models it trained, found in ./models by content key.",
        'name = "paper_scale_gpu"', f"seeds = {list(seeds)}", 'cells = ["gru"]', 'models = "models"', "",
        analysis,
        "", "[[dataset]]", 'name = "gutenberg"', 'paper = "gutenberg"', body])


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data-dir", default=str(ROOT.parent / "shared" / "data"))
    p.add_argument("--out", required=True)
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--minutes", type=float, default=3.0, help="training budget per model (wall clock)")
    p.add_argument("--tiny", action="store_true", help="a small synthetic corpus and one epoch (a CPU test)")
    a = p.parse_args(argv)
    out = Path(a.out)
    rows = []
    for cfg in configs([int(s) for s in a.seeds.split(",")], a.tiny, a.minutes):
        t0 = time.perf_counter()
        res = train(cfg, data_dir=a.data_dir, cache_dir=out / "cache", progress=False)
        entry = export_model(res.run_dir, out / "models", cfg.name)
        rows.append({"name": cfg.name, "seed": cfg.train.seed, "device": res.device, "epochs": len(res.history),
                     "stopped": res.stopped,
                     "train_minutes": res.train_seconds / 60, "wall_minutes": (time.perf_counter() - t0) / 60,
                     "test_accuracy": res.test["accuracy"], "vocab": len(res.vocab), "model_key": entry["model_key"]})
        print(rows[-1], flush=True)
        pd.DataFrame(rows).to_csv(out / "paper_scale_runs.csv", index=False)  # after every model: a cut run keeps
        (out / "study.toml").write_text(study_text(cfg, [r["seed"] for r in rows]))  # the seeds trained so far
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
