"""Sensitivity of the verdicts to our method choices, on a study's trained GRUs: each
choice that interprets the paper is redone another way the paper allows, the rows it
changes are recomputed, and the ledger judges the claims again.

Readings (``READINGS``; the study's own value of each is computed the same way, so every
comparison is like for like):

* ``counting``: one token-agnostic set per seed of 20 % of the neurons, intervened at
  t = T−1 (the study's) against sets of 10 % and 40 %, per-token sets, and the
  intervention at t = T−2 and T−3;
* ``triggering``: every T ≥ k+1 (the study's) against T = 6 only (the paper's Table 1);
* ``storing_previous``: the value of t−1 copied into t = T−1 (the study's) against t = T−2
  and T−3;
* ``intervention_value``: zeroing (the study's) against the mean state and a value
  resampled from another example (storing and outputting sets);
* ``gates``: the model's gates (with x_t and biases; the study's) against the paper's GRU′
  of Eq. 3 (no x_t term, no biases), for kept and masked triggering sets;
* ``x_t``: every input replaced, uniform over the vocabulary (the study's), against the
  start token kept, and draws matched to the training corpus's word frequencies.

The verdicts here leave out the untrained-network comparison (it would double the cost
of every reading) on both sides: a claim is *sensitive* when a reading the paper allows
gives another verdict than the study's reading under the same rule. Each reading is a
table under ``results/sensitivity/`` (:data:`neuronstats.report.sensitivity.COLUMNS`).
"""

from __future__ import annotations

import dataclasses
import functools
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from neuronstats import io
from neuronstats.data.cache import prepare
from neuronstats.engine import run_jobs
from neuronstats.errors import InsufficientData
from neuronstats.findings.common import combined_test, pooled_test, subset_recording, units
from neuronstats.findings.context import Context
from neuronstats.findings.gates import complement, gru_gates
from neuronstats.hardware import one_thread
from neuronstats.microscope.intervene import Intervention, RandomInputs, run, sweep
from neuronstats.model.files import has_model
from neuronstats.model.train import heldout_examples, load_trained, resolve_key, run_dir_for
from neuronstats.partial import cached, examples_key, result_key
from neuronstats.report.ledger import ledger
from neuronstats.report.sensitivity import COLUMNS
from neuronstats.stages.hypothesis import counting, storing, triggering
from neuronstats.stages.neuronset import find, outputting_set
from neuronstats.stages.verify import Outcome, Verification, VerifyResult, verify_one
from neuronstats.stats.controls import control_sets, random_control_test
from neuronstats.stats.effects import tost
from neuronstats.stats.multitest import correct
from neuronstats.stats.row import rows_to_frame, stats_row

log = logging.getLogger(__name__)
READINGS = ("counting", "triggering", "storing_previous", "intervention_value", "gates", "x_t")


def _kw(ctx, finding):
    return ctx.combined_kw(finding)


def _shift_rows(ctx, sets_for, step_j: int, ks=(1, 2, 3)) -> list:
    """counting.shift rows for each k: the set (``sets_for(s, token or None)``) at t = T−j
    given its value of t−k; w should move exactly k steps later."""
    rows = []
    for k in ks:
        vals, nulls, index, ictl = [], [], [], []
        for s, model in enumerate(ctx.models):
            v = Verification(f"value from t-{k} at T-{step_j}", Intervention(f"T-{step_j}", "from_step",
                                                                             source_offset=-k),
                             Outcome("moved", k), "effect", step_j + k)
            got_v, got_n, got_i, got_c = [], [], [], []
            for tok, neurons in sets_for(s):
                if not len(neurons):
                    continue
                mask = None if tok is None else ctx.recs[s].w[:, 0] == tok
                idx = ctx.correct_subset(s, mask)
                r = verify_one(model, ctx.ex.subset(idx), neurons, v, ctx.cfg.n_sets, ctx.cfg.seed + s,
                               np.ones(len(idx), bool))
                if r is None:
                    continue
                got_v.append(r.tested.astype(float))
                got_n.append(r.control.mean(0) * len(r.tested))
                got_i.append(idx[r.examples])
                got_c.append(r.control.mean(1))
            if got_v:
                n = sum(len(x) for x in got_v)
                vals.append(np.concatenate(got_v))
                nulls.append(np.sum(got_n, axis=0) / n)  # per random set: its rate over all examples
                index.append(np.concatenate(got_i))
                ictl.append(np.concatenate(got_c))
        rows.append(combined_test(**_kw(ctx, "counting"), test="value from t-k at T-1: w exactly k steps later",
                                  test_id="counting.shift", unit=f"k = {k}", statistic="share moved by k",
                                  per_seed_values=vals, per_seed_null=nulls, index=index, index_control=ictl))
    return rows


