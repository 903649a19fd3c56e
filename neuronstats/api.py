"""The public surface: a few verbs from a trained model (or several seeds) to a tidy
DataFrame of stats rows, each with its null, CI and control. Re-exported by
``import neuronstats as ns``; see that module's docstring for a worked example.

Every finding verb takes ``models`` (one or more seeds of the same data and vocabulary)
and ``examples`` (:func:`load` gives both) and returns a DataFrame of stats rows
(:data:`neuronstats.stats.row.COLUMNS`), Holm-corrected within each test's family. One
seed works: the rows then say that their CI has no between-seed term.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import os
from pathlib import Path

import numpy as np
import pandas as pd

from neuronstats.errors import InputError, InsufficientData  # noqa: F401 (re-exported)
from neuronstats.findings import registry
from neuronstats.findings.context import Context
from neuronstats.findings.settings import OPTIONS, FindingsConfig, check_settings, settings_doc, settings_from
from neuronstats.microscope.intervene import Intervention, fitting_examples, run
from neuronstats.microscope.intervene import sweep as expand
from neuronstats.microscope.record import record as _record
from neuronstats.model.files import model_file
from neuronstats.paper import with_paper_values
from neuronstats.shipped import model_with_examples
from neuronstats.stages.hypothesis import BUILTIN
from neuronstats.stages.neuronset import NeuronSet, outputting_set
from neuronstats.stages.neuronset import find as _find
from neuronstats.stats.controls import control_sets, random_control_test
from neuronstats.stats.multitest import correct
from neuronstats.stats.row import rows_to_frame


def _model_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if (found := model_file(path)) is not None:
        return [found]
    files = [f for d in sorted(p for p in path.glob("*") if p.is_dir()) if (f := model_file(d)) is not None]
    if not files:
        raise InputError("no model here", path=path,
                         expected="a model.json, a run folder, or a folder of run folders")
    return files


def load(path, split: str = "test", data_dir=None, limit: int | None = None, cache_dir=None):
    """Trained models and the examples they are analysed on.

    Parameters
    ----------
    path : a ``model.json`` (or legacy ``model.pt``), a run folder holding one, a folder of run folders, or a list of
        any of these (the seeds of one configuration: they must share their data and
        vocabulary).
    split : "test" (the held-out examples every seed is scored on), "val" or "train".
    data_dir : folder the config's corpus path is relative to.
    limit : keep the first ``limit`` examples.

    Returns
    -------
    (models, examples) : a list of ``Seq2Seq`` (eval mode; each carries ``.vocab_itos``)
        and one :class:`~neuronstats.data.examples.Examples`.

    Examples
    --------
    >>> import neuronstats as ns
    >>> models, examples = ns.load(ns.demo_runs(seeds=2), split="test", limit=200)
    >>> len(models), len(examples), examples.w.shape
    (2, 200, (200, 1))
    """
    models, examples, first = [], None, None
    paths = [path] if isinstance(path, (str, os.PathLike)) else list(path)
    files = [f.resolve() for p in paths for f in _model_files(Path(p).expanduser())]
    if not files:
        raise InputError("no model given", path=str(path), expected="a model.json, a run folder, or a list of them")
    if len(set(files)) < len(files):
        raise InputError("the same model given twice", path=str(path), expected="each seed's run once")
    for f in files:
        model, vocab, cfg, ex = model_with_examples(f, split, data_dir, cache_dir)
        key = (ex.digest(), tuple(vocab.itos))
        if first is None:
            first = key
            examples = ex
            if limit:
                examples = examples.subset(np.arange(min(limit, len(examples))))
            examples.vocab_itos = vocab.itos  # its repr shows the first examples as words
        elif key != first:
            raise InputError("models trained on different data or vocabularies", path=f,
                             expected="the seeds of one configuration")
        model.vocab_itos = vocab.itos
        models.append(model)
    return models, examples


def record(model, examples, mode: str = "greedy"):
    """States h_t (t = −L..T_max, the paper's time index), gates, outputs and P(w) of
    every example: a :class:`~neuronstats.microscope.record.Recording`.

    Examples
    --------
    >>> import neuronstats as ns
    >>> models, examples = ns.load(ns.demo_runs(), limit=200)
    >>> rec = ns.record(models[0], examples)
    >>> rec.at([0, 1], [0, 0]).shape, sorted(rec.gates)     # h_0 of two examples; GRU gates
    ((2, 48), ['n', 'r', 'z'])
    >>> bool(rec.correct.mean() > 0.5)                       # w at its T in most examples
    True
    """
    return _record(model, examples, mode)


def describe_intervention(spec) -> str:
    """A short name of an intervention for reading (``str(spec)`` is the exact one).

    Examples
    --------
    >>> import neuronstats as ns
    >>> describe_intervention(ns.Intervention(step="T-1", op="from_step", neurons=[3, 17], source_offset=-1))
    'from_step neurons 3, 17 at T-1 (from t-1)'
    >>> describe_intervention(ns.Intervention(step="T", op="zero", neurons=range(24)))
    'zero 24 neurons at T'
    """
    if not isinstance(spec, Intervention):
        return f"random decoder inputs (seed {spec.seed})" if hasattr(spec, "seed") else str(spec)
    if spec.neurons is None:
        who = "all neurons"
    elif len(spec.neurons) <= 4:
        who = f"neuron{'s' if len(spec.neurons) > 1 else ''} " + ", ".join(map(str, spec.neurons))
    else:
        who = f"{len(spec.neurons)} neurons"
    extra = []
    if spec.op in ("from_step", "from_example"):
        extra.append(f"from {spec.source}" if spec.source is not None else f"from t{spec.source_offset:+d}")
    if spec.value is not None:
        extra.append(f"value {spec.value if not isinstance(spec.value, tuple) else 'per neuron'}")
    if spec.state != "h":
        extra.append(f"state {spec.state}")
    return f"{spec.op} {who} at {spec.step}" + (f" ({', '.join(extra)})" if extra else "")


class SweepResult(pd.DataFrame):
    """What :func:`sweep` returns: its rows, one per condition (``condition``,
    ``accuracy``, ``n_examples``), as a DataFrame that existing code reads as before, and
    their summary, one row per intervention (:meth:`summary`): the clean accuracy, the
    accuracy under the intervention, the drop and, with random control sets, the drop's
    p-value against theirs.

    Attributes
    ----------
    outcomes : :class:`~neuronstats.microscope.intervene.Outcomes`, every example's
        decoded tokens under every condition.
    n_left_out : examples left out because an intervention has no such decoder step for
        them (e.g. ``T-2`` when T = 1).

    A row selection, a copy or any other derived frame is a plain DataFrame.

    Examples
    --------
    >>> import neuronstats as ns
    >>> models, examples = ns.load(ns.demo_runs(), limit=200)
    >>> res = ns.sweep(models[0], examples, ns.Intervention(step="T", op="zero", neurons=range(24)), n_sets=9)
    >>> res
    SweepResult: 200 examples, 11 conditions (clean, 1 intervention, 9 random sets)
    ...
    >>> list(res.summary().columns)  # doctest: +NORMALIZE_WHITESPACE
    ['intervention', 'n_examples', 'clean_accuracy', 'accuracy', 'drop', 'n_sets', 'control_mean_drop',
     'control_band_low', 'control_band_high', 'p_value']
    >>> p = float(res.summary().p_value.iloc[0])  # (1 + #{random sets dropping it at least as much}) / (1 + 9)
    >>> round(p * 10) / 10 == p
    True
    """

    _metadata = ["outcomes", "n_left_out", "_tests"]

    @property
    def _constructor(self):
        return pd.DataFrame  # derived frames are plain: they no longer hold every condition

    def summary(self) -> pd.DataFrame:
        """One row per intervention: ``clean_accuracy``, ``accuracy`` (under it) and
        ``drop`` (their difference), and against its random control sets (where it has
        them) ``control_mean_drop``, the central 95 % of their drops
        (``control_band_low``, ``control_band_high``) and ``p_value`` = (1 + #{random
        sets dropping at least as much}) / (1 + ``n_sets``)."""
        rows = []
        for spec, clean, under, ctl in self._tests:
            band = ctl.control_band if ctl is not None else (np.nan, np.nan)
            rows.append({"intervention": str(spec), "n_examples": int(self.n_examples.iloc[0]),
                         "clean_accuracy": clean, "accuracy": under, "drop": clean - under,
                         "n_sets": ctl.n_null if ctl is not None else 0,
                         "control_mean_drop": ctl.null_mean if ctl is not None else np.nan,
                         "control_band_low": band[0], "control_band_high": band[1],
                         "p_value": ctl.p_value if ctl is not None else np.nan})
        return pd.DataFrame(rows)

    def _headline(self) -> str:
        n_sets = sum(ctl.n_null for *_, ctl in self._tests if ctl is not None)
        left = f" ({self.n_left_out} left out: no such decoder step)" if self.n_left_out else ""
        k = len(self._tests)
        return (f"SweepResult: {int(self.n_examples.iloc[0])} examples{left}, {len(self)} conditions (clean, {k} "
                f"intervention{'' if k == 1 else 's'}" + (f", {n_sets} random sets)" if n_sets else ")"))

    def __repr__(self) -> str:
        s = self.summary()
        shown = pd.DataFrame({
            "intervention": [describe_intervention(spec) for spec, *_ in self._tests],
            "clean": [f"{100 * x:.1f} %" for x in s.clean_accuracy],
            "under it": [f"{100 * x:.1f} %" for x in s.accuracy], "drop": [f"{100 * x:.1f} pp" for x in s["drop"]],
            "random sets: mean drop [95 % band]": [
                "–" if not n else f"{100 * m:.1f} pp [{100 * lo:.1f}, {100 * hi:.1f}] ({n} sets)"
                for n, m, lo, hi in zip(s.n_sets, s.control_mean_drop, s.control_band_low, s.control_band_high)],
            "p": ["–" if not n else f"{p:.4f}" for n, p in zip(s.n_sets, s.p_value)]})
        return (self._headline() + "\n" + shown.to_string(index=False) + "\n"
                + f"rows: {len(self)} × (condition, accuracy, n_examples); .summary(): the table above as numbers")

    def _repr_html_(self) -> str:
        return f"<p>{self._headline()}</p>" + self.summary().to_html(index=False, float_format=lambda x: f"{x:.4g}")


def sweep(model, examples, *interventions, n_sets: int = 0, seed: int = 0) -> SweepResult:
    """Decode ``examples`` clean and under each intervention (and, with ``n_sets``, under
    the same intervention on that many random neuron sets of the same size): one row per
    condition with its positioning accuracy (w at T), and a summary per intervention
    (:class:`SweepResult`). Examples on which an intervention has no such decoder step
    (e.g. ``T-2`` when T = 1) are left out, and counted (``n_left_out``).

    Examples
    --------
    >>> import neuronstats as ns
    >>> models, examples = ns.load(ns.demo_runs(), limit=200)
    >>> df = ns.sweep(models[0], examples, ns.Intervention(step="T", op="zero", neurons=range(24)), n_sets=5)
    >>> df.condition.tolist()[:2], len(df)
    (['clean', "Intervention(step='T', op='zero', ..."], 7)
    >>> bool(df.accuracy.iloc[0] > df.accuracy.iloc[1])     # zeroing half the state at T hurts
    True
    >>> row = df.summary().iloc[0]                          # clean, under it, the drop, vs the random sets
    >>> bool(row["drop"] == row.clean_accuracy - row.accuracy), int(row.n_sets)
    (True, 5)
    """
    conds, names, where = [()], ["clean"], []
    for spec in interventions:
        where.append((spec, len(conds)))
        conds.append((spec,))
        names.append(str(spec))
        if n_sets and getattr(spec, "neurons", None):
            sets = control_sets(model.hidden, spec.neurons, n_sets, seed=seed)
            conds += expand((spec,), sets)
            names += [f"random set {i} ({str(spec)})" for i in range(len(sets))]
    keep = np.arange(len(examples))
    while len(keep):  # the decoded times end at the kept examples' largest T + 3: keep until every one fits
        fits = fitting_examples(conds, examples.T[keep, 0])
        if fits.all():
            break
        keep = keep[fits]
    if not len(keep):
        raise InputError(f"no example has decoder times for {', '.join(map(str, interventions))}",
                         expected="a step (and source step) within 0..T+3 of some examples")
    left_out = len(examples) - len(keep)
    if left_out:
        examples = examples.subset(keep)
    try:
        out = run(model, examples, conds)
    except ValueError as exc:  # a spec that does not fit this model (e.g. a neuron it does not have)
        raise InputError(str(exc)) from None
    acc = out.at_T.mean(0)
    ends = [i for _, i in where[1:]] + [len(conds)]
    tests = []
    for (spec, i), end in zip(where, ends):
        ctl = random_control_test(acc[0] - acc[i], acc[0] - acc[i + 1:end], "greater") if end > i + 1 else None
        tests.append((spec, float(acc[0]), float(acc[i]), ctl))
    res = SweepResult({"condition": names, "accuracy": acc, "n_examples": len(examples)})
    res.outcomes, res.n_left_out, res._tests = out, left_out, tests
    return res


def _models(models) -> list:
    return list(models) if isinstance(models, (list, tuple)) else [models]


def _context(models, examples, dataset: str, settings: FindingsConfig) -> Context:
    models = _models(models)
    return Context(dataset, models[0].cell, models, examples, settings, vocab=getattr(models[0], "vocab_itos", None))


def _token_ids(ctx, tokens):
    if tokens is None:
        return None
    ids = []
    for t in tokens:
        if isinstance(t, (int, np.integer)):
            ids.append(int(t))
        elif ctx.vocab is not None and t in ctx.vocab:
            ids.append(ctx.vocab.index(t))
        else:
            raise InputError(f"token {t!r} is not in the model's vocabulary", expected="a word or a token id")
    return ids


def _finish(rows, correction: str = "holm") -> pd.DataFrame:
    """Rows as a table, corrected for multiple comparisons, with the paper's numbers joined
    on (dataset, cell, test id, unit) where the paper reports one."""
    return with_paper_values(correct(rows_to_frame(rows), correction))


COMMON_DOC = """models : a model, or a list of models (one per seed; same data and vocabulary).
examples : the test examples every model is scored on (:func:`load` gives both).
dataset : the name the rows carry in their ``dataset`` column.
correction : multiple-comparison correction within each test's family ("holm", "bh", "bonferroni", "none")."""
TOKENS_DOC = "tokens : words or token ids, one unit each (default: the most frequent positioned tokens)."


