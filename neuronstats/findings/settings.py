"""The settings every finding reads, defined once: :class:`FindingsConfig` (frozen; change
it with :func:`dataclasses.replace`). A study's ``[analysis]`` table extends it
(:class:`neuronstats.study.AnalysisConfig`); the API verbs take its fields as keyword
parameters (:func:`settings_from`), with the documentation written here."""

from __future__ import annotations

import dataclasses
import difflib
from dataclasses import dataclass, field

from neuronstats.errors import InputError


def _doc(default, text: str):
    return field(default=default, metadata={"doc": text})


@dataclass(frozen=True)
class FindingsConfig:
    n_units: int = _doc(10, "tokens per token-level finding: the most frequent positioned ones (the paper: 50)")
    min_examples: int = _doc(20, "correctly positioned examples a token needs in every seed to be a unit")
    n_sets: int = _doc(200, "random-neuron control sets per test")
    n_null: int = _doc(1000, "positioning: draws of the shuffled-(w, T) chance level")
    n_perm: int = _doc(1000, "probe label permutations (stage 1's null)")
    max_examples: int = _doc(1000, "examples per verification, at most (all units pooled)")
    margin: float = _doc(0.10, "equivalence margin (proportion) of the 'stays' and constant-rate claims")
    x_margin: float = _doc(0.05, "equivalence margin of 'x_t negligible' (proportion)")
    alpha: float = _doc(0.05, "significance level")
    ci_method: str = _doc("seed_t", "confidence intervals: 'seed_t' (t over seeds) or 'percentile' (bootstrap)")
    seed: int = _doc(0, "seed of every random choice of the analysis (control sets, splits, permutations)")
    split: bool = _doc(True, "choose neuron sets on one half of the test examples and test them on the other")
    all_examples: bool = _doc(False, "treat every example as positioned (the untrained baseline; not an option)")


SETTINGS = tuple(f.name for f in dataclasses.fields(FindingsConfig))
OPTIONS = tuple(s for s in SETTINGS if s != "all_examples")  # what a user sets (API keywords, study files)


def settings_doc(indent: str = "    ") -> str:
    """The numpydoc lines of every setting (for the API verbs' Parameters sections)."""
    lines = []
    for f in dataclasses.fields(FindingsConfig):
        if f.name not in OPTIONS:
            continue
        lines += [f"{f.name} : {type(f.default).__name__}, default {f.default!r}", f"{indent}{f.metadata['doc']}."]
    return "\n".join(lines)


def check_settings(options: dict, where: str = "setting") -> None:
    """One clear error for an unknown setting, naming the closest and the valid ones."""
    for key in options:
        if key not in OPTIONS:
            close = difflib.get_close_matches(key, OPTIONS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise InputError(f"unknown {where} {key!r}{hint}", expected="one of " + ", ".join(OPTIONS))


def settings_from(settings: FindingsConfig | None = None, **options) -> FindingsConfig:
    """``settings`` (default: the defaults) with ``options`` replaced, names checked."""
    check_settings(options)
    return dataclasses.replace(settings or FindingsConfig(), **options)