def counting_readings(ctx) -> dict:
    """{value: rows}: the counting set's size, one set per token, and the step."""
    H = ctx.hidden

    def agnostic(fraction):
        sets = [_find(m, ctx.selection_rec(s), counting(), n_candidates=max(1, round(2 * fraction * H)),
                      seed=ctx.cfg.seed + s) for s, m in enumerate(ctx.models)]
        return lambda s: [(None, sets[s])]

    tokens, _ = units(ctx)

    def per_token(s):
        out = []
        sel = ctx.selection_rec(s)
        for tok in tokens:
            part = np.flatnonzero(sel.w[:, 0] == tok)
            if (sel.correct[part]).sum() < ctx.cfg.min_examples:
                continue
            neurons = _find(ctx.models[s], subset_recording(sel, part), counting(), seed=ctx.cfg.seed + s)
            if len(neurons):
                out.append((tok, neurons))
        return out

    study = agnostic(0.2)
    return {"one set per seed, 20 %, at T-1": _shift_rows(ctx, study, 1),
            "one set per seed, 10 %, at T-1": _shift_rows(ctx, agnostic(0.1), 1),
            "one set per seed, 40 %, at T-1": _shift_rows(ctx, agnostic(0.4), 1),
            "one set per token, 20 %, at T-1": _shift_rows(ctx, per_token, 1),
            "one set per seed, 20 %, at T-2": _shift_rows(ctx, study, 2),
            "one set per seed, 20 %, at T-3": _shift_rows(ctx, study, 3)}


def triggering_readings(ctx, ks=(1, 2, 3, 4)) -> dict:
    """{value: rows}: triggering.early over every T ≥ k+1, and at T = 6 only."""
    sets = [_find(m, ctx.selection_rec(s), triggering(), seed=ctx.cfg.seed + s)
            for s, m in enumerate(ctx.models)]
    out = {}
    for label, only_T in (("every T >= k+1", None), ("T = 6 only", 6)):
        rows = []
        for k in ks:
            vals, nulls, index, ictl = [], [], [], []
            v = Verification(f"T-1 value at T-1-{k}", Intervention(f"T-{1 + k}", "from_step", source="T-1"),
                             Outcome("moved", -k), "effect", 1 + k)
            for s, model in enumerate(ctx.models):
                mask = None if only_T is None else ctx.recs[s].T[:, 0] == only_T
                idx = ctx.correct_subset(s, mask)
                if not len(sets[s]) or not len(idx):
                    continue
                r = verify_one(model, ctx.ex.subset(idx), sets[s], v, ctx.cfg.n_sets, ctx.cfg.seed + s,
                               np.ones(len(idx), bool))
                if r is None:
                    continue
                vals.append(r.tested.astype(float))
                nulls.append(r.control.mean(0))
                index.append(idx[r.examples])
                ictl.append(r.control.mean(1))
            rows.append(combined_test(**_kw(ctx, "triggering"), test="T-1 values copied into T-1-k: w k steps early",
                                      test_id="triggering.early", unit=f"k = {k}",
                                      statistic="share emitted k steps early", per_seed_values=vals,
                                      per_seed_null=nulls, index=index, index_control=ictl))
        out[label] = rows
    return out


def _find(model, rec, hypothesis, **kw) -> np.ndarray:
    """Stages 1-2's set, or an empty one where the data cannot support stage 1. Only the
    set is read here, so stage 1's probe test is skipped (``n_perm = 0``): the set is the
    one the study's finding found with its test."""
    try:
        return np.asarray(find(model, rec, hypothesis, n_perm=0, **kw).neurons, int)
    except InsufficientData:
        return np.array([], int)