def _fill(doc: str) -> str:
    """A verb's docstring with its shared parameter entries filled in (numpydoc)."""
    return (doc or "").replace("{common}", COMMON_DOC.replace("\n", "\n    ")).replace(
        "{tokens}", TOKENS_DOC).replace("{settings}", settings_doc("    ").replace("\n", "\n    "))


def analyse(finding: str, models, examples, tokens=None, dataset: str = "data", correction: str = "holm",
            **settings) -> pd.DataFrame:
    """Run one finding of the registry (:mod:`neuronstats.findings.registry`) by its name:
    the verbs below (:func:`storing`, ...) call this, and a finding you register is run
    the same way.

    Parameters
    ----------
    finding : its name ("storing", "counting", ..., "x_t negligible", or one you registered).
    {common}
    {tokens} Token-level findings only.
    **settings : the fields of :class:`~neuronstats.findings.settings.FindingsConfig` (a
        misspelled one is an error naming the valid ones).

    Returns
    -------
    pandas.DataFrame
        One stats row per test and unit (:data:`neuronstats.stats.row.COLUMNS`).

    Examples
    --------
    >>> import neuronstats as ns
    >>> models, examples = ns.load(ns.demo_runs(seeds=2), limit=300)
    >>> df = ns.analyse("triggering", models, examples, n_perm=49, n_sets=20)
    >>> df.equals(ns.triggering(models, examples, n_perm=49, n_sets=20))
    True
    """
    try:
        spec = registry.get(finding)
    except KeyError as exc:
        raise InputError(str(exc.args[0]), expected="a registered finding") from None
    cfg = settings_from(**settings)
    ctx = _context(models, examples, dataset, cfg)
    if tokens is not None and not spec.token_level:
        raise InputError(f"the {finding} finding has no token units: tokens= does not apply",
                         expected="tokens only for " + ", ".join(f.name for f in registry.all_findings()
                                                                 if f.token_level))
    kwargs = {"tokens": _token_ids(ctx, tokens)} if tokens is not None else {}
    return _finish(spec.run(ctx, **kwargs).rows, correction)


