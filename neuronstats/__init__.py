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

import importlib  # noqa: E402
import importlib.util  # noqa: E402

# Public names and the module each lives in. They are imported on first use (PEP 562), so
# that ``import neuronstats`` and ``neuronstats --help`` do not wait for torch.
_EXPORTS = {
    "neuronstats.api": ("load", "record", "find", "sweep", "positioning", "storing", "counting", "triggering",
                        "outputting", "gates", "inputs", "analyse", "InsufficientData"),
    "neuronstats.config": ("RunConfig", "DataConfig", "ModelConfig", "TrainConfig"),
    "neuronstats.demo": ("demo_runs",),
    "neuronstats.microscope.intervene": ("Intervention", "RandomInputs"),
    "neuronstats.model.train": ("train",),
    "neuronstats.shipped": ("pretrained",),
    "neuronstats.wrap": ("from_torch", "examples_from"),
}
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}
__all__ = [*_WHERE, "__version__"]


def __getattr__(name: str):
    if name not in _WHERE:  # perhaps the verb of a finding registered at run time (neuronstats.api)
        if name.startswith("_") or importlib.util.find_spec(f"{__name__}.{name}") is not None:
            raise AttributeError(f"module 'neuronstats' has no attribute {name!r}")  # a submodule: import it
        try:
            return getattr(importlib.import_module("neuronstats.api"), name)
        except AttributeError:
            raise AttributeError(f"module 'neuronstats' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(_WHERE[name]), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_WHERE))
