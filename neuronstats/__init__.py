"""neuronstats: rigorous neuron-level analysis of recurrent seq2seq models.

Replicates and statistically tests Lee, Wu, Yang & Lin (2023), "Exposing the
functionalities of neurons for gated recurrent unit based sequence-to-sequence
model". Each verb returns plain data: a tidy DataFrame of stats rows (estimate, CI,
null, control, p, Holm-adjusted p, the paper's value), a Recording, or an Examples.

Examples
--------
Train a small model on a synthetic corpus (seconds), then test its outputting
neurons; ``load`` also takes a folder of several seeds' run folders.

>>> import tempfile, neuronstats as ns
>>> cfg = ns.RunConfig(data=ns.DataConfig(synth_docs=150, synth_vocab=40, max_len=8, max_test=300),
...                    model=ns.ModelConfig(emb=32, hidden=32), train=ns.TrainConfig(max_epochs=3, threads=1))
>>> run = ns.train(cfg, cache_dir=tempfile.mkdtemp(), progress=False)
>>> models, examples = ns.load(run.run_dir, split="test")
>>> df = ns.outputting(models, examples, n_sets=20, n_units=1, min_examples=3)
>>> row = df.iloc[0]
>>> row.finding, row.test_id, int(row.n_seeds)
('outputting', 'outputting.zero', 1)
>>> bool(df.ci_low.iloc[0] <= df.estimate.iloc[0] <= df.ci_high.iloc[0])
True
"""

__version__ = "0.2.0"

from neuronstats.api import (  # noqa: E402
    InsufficientData,
    counting,
    find,
    gates,
    inputs,
    load,
    outputting,
    positioning,
    record,
    storing,
    sweep,
    triggering,
)
from neuronstats.config import DataConfig, ModelConfig, RunConfig, TrainConfig  # noqa: E402
from neuronstats.demo import demo_runs  # noqa: E402
from neuronstats.microscope.intervene import Intervention, RandomInputs  # noqa: E402
from neuronstats.model.train import train  # noqa: E402
from neuronstats.pretrained import pretrained  # noqa: E402
from neuronstats.wrap import examples_from, from_torch  # noqa: E402

__all__ = ["load", "record", "find", "sweep", "positioning", "storing", "counting", "triggering", "outputting", "gates",
           "inputs", "train", "Intervention", "RandomInputs", "RunConfig", "DataConfig", "ModelConfig",
           "TrainConfig", "InsufficientData", "demo_runs", "pretrained", "from_torch", "examples_from",
           "__version__"]