def _storing_sets(ctx, tokens) -> dict:
    """(seed, token) → the token's storing set (stages 1-2 on the selection half)."""
    return {(s, tok): _find(m, ctx.selection_rec(s), storing(tok), seed=ctx.cfg.seed + s)
            for s, m in enumerate(ctx.models) for tok in tokens}


def _pooled(ctx, finding, test, test_id, per_token, alternative, stat="accuracy") -> list:
    row = pooled_test(**_kw(ctx, finding), test=test, test_id=test_id, statistic=stat, units_data=per_token,
                      alternative=alternative)
    return [row] if row is not None else []


def _token_unit(ctx, model_sets, s, tok, spec, outcome, min_T, donors=None, zero_based=False):
    """One token and seed: (values, random-set rates, example ids, per-example controls)."""
    idx = ctx.correct_subset(s, ctx.recs[s].w[:, 0] == tok)
    if not len(idx) or not len(model_sets):
        return None
    v = Verification("variant", spec, outcome, "effect", min_T)
    r = verify_one(ctx.models[s], ctx.ex.subset(idx), model_sets, v, ctx.cfg.n_sets, ctx.cfg.seed + s,
                   np.ones(len(idx), bool)) if donors is None else _verify_donors(ctx, s, idx, model_sets, v,
                                                                                  donors)
    if r is None:
        return None
    tested, control = r.tested.astype(float), r.control.astype(float)
    if zero_based:  # outcomes "w not at T" → accuracy
        tested, control = 1.0 - tested, 1.0 - control
    return tested, control.mean(0), idx[r.examples], control.mean(1)


def _verify_donors(ctx, s, idx, neurons, v, donors):
    """verify_one with ``from_example`` donors (indices into the subset)."""
    sub = ctx.ex.subset(idx)
    keep = np.flatnonzero(sub.T[:, 0] >= v.min_T)
    sub = sub.subset(keep)
    sets = control_sets(ctx.hidden, neurons, ctx.cfg.n_sets, seed=ctx.cfg.seed + s)

    conds = [(), (dataclasses.replace(v.spec, neurons=tuple(int(i) for i in neurons)),)] + sweep((v.spec,), sets)
    d = np.searchsorted(keep, donors[keep]) if np.isin(donors[keep], keep).all() else np.arange(len(keep))[::-1]
    out = run(ctx.models[s], sub, conds, extra_steps=v.outcome.extra_steps, donors=d, p_w=False,
              decided=v.outcome)
    res = v.outcome.of(out)
    return VerifyResult(v, keep, res[:, 1], res[:, 2:], res[:, 0],
                        random_control_test(res[:, 1].mean(), res[:, 2:].mean(0), "greater"))


def _collect(units_data, got):
    if got is None:
        units_data[-1]["values"].append(None)
        units_data[-1]["null"].append(None)
        units_data[-1]["index"].append(None)
        units_data[-1]["index_control"].append(None)
        return
    for key, val in zip(("values", "null", "index", "index_control"), got):
        units_data[-1][key].append(val)


def _units_loop(ctx, tokens, sets_of, spec_of, outcome, min_T, zero_based=False, donors_of=None):
    data = []
    for tok in tokens:
        data.append({"values": [], "null": [], "index": [], "index_control": []})
        for s in range(len(ctx.models)):
            donors = None if donors_of is None else donors_of(s, tok)
            _collect(data, _token_unit(ctx, sets_of(s, tok), s, tok, spec_of(s, tok), outcome, min_T, donors,
                                       zero_based))
    return data


def storing_previous_readings(ctx, sets, tokens) -> dict:
    """{value: rows}: storing.previous with the value of t−1 copied into t = T−1 (the
    study's), T−2 or T−3."""
    out = {}
    for j in (1, 2, 3):
        data = _units_loop(ctx, tokens, lambda s, tok: sets[(s, tok)],
                           lambda s, tok, j=j: Intervention(f"T-{j}", "from_step", source_offset=-1),
                           Outcome("at_T"), 1 + j)
        out[f"at t = T-{j}"] = _pooled(ctx, "storing", "previous value at T-1", "storing.previous", data,
                                       "two-sided")
    return out