analyse.__doc__ = _fill(analyse.__doc__)


def _verb(fn):
    """An API verb of a finding: the settings (:class:`FindingsConfig`'s fields, defined
    there once) become keyword-only parameters of its signature (tab completion shows
    them) and entries of its numpydoc Parameters section; a misspelled one is one error
    naming the valid ones."""
    sig = inspect.signature(fn)
    params = [q for q in sig.parameters.values() if q.kind is not inspect.Parameter.VAR_KEYWORD]
    params += [inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, default=f.default)
               for f in dataclasses.fields(FindingsConfig) if f.name in OPTIONS]

    @functools.wraps(fn)
    def verb(*args, **kwargs):
        check_settings({k: v for k, v in kwargs.items() if k not in sig.parameters}, f"option of {fn.__name__}()")
        return fn(*args, **kwargs)

    verb.__signature__ = sig.replace(parameters=params)
    verb.__doc__ = _fill(fn.__doc__)
    return verb


def verb_for(finding):
    """The verb of a registered finding (a name or a :class:`~neuronstats.findings.spec.Finding`):
    ``verb(models, examples, tokens=None, dataset="data", correction="holm", **settings)``,
    documented from its declaration."""
    spec = registry.get(finding) if isinstance(finding, str) else finding

    def verb(models, examples, tokens=None, dataset: str = "data", correction: str = "holm", **settings):
        return analyse(spec.name, models, examples, tokens, dataset, correction, **settings)

    verb.__name__ = verb.__qualname__ = spec.verb
    verb.__doc__ = (f"{spec.summary or spec.name} (the registered finding {spec.name!r}).\n\n    Parameters\n"
                    "    ----------\n    {common}\n    {tokens}\n    {settings}\n    ")
    return _verb(verb)


