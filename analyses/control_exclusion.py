"""Type I error of random-neuron control tests when the controls exclude the tested set
vs when they are drawn from all neurons (the package's policy, ``control_sets``).

python analyses/control_exclusion.py      (about 6 minutes on 2 CPU cores)

Untrained GRU (the synthetic test config, h = 48, two seeds); a "tested" set drawn at
random (so H0 holds); monotonicity and stability statistics of that set against 99
control sets, combined over the two seeds as the findings do; 400 draws per setting.
Prints the share of draws with p <= 0.05.
"""

import numpy as np

from neuronstats.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from neuronstats.data.cache import prepare
from neuronstats.findings.common import combined_test
from neuronstats.findings.counting import monotonicity
from neuronstats.findings.storing import stability
from neuronstats.microscope.record import record
from neuronstats.model.train import heldout_examples, untrained_models
from neuronstats.stats.controls import random_neuron_sets


def _untrained(seeds=(0, 1)):
    """Untrained GRUs (h = 48) and synthetic test examples."""
    cfg = RunConfig(data=DataConfig(synth_docs=300, synth_lines_per_doc=20, synth_vocab=60, max_len=10,
                                    max_eval=500, max_test=500),
                    model=ModelConfig(emb=48, hidden=48), train=TrainConfig(threads=1))
    ds = prepare(cfg.data, cache_dir=False)
    return untrained_models(cfg, len(ds.vocab), seeds), heldout_examples(ds, cfg)


models, ex = _untrained()
recs = [record(m, ex.subset(np.arange(300))) for m in models]
H, idx = models[0].hidden, np.arange(300)
signed = [monotonicity(r, idx) for r in recs]
print("controls          size  monotone  stable   (share of 400 draws with p <= 0.05)")
for exclude in (True, False):
    for size in (8, 4):
        rng = np.random.default_rng(1)
        p = {"monotone": [], "stable": []}
        for _ in range(400):
            vals = {k: ([], []) for k in p}
            for s, rec in enumerate(recs):
                S = np.sort(rng.choice(H, size, replace=False))
                sets = random_neuron_sets(H, size, 99, exclude=S if exclude else None, seed=int(rng.integers(2**31)))
                rho = np.abs(signed[s])
                vals["monotone"][0].append(rho[:, S].mean(1))
                vals["monotone"][1].append(np.array([rho[:, r].mean() for r in sets]))
                sd = stability(rec, idx, [S] + list(sets))
                vals["stable"][0].append(sd[0])
                vals["stable"][1].append(sd[1:].mean(1))
            for k, alt in (("monotone", "greater"), ("stable", "less")):
                p[k].append(combined_test(dataset="u", cell="gru", finding="f", test=k, test_id=f"f.{k}", unit="u",
                                          statistic="s", per_seed_values=vals[k][0], per_seed_null=vals[k][1],
                                          alternative=alt, bounds=None).to_row()["p_value"])
        rates = {k: np.mean(np.array(v) <= 0.05) for k, v in p.items()}
        print(f"{'exclude tested' if exclude else 'all neurons':16s}  {size:4d}  {rates['monotone']:8.3f}  "
              f"{rates['stable']:6.3f}")
