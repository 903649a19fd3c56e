"""A NeuronSet: the neurons found for one hypothesis (and unit), with provenance."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

import numpy as np

from neuronstats.stages.attribution import stage2
from neuronstats.stages.candidates import stage1


@dataclass
class NeuronSet:
    hypothesis: dict  # name and parameters (e.g. token)
    neurons: list  # the filtered set (stage 2 output)
    candidates: list  # stage 1 output
    sizes: dict  # neurons per stage
    stage1: dict  # probe scores and tests
    stage2: dict  # attribution summary
    attribution: list = field(default_factory=list)  # mean |IG| per neuron
    model: str = ""  # model file / config hash
    seed: int = 0

    def __repr__(self) -> str:
        """The hypothesis, the set's size at each stage, the probe's test and the first
        neurons: never the per-neuron lists in full.

        Examples
        --------
        >>> NeuronSet({"name": "storing", "token": 5}, [3, 17, 42], list(range(8)), {"hidden": 128},
        ...           {"heldout_accuracy": 0.97, "null_mean": 0.5, "p_value": 0.001}, {})
        NeuronSet(storing, token=5: 3 of 128 neurons (8 candidates after stage 1); held-out probe 97.0 %
                  vs its null 50.0 %, p 0.001; neurons 3, 17, 42)
        """
        params = ", ".join(f"{k}={v}" for k, v in self.hypothesis.items() if k not in ("name", "lo", "hi", "attr_step"))
        head = str(self.hypothesis.get("name", "?")) + (f", {params}" if params else "")
        hidden = self.sizes.get("hidden", "?")
        probe = ""
        if "heldout_accuracy" in self.stage1:
            s1 = self.stage1
            probe = (f"; held-out probe {100 * s1['heldout_accuracy']:.1f} % vs its null "
                     f"{100 * s1.get('null_mean', float('nan')):.1f} %, p {s1.get('p_value', float('nan')):.3g}")
        shown = ", ".join(str(n) for n in self.neurons[:10]) + (", ..." if len(self.neurons) > 10 else "")
        return (f"NeuronSet({head}: {len(self.neurons)} of {hidden} neurons ({len(self.candidates)} candidates after "
                f"stage 1){probe}; neurons {shown or 'none'})")

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1, default=lambda o: o.tolist() if isinstance(o, np.ndarray) else o)

    @classmethod
    def load(cls, path) -> "NeuronSet":
        with open(path) as fh:
            return cls(**json.load(fh))


def find(model, rec, hypothesis, n_candidates=None, keep: float = 0.5, n_perm: int = 1000, max_states: int = 5000,
         ig_examples: int = 500, n_steps: int = 50, seed: int = 0, model_id: str = "") -> NeuronSet:
    """Stages 1–2 for one hypothesis on one recording → NeuronSet."""
    X, y, groups, t, types = hypothesis.data(rec)
    s1 = stage1(X, y, groups, types, n_candidates=n_candidates, max_states=max_states, n_perm=n_perm, seed=seed,
                t=t, T=rec.T[groups, 0])
    eligible = np.flatnonzero(rec.correct)
    if hypothesis.params.get("token") is not None:  # attribute on examples positioning that token
        eligible = eligible[rec.w[eligible, 0] == hypothesis.params["token"]]
    rng = np.random.default_rng(seed)
    if len(eligible) > ig_examples:
        eligible = np.sort(rng.choice(eligible, ig_examples, replace=False))
    s2 = stage2(model, rec, s1.candidates, eligible, hypothesis.attr_step, keep=keep, n_steps=n_steps)
    d1 = {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in asdict(s1).items()
          if k not in ("candidates", "ranking", "null", "null_b")}
    d2 = {"median_rel_delta": s2.median_rel_delta, "n_examples": s2.n_examples, "n_steps": s2.n_steps,
          "baseline": s2.baseline, "keep": keep}
    ns = NeuronSet(hypothesis.describe(), s2.kept.tolist(), s1.candidates.tolist(),
                   {"hidden": int(X.shape[1]), "candidates": len(s1.candidates), "filtered": len(s2.kept)},
                   d1, d2, s2.mean_abs_attribution.tolist(), model_id, seed)
    ns.probe_null = s1.null  # kept in memory for seed-combined tests; not serialised
    ns.probe_b = (s1.heldout_accuracy_b, s1.null_b)  # the second test of an intersection-union probe (or Nones)
    return ns


def outputting_set(model, rec, token: int, fraction: float = 0.2) -> np.ndarray:
    """The paper's outputting set for ``token``: the top ``fraction`` of neurons by mean
    contribution h_T[j]·W[token, j] to the token's logit, over the recording's correctly
    positioned examples of that token (no probe or attribution stage: the paper selects
    them this way)."""
    ex = np.flatnonzero(rec.correct & (rec.w[:, 0] == token))
    hT = rec.at(ex, rec.T[ex, 0])
    contrib = (hT * model.out.weight[token].detach().numpy()).mean(0)
    k = max(1, int(round(fraction * hT.shape[1])))
    return np.sort(np.argsort(-contrib, kind="stable")[:k])