def __getattr__(name: str):
    """The verb of a finding registered at run time (the built-in ones are defined here)."""
    spec = next((f for f in registry.all_findings() if f.verb == name), None)
    if spec is None:
        raise AttributeError(f"module 'neuronstats.api' has no attribute {name!r}")
    return verb_for(spec)


@_verb
def positioning(models, examples, dataset: str = "data", correction: str = "holm", **settings) -> pd.DataFrame:
    """Does the model put w at T because it was told to? (null: re-decoded without its
    own (w, T)). One row.

    Parameters
    ----------
    {common}
    {settings}

    Examples
    --------
    >>> import neuronstats as ns
    >>> models, examples = ns.load(ns.demo_runs(seeds=2), limit=200)
    >>> row = ns.positioning(models, examples, n_null=99).iloc[0]
    >>> row.test_id, int(row.n_seeds), bool(row.estimate > row.null_mean)
    ('positioning.accuracy', 2, True)
    """
    return analyse("positioning", models, examples, None, dataset, correction, **settings)


def find(model, examples, hypothesis: str, token=None, n_perm: int = 1000, seed: int = 0):
    """Stages 1-2 of the paper's method on one model: the neuron set of ``hypothesis``
    ("storing", "counting", "triggering", "outputting"; storing and outputting need
    ``token``, a word or an id), from the model's clean greedy run on ``examples``.

    Returns a :class:`~neuronstats.stages.neuronset.NeuronSet` (``.neurons``, ``.stage1``
    with the probe's accuracy against its permutation null, ``.stage2``).

    Examples
    --------
    >>> import neuronstats as ns
    >>> models, examples = ns.load(ns.demo_runs(), limit=400)
    >>> s = ns.find(models[0], examples, "storing", token="s1", n_perm=49)
    >>> len(s.neurons) > 0, s.stage1["heldout_accuracy"] > s.stage1["null_mean"]
    (True, True)
    """
    if hypothesis not in BUILTIN:
        raise InputError(f"hypothesis {hypothesis!r}", expected=" | ".join(BUILTIN))
    needs_token = hypothesis in ("storing", "outputting")
    if needs_token and token is None:
        raise InputError(f"the {hypothesis} hypothesis needs token=", expected="a word of the vocabulary, or its id")
    vocab = getattr(model, "vocab_itos", None) or getattr(examples, "vocab_itos", None)
    tok = _token_ids(type("V", (), {"vocab": vocab})(), [token])[0] if needs_token else None
    rec = _record(model, examples)
    if hypothesis == "outputting":
        S = outputting_set(model, rec, tok)
        return NeuronSet({"name": "outputting", "token": tok}, [int(i) for i in S], [int(i) for i in S],
                         {"hidden": model.hidden, "candidates": len(S), "filtered": len(S)}, {}, {}, [], "", seed)
    hyp = BUILTIN[hypothesis](tok) if needs_token else BUILTIN[hypothesis]()
    return _find(model, rec, hyp, n_perm=n_perm, seed=seed)


