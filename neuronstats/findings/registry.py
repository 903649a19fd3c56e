"""The findings the package knows: one line each, the finding's name and the module that
declares it (``FINDING = Finding(...)`` at its end, :mod:`neuronstats.findings.spec`).

Adding a finding is one module and one line here (or :func:`register` at run time, e.g.
for a finding of your own). Names are known without importing any module (a study file
is checked before torch loads); a finding's module is imported when it is first used.
"""

from __future__ import annotations

import importlib

from neuronstats.findings.spec import Finding

MODULES = {
    "positioning": "neuronstats.findings.positioning",
    "storing": "neuronstats.findings.storing",
    "counting": "neuronstats.findings.counting",
    "triggering": "neuronstats.findings.triggering",
    "outputting": "neuronstats.findings.outputting",
    "x_t negligible": "neuronstats.findings.inputs",
    "gates": "neuronstats.findings.gates",
}
ALWAYS = ("positioning",)  # run in every study: every other finding's examples depend on it

_registered: dict[str, Finding] = {}


def names() -> list[str]:
    """Every finding's name, in the paper's order (registered ones last)."""
    return [*MODULES, *(n for n in _registered if n not in MODULES)]


def optional_names() -> list[str]:
    """The findings a study file may choose (every one but those always run)."""
    return [n for n in names() if n not in ALWAYS]


def get(name: str) -> Finding:
    """The finding called ``name`` (its module imported on first use)."""
    if name in _registered:
        return _registered[name]
    if name not in MODULES:
        raise KeyError(f"no finding {name!r}: known findings are {', '.join(map(repr, names()))}")
    finding = importlib.import_module(MODULES[name]).FINDING
    if finding.name != name:
        raise ValueError(f"{MODULES[name]} declares the finding {finding.name!r}, registered as {name!r}")
    return finding


def all_findings() -> list[Finding]:
    return [get(n) for n in names()]


def by_verb(verb: str) -> Finding | None:
    """The finding whose API verb is ``verb`` (importing every finding module), or None."""
    return next((f for f in all_findings() if f.verb == verb), None)


def resolve(ref):
    """A callable, or the one a dotted path ``"package.module:function"`` names."""
    if callable(ref):
        return ref
    module, _, name = str(ref).partition(":")
    return getattr(importlib.import_module(module), name)


def register(finding: Finding) -> Finding:
    """Add a finding at run time (the registry line of a finding that lives outside the
    package). Its name must be new."""
    if finding.name in MODULES or finding.name in _registered:
        raise ValueError(f"a finding called {finding.name!r} is already registered")
    _registered[finding.name] = finding
    return finding


def unregister(name: str) -> None:
    """Remove a finding added with :func:`register`."""
    _registered.pop(name, None)