def intervention_value_readings(ctx, sets, tokens) -> dict:
    """{value: rows}: storing.zero and outputting.zero with the set zeroed (the study's),
    set to the mean state at that step, or to another example's value at that step."""
    out_sets = {(s, tok): outputting_set(m, ctx.selection_rec(s), tok) for s, m in enumerate(ctx.models)
                for tok in tokens}
    rng = np.random.default_rng(ctx.cfg.seed)
    out = {}
    for label in ("zero", "mean state", "another example's value"):
        rows = []
        targets = (("storing", "T-1", lambda s, tok: sets[(s, tok)], "zero storing set at T-1"),
                   ("outputting", "T", lambda s, tok: out_sets[(s, tok)], "zero outputting set at T"))
        for finding, step, sets_of, test in targets:
            def spec_of(s, tok, step=step, label=label):
                if label == "zero":
                    return Intervention(step, "zero")
                if label == "mean state":
                    rec = ctx.recs[s]
                    idx = ctx.correct_subset(s)
                    off = 1 if step == "T-1" else 0
                    mean = rec.at(idx, rec.T[idx, 0] - off).mean(0)
                    return Intervention(step, "value", value=tuple(float(x) for x in mean))
                return Intervention(step, "from_example")

            donors_of = None
            if label == "another example's value":
                def donors_of(s, tok, rng=rng):
                    idx = ctx.correct_subset(s, ctx.recs[s].w[:, 0] == tok)
                    n = len(idx)
                    return (np.arange(n) + rng.integers(1, max(n, 2), n)) % max(n, 1)  # never itself

            data = _units_loop(ctx, tokens, sets_of, spec_of, Outcome("not_at_T"), 1, zero_based=True,
                               donors_of=donors_of)
            rows += _pooled(ctx, finding, test, f"{finding}.zero", data, "less")
        out[label] = rows
    return out