@_verb
def storing(models, examples, tokens=None, dataset: str = "data", correction: str = "holm", **settings) -> pd.DataFrame:
    """Finding 1 (storing neurons) per token: probe, zeroing at T−1, previous value,
    stability, position independence, set size. ``tokens``: words or ids (default: the
    most frequent positioned tokens).

    Parameters
    ----------
    {common}
    {tokens}
    {settings}

    Examples
    --------
    >>> import neuronstats as ns
    >>> models, examples = ns.load(ns.demo_runs(seeds=2))
    >>> df = ns.storing(models, examples, tokens=["s1"], n_perm=49, n_sets=20, min_examples=5)
    >>> df.test_id.tolist()[:3], df.unit.iloc[0]
    (['storing.probe', 'storing.selectivity', 'storing.zero'], "token 15 's1'")
    """
    return analyse('storing', models, examples, tokens, dataset, correction, **settings)


@_verb
def counting(models, examples, dataset: str = "data", correction: str = "holm", **settings) -> pd.DataFrame:
    """Finding 2 (counting neurons): probe, k-step shift, monotonicity, drop vs T, rate vs T.

    Parameters
    ----------
    {common}
    {settings}

    Examples
    --------
    >>> import neuronstats as ns
    >>> models, examples = ns.load(ns.demo_runs(seeds=2), limit=300)
    >>> df = ns.counting(models, examples, n_perm=49, n_sets=20)
    >>> df[df.test_id == "counting.shift"].unit.tolist()
    ['k = 1', 'k = 2', 'k = 3']
    """
    return analyse('counting', models, examples, None, dataset, correction, **settings)


