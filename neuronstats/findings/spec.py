"""What a finding declares about itself: its name, the API verb that runs it, the
hypotheses it finds neurons for, the interventions that verify them, the tests (stats
row ids) it writes, the paper's claims those tests check, and its figures.

Every finding module ends with one ``FINDING = Finding(...)``; the registry
(:mod:`neuronstats.findings.registry`) lists the modules, and the study, the CLI and the
API are generated from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Figure:
    """One figure of a finding: written as ``<stem>_<cell>.png``; ``data`` names the key of
    the finding's figure data it draws (``"rows"``: drawn from the finding's stats rows);
    ``caption`` says what a reader should look for; ``draw`` is the function that draws it,
    ``draw(data, stem, title, vocab=...)``, or its dotted path (``"package.module:function"``,
    imported only when a report is written)."""

    stem: str
    data: str
    title: str
    caption: str
    draw: object


@dataclass(frozen=True)
class Finding:
    """A finding: ``run(ctx, **options) -> FindingResult`` and what it declares."""

    name: str  # as in a study file and in the rows' ``finding`` column
    verb: str  # the API verb: ``neuronstats.<verb>(models, examples, ...)``
    run: Callable
    summary: str = ""
    hypotheses: tuple = ()  # names of neuronstats.stages.hypothesis.BUILTIN it finds sets for
    verifications: tuple = ()  # the interventions, in words
    tests: tuple = ()  # the test ids of its stats rows
    claims: tuple = ()  # the claim ids (neuronstats/claims.csv) its tests check
    figures: tuple = ()  # Figure specs
    token_level: bool = False  # one unit per token (takes ``tokens=``)
    gates: tuple = ()  # gate names it reads (a cell without them cannot run it)
    version: int = 0  # bumped when this finding's code changes its rows: only its cached results are recomputed
