"""Stage 3 — verify: the hypothesis' interventions on the found set S, and the same
interventions on random sets of |S| neurons (drawn from all neurons) as the control.

Each verification names the intervention, the outcome that confirms the function, and
the claim's kind: ``effect`` (S should do it more often than random sets: one-sided
random-neuron test) or ``stays`` (behaviour should stay as it was: the control shows
whether random sets would keep it too; equivalence is tested by the findings layer).

* storing: zero S at T−1 → w no longer at T (effect); S at T−1 from T−2 → w still at T (stays)
* counting k: S at T−1 from T−1−k → w moves exactly k steps later (effect)
* triggering k: S at T−1−k from T−1 → w comes out k steps earlier (effect)
* outputting: zero S at T → w not at T (effect); keep only S at T → w still at T (stays)
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from neuronstats.microscope.intervene import Intervention, Outcome, run, sweep
from neuronstats.stats.controls import ControlTest, control_sets, random_control_test


@dataclass(frozen=True)
class Verification:
    name: str
    spec: Intervention  # neurons filled in per set
    outcome: Outcome
    claim: str  # effect | stays
    min_T: int = 1  # examples need T >= min_T for the steps to exist


def verifications(hypothesis: str, ks=(1, 2, 3)) -> list[Verification]:
    if hypothesis == "storing":
        return [Verification("zero at T-1", Intervention("T-1", "zero"), Outcome("not_at_T"), "effect", 1),
                Verification("previous value at T-1", Intervention("T-1", "from_step", source_offset=-1),
                             Outcome("at_T"), "stays", 2)]
    if hypothesis == "counting":
        return [Verification(f"value from t-{k} at T-1", Intervention("T-1", "from_step", source_offset=-k),
                             Outcome("moved", k), "effect", 1 + k) for k in ks]
    if hypothesis == "triggering":
        return [Verification(f"T-1 value at T-1-{k}", Intervention(f"T-{1 + k}", "from_step", source="T-1"),
                             Outcome("moved", -k), "effect", 1 + k) for k in ks]
    if hypothesis == "outputting":
        return [Verification("zero at T", Intervention("T", "zero"), Outcome("not_at_T"), "effect", 1),
                Verification("keep only at T", Intervention("T", "keep_only"), Outcome("at_T"), "stays", 1)]
    raise ValueError(f"no built-in verifications for hypothesis {hypothesis!r}")


@dataclass
class VerifyResult:
    verification: Verification
    examples: np.ndarray  # indices (into the examples given) that were eligible
    tested: np.ndarray = field(repr=False)  # (m,) bool: outcome for S
    control: np.ndarray = field(repr=False)  # (m, n_sets) bool: outcome for each random set
    clean: np.ndarray = field(repr=False)  # (m,) bool: outcome with no intervention
    test: ControlTest = None

    @property
    def rate(self) -> float:
        return float(self.tested.mean())


def verify(model, ex, neurons, hypothesis: str, n_sets: int = 200, seed: int = 0, clean_correct=None,
           ks=(1, 2, 3), batch: int = 8192) -> list[VerifyResult]:
    """Run every verification of ``hypothesis`` on set ``neurons`` and ``n_sets`` random
    sets; examples are restricted to those positioned correctly without intervention."""
    if clean_correct is None:
        clean_correct = run(model, ex, [()], extra_steps=1).at_T[:, 0]
    out = [verify_one(model, ex, neurons, v, n_sets, seed, clean_correct, batch)
           for v in verifications(hypothesis, ks)]
    return [r for r in out if r is not None]


def verify_one(model, ex, neurons, v: Verification, n_sets: int = 200, seed: int = 0, clean_correct=None,
               batch: int = 8192) -> VerifyResult | None:
    """One verification ``v`` (any intervention and outcome, e.g. a variant of a built-in
    one) on set ``neurons`` and ``n_sets`` random sets of the same size; None when no
    correctly positioned example has the steps it needs."""
    neurons = tuple(int(i) for i in neurons)
    sets = control_sets(model.hidden, neurons, n_sets, seed=seed)
    if clean_correct is None:
        clean_correct = run(model, ex, [()], extra_steps=1).at_T[:, 0]
    T = ex.T[:, 0]
    keep = np.flatnonzero(clean_correct & (T >= v.min_T))
    if len(keep) == 0:
        return None
    sub = ex.subset(keep)
    conds = [(), (dataclasses.replace(v.spec, neurons=neurons),)] + sweep((v.spec,), sets)
    out = run(model, sub, conds, extra_steps=v.outcome.extra_steps, batch=batch, p_w=False, decided=v.outcome)
    res = v.outcome.of(out)
    alternative = "greater" if v.claim == "effect" else "two-sided"
    test = random_control_test(res[:, 1].mean(), res[:, 2:].mean(0), alternative)
    return VerifyResult(v, keep, res[:, 1], res[:, 2:], res[:, 0], test)