@_verb
def triggering(models, examples, dataset: str = "data", correction: str = "holm", **settings) -> pd.DataFrame:
    """Finding 3 (triggering neurons): probe, w emitted k steps early.

    Parameters
    ----------
    {common}
    {settings}

    Examples
    --------
    >>> import neuronstats as ns
    >>> models, examples = ns.load(ns.demo_runs(seeds=2), limit=300)
    >>> df = ns.triggering(models, examples, n_perm=49, n_sets=20)
    >>> sorted(set(df.test_id))
    ['triggering.early', 'triggering.probe', 'triggering.selectivity']
    """
    return analyse('triggering', models, examples, None, dataset, correction, **settings)


@_verb
def outputting(models, examples, tokens=None, dataset: str = "data", correction: str = "holm",
               **settings) -> pd.DataFrame:
    """Finding 4 (outputting neurons) per token: zero at T, keep only at T, values near ±1.

    Parameters
    ----------
    {common}
    {tokens}
    {settings}

    Examples
    --------
    >>> import neuronstats as ns
    >>> models, examples = ns.load(ns.demo_runs())
    >>> df = ns.outputting(models, examples, tokens=["s0", "s1"], n_sets=20, min_examples=5)
    >>> df.groupby("unit").size().to_dict()
    {'pooled: 2 tokens': 3, "token 14 's0'": 3, "token 15 's1'": 3}
    """
    return analyse('outputting', models, examples, tokens, dataset, correction, **settings)


@_verb
def gates(models, examples, tokens=None, dataset: str = "data", correction: str = "holm", **settings) -> pd.DataFrame:
    """§5 (GRU): z on outputting and r on storing neurons with only the triggering set kept.

    Parameters
    ----------
    {common}
    {tokens}
    {settings}

    Examples
    --------
    >>> import neuronstats as ns
    >>> models, examples = ns.load(ns.demo_runs(seeds=2), limit=300)
    >>> df = ns.gates(models, examples, tokens=["s0"], n_perm=49, n_sets=20, min_examples=5)
    >>> df.test_id.tolist()  # one token's six rows, then the keep-only claims' rows pooled over tokens
    ['gates.z_keep_trigger', 'gates.r_keep_trigger', 'gates.z_masked_trigger', 'gates.r_masked_trigger',
     'gates.z_all', 'gates.r_all', 'gates.z_keep_trigger', 'gates.r_keep_trigger']
    """
    return analyse('gates', models, examples, tokens, dataset, correction, **settings)


@_verb
def inputs(models, examples, dataset: str = "data", correction: str = "holm", **settings) -> pd.DataFrame:
    """§5: decoder inputs x_t replaced by random tokens — equivalence test (TOST).

    Parameters
    ----------
    {common}
    {settings}

    Examples
    --------
    >>> import neuronstats as ns
    >>> models, examples = ns.load(ns.demo_runs(seeds=2), limit=300)
    >>> row = ns.inputs(models, examples).iloc[0]
    >>> row.test_id, bool(0 <= row.estimate <= 1)
    ('x_t.random_inputs', True)
    """
    return analyse('x_t negligible', models, examples, None, dataset, correction, **settings)