@torch.no_grad()
def _prime_gates(model, h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """z and r of the paper's GRU′ (Eq. 3): σ(U h), no input term and no biases."""
    H = model.hidden
    U = model.decoder.weight_hh_l0  # PyTorch order: r, z, n
    r = torch.sigmoid(torch.as_tensor(h) @ U[:H].T).numpy()
    z = torch.sigmoid(torch.as_tensor(h) @ U[H:2 * H].T).numpy()
    return z, r


def gates_readings(ctx, sets, tokens) -> dict:
    """{value: rows}: the §5 gate values with the model's own gates (the study's) and with
    GRU′; kept and masked triggering sets, against random sets."""
    trig = [_find(m, ctx.selection_rec(s), triggering(), seed=ctx.cfg.seed + s)
            for s, m in enumerate(ctx.models)]
    out = {}
    for label in ("the model's gates (x_t and biases)", "GRU' (Eq. 3: no x_t, no biases)"):
        rows, pool = [], {"z_keep": [], "r_keep": []}
        for tok in tokens:
            acc = {k: ([], [], []) for k in ("z_keep", "r_keep", "z_mask", "r_mask", "z_all", "r_all")}
            for s, (model, rec) in enumerate(zip(ctx.models, ctx.recs)):
                out_set = outputting_set(model, ctx.selection_rec(s), tok)
                idx = ctx.correct_subset(s, rec.w[:, 0] == tok)
                if not len(idx) or not len(trig[s]) or not len(sets[(s, tok)]):
                    continue
                T = rec.T[idx, 0]
                h_prev = rec.at(idx, T - 1)
                rnd = list(control_sets(ctx.hidden, trig[s], ctx.cfg.n_sets, seed=ctx.cfg.seed + s))
                n = len(rnd)
                keep = [trig[s], range(ctx.hidden), complement(trig[s], ctx.hidden)] + rnd + \
                       [complement(x, ctx.hidden) for x in rnd]
                if label.startswith("GRU'"):
                    zs, rs = [], []
                    for kset in keep:
                        mask = np.zeros(ctx.hidden, np.float32)
                        mask[list(kset)] = 1.0
                        z, r = _prime_gates(model, h_prev * mask)
                        zs.append(z)
                        rs.append(r)
                    z, r = np.stack(zs), np.stack(rs)
                else:
                    tok_in = np.where(T == 1, model.sos_id, rec.outputs[idx, np.maximum(T - 2, 0)])
                    z, r = gru_gates(model, h_prev, tok_in, keep)
                store_set = sets[(s, tok)]
                zo, ro = z[:, :, out_set].mean(2), r[:, :, store_set].mean(2)
                for key, a, b in (("z_keep", zo[0], zo[3:3 + n]), ("r_keep", ro[0], ro[3:3 + n]),
                                  ("z_mask", zo[2], zo[3 + n:]), ("r_mask", ro[2], ro[3 + n:]),
                                  ("z_all", zo[1], None), ("r_all", ro[1], None)):
                    acc[key][0].append(a)
                    acc[key][1].append(None if b is None else b.mean(1))
                    acc[key][2].append(idx)
            unit = ctx.unit_name(tok)
            for key, test_id, alt in (("z_keep", "gates.z_keep_trigger", "less"),
                                      ("r_keep", "gates.r_keep_trigger", "greater"),
                                      ("z_mask", "gates.z_masked_trigger", "greater"),
                                      ("r_mask", "gates.r_masked_trigger", "less"),
                                      ("z_all", "gates.z_all", ""), ("r_all", "gates.r_all", "")):
                vals, nulls, idxs = acc[key]
                if not vals:
                    continue
                if key in pool:
                    pool[key].append({"values": vals, "null": nulls, "index": idxs})
                rows.append(combined_test(**_kw(ctx, "gates"), test=test_id, test_id=test_id, unit=unit,
                                          statistic=f"mean {key[0]}", per_seed_values=vals, index=idxs,
                                          per_seed_null=None if nulls[0] is None else nulls,
                                          alternative=alt or "greater"))
        for key, test_id, alt in (("z_keep", "gates.z_keep_trigger", "less"),
                                  ("r_keep", "gates.r_keep_trigger", "greater")):
            rows += _pooled(ctx, "gates", test_id, test_id, pool[key], alt, stat=f"mean {key[0]}")
        out[label] = rows
    return out


def x_t_readings(ctx, word_freq: np.ndarray | None) -> dict:
    """{value: rows}: x_t.random_inputs with every input replaced uniformly (the study's),
    with the start token kept, and with draws matched to the corpus's word frequencies."""
    variants = {"every input, uniform draws": {}, "start token kept": {"keep_start": True}}
    if word_freq is not None and word_freq.sum() > 0:
        p = word_freq / word_freq.sum()
        variants["draws matched to word frequencies"] = {"weights": tuple(float(x) for x in p)}
    out = {}
    for label, kw in variants.items():
        accs = []
        for s, model in enumerate(ctx.models):
            idx = ctx.correct_subset(s)
            res = run(model, ctx.ex.subset(idx), [(RandomInputs(seed=ctx.cfg.seed + s, **kw),)], extra_steps=1)
            accs.append(res.at_T[:, 0].astype(float))
        drops = np.array([1.0 - a.mean() for a in accs])
        t = tost(drops, low=-ctx.cfg.x_margin, high=ctx.cfg.x_margin)
        ci = combined_test(**_kw(ctx, "x_t negligible"), test="x", test_id="x", unit="x", statistic="accuracy",
                           per_seed_values=accs)
        out[label] = [stats_row(**ctx.row_kw("x_t negligible"), test="random decoder inputs: accuracy stays (TOST)",
                                test_id="x_t.random_inputs", unit="all tokens", statistic="accuracy",
                                estimate=ci.row["estimate"], ci_low=ci.row["ci_low"], ci_high=ci.row["ci_high"],
                                p_value=t.p_value, alternative="equivalence", n_seeds=len(accs))]
    return out


def word_frequencies(ds, vocab_size: int) -> np.ndarray:
    """Each token id's frequency over the training pairs' target lines (0 for the special
    and position tokens, which are no words)."""
    lines = np.unique(np.asarray(ds.pairs["train"][1]))
    ids = np.concatenate([ds.flat[ds.off[i]: ds.off[i + 1]] for i in lines]) if len(lines) else np.array([], int)
    counts = np.bincount(ids, minlength=vocab_size).astype(float)[:vocab_size]
    counts[: 4 + ds.vocab.n_positions] = 0  # <pad> <unk> <sos> <eos>, then the position tokens
    return counts


def judge_readings(base: pd.DataFrame, readings: dict, dataset: str, reading: str, alpha_method: str,
                   floor: float, margin: float) -> pd.DataFrame:
    """The ledger of each value of one reading: ``base`` (the study's trained rows of this
    dataset) with the reading's rows in place of the same tests, corrected, judged."""
    lines = []
    first = True
    for value, rows in readings.items():
        rows = [r.to_row() if hasattr(r, "to_row") else r for r in rows]
        if not rows:
            continue
        new = correct(rows_to_frame(rows), alpha_method)
        replaced = set(zip(new.test_id, new.dataset, new.cell))
        keep = base[[(t, d, c) not in replaced for t, d, c in zip(base.test_id, base.dataset, base.cell)]]
        c = ledger(pd.concat([keep, new], ignore_index=True), floor=floor, margin=margin)
        c = c[c.test_id.isin(new.test_id) & c.dataset.str.contains(dataset, regex=False)]
        for r in c.itertuples():
            lines.append({"claim_id": r.claim_id, "dataset": dataset, "reading": reading, "value": value,
                          "is_study_reading": first,
                          "estimate": r.estimate, "ci_low": r.ci_low, "ci_high": r.ci_high, "verdict": r.verdict,
                          "reason": f"{dataset}: {r.reason}"})
        first = False
    return pd.DataFrame(lines, columns=list(COLUMNS))


# readings that share one dataset's storing sets run in one job
GROUPS = (("counting",), ("triggering",), ("storing_previous", "intervention_value", "gates"), ("x_t",))


def _gru_dirs(study, ds, data_dir=None, cache_dir=None) -> list:
    dirs = []
    for s in study.seeds:
        cfg = study.config(ds, "gru", s)
        d = run_dir_for(cfg, cache_dir, key=resolve_key(cfg, data_dir), store=study.models or None)
        if not has_model(d):
            raise FileNotFoundError(f"{cfg.name} is not trained (run `neuronstats replicate --train-only`)")
        dirs.append(d)
    return dirs


def reading_rows(study, ds: str, readings, data_dir=None, cache_dir=None, partial_dir=None) -> dict:
    """The rows of ``readings`` on dataset ``ds``'s trained GRUs: ``{"rows": {reading: [[value,
    rows], ...]}, "seconds", "key"}`` (rows as dicts; the study's own value first). One job of
    :func:`run_sensitivity`, on one thread like the study's findings, cached in
    ``partial_dir`` (:mod:`neuronstats.partial`)."""
    with one_thread():
        tmpl = study.datasets[ds]
        dirs = _gru_dirs(study, ds, data_dir, cache_dir)
        trained = [load_trained(d) for d in dirs]
        vocab = trained[0].vocab
        data = prepare(tmpl.data, data_dir, cache_dir=cache_dir, vocab=vocab if ds in study.dataset_init else None)
        name = "+".join(readings)
        key = result_key(f"sensitivity {name}", ds, "gru", dirs, examples_key(data, tmpl), study.analysis)
        return cached(partial_dir, f"sensitivity-{ds}-{name}", key,
                      functools.partial(_reading_rows, study, ds, readings, trained, data))


def _reading_rows(study, ds: str, readings, trained: list, data) -> dict:
    """:func:`reading_rows`' computation: ``{"rows": {reading: [[value, rows], ...]}}``,
    each row labelled with the study's dataset (:func:`judge` names the paper's)."""
    tmpl, vocab = study.datasets[ds], trained[0].vocab
    ctx = Context(ds, "gru", [t.model for t in trained], heldout_examples(data, tmpl),
                  study.analysis.findings_config(), vocab=vocab.itos)
    tokens, _ = units(ctx)
    sets = _storing_sets(ctx, tokens) if {"storing_previous", "intervention_value", "gates"} & set(readings) else {}
    out = {}
    for reading in readings:
        log.info("sensitivity %s: %s", ds, reading)
        if reading == "counting":
            got = counting_readings(ctx)
        elif reading == "triggering":
            got = triggering_readings(ctx)
        elif reading == "storing_previous":
            got = storing_previous_readings(ctx, sets, tokens)
        elif reading == "intervention_value":
            got = intervention_value_readings(ctx, sets, tokens)
        elif reading == "gates":
            got = gates_readings(ctx, sets, tokens)
        else:
            got = x_t_readings(ctx, word_frequencies(data, len(vocab)))
        # [value, rows] pairs: the study's reading first (a list keeps its order through the JSON cache)
        out[reading] = [[v, [r.to_row() if hasattr(r, "to_row") else r for r in rows]] for v, rows in got.items()]
    return {"rows": out}


def sensitivity_jobs(study, which=READINGS, datasets=None, data_dir=None, cache_dir=None, partial_dir=None) -> dict:
    """``{("sensitivity", dataset, "a+b"): (reading_rows, args)}``: one job per dataset with
    GRU findings and group of :data:`GROUPS`, for :func:`neuronstats.engine.run_jobs`."""
    names = [ds for ds in study.datasets if (not datasets or ds in datasets) and "gru" in study.cells_of(ds)
             and study.dataset_findings.get(ds, study.analysis.findings)]
    jobs = {}
    for group in GROUPS:  # the longest group (counting) first on every dataset: workers idle less at the end
        readings = tuple(r for r in group if r in which)
        for ds in names if readings else ():
            jobs[("sensitivity", ds, "+".join(readings))] = (reading_rows, (study, ds, readings, data_dir, cache_dir,
                                                                           partial_dir))
    return jobs


def judge(study, summary: pd.DataFrame, results: dict, which=READINGS) -> dict:
    """``{reading: table}`` from the jobs' ``results`` (``{job key: reading_rows(...)["rows"]}``), each
    reading's rows judged against the study's ``summary`` (results/summary.csv)."""
    a = study.analysis
    base_all = summary[~summary.cell.str.contains("untrained") & (summary.cell == "gru")]
    tables = {r: [] for r in which}
    for (_, ds, _), got_by_reading in results.items():
        paper_ds = study.paper_dataset(ds)
        base = base_all[base_all.dataset == ds].assign(dataset=paper_ds)
        for reading, got in got_by_reading.items():
            values = {v: [dict(r, dataset=paper_ds) for r in rows] for v, rows in got}
            tables[reading].append(judge_readings(base, values, paper_ds, reading, a.correction,
                                                  a.accuracy_floor, 0.05))
    return {r: pd.concat(t, ignore_index=True) if t else pd.DataFrame(columns=list(COLUMNS))
            for r, t in tables.items()}


def run_sensitivity(study, summary: pd.DataFrame, data_dir=None, cache_dir=None, which=READINGS,
                    datasets=None, client=None, partial_dir=None) -> dict:
    """Every reading of ``which`` on the study's trained GRUs of each dataset (those with
    findings): ``{reading: table}``. ``summary`` is the study's summary (results/summary.csv).
    The jobs run on ``client`` (Dask) when given, else here; each job's rows are cached in
    ``partial_dir`` when given."""
    jobs = sensitivity_jobs(study, which, datasets, data_dir, cache_dir, partial_dir)
    done = dict(run_jobs(jobs, client, desc="sensitivity"))
    return judge(study, summary, {k: done[k]["rows"] for k in jobs}, which)


def write_sensitivity(tables: dict, out_dir) -> list[Path]:
    """Each reading's table as ``<out_dir>/<reading>.csv``."""
    out = []
    for reading, t in tables.items():
        path = Path(out_dir) / f"{reading}.csv"
        io.write_text(path, t.to_csv(index=False, float_format="%.6g"))
        out.append(path)
    return out
