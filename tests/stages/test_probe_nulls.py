"""Probe nulls that nuisance variables cannot pass (docs/statistics.md#the-nulls-and-why): states
that carry only the elapsed time t, or only the target position T, must not make the counting,
triggering or storing probes reject (binomial band at alpha over 300 simulated studies), while
states that carry the label still do."""

import zlib

import numpy as np
import pytest
from scipy.stats import binom

from neuronstats.stages.candidates import probe_test

N_STUDIES = 300
UPPER = binom.ppf(0.975, N_STUDIES, 0.05) / N_STUDIES  # 23/300: a test at alpha = 0.05 exceeds it 2.5 % of the time


def _study(rng, n_ex=60, H=8, encode="t", label="counting", token_rate=None):
    T = rng.integers(2, 9, n_ex)
    ex = np.repeat(np.arange(n_ex), T)
    t = np.concatenate([np.arange(k) for k in T])
    Ts = T[ex]
    W = rng.normal(size=(3, H))
    signal = {"t": t, "T": Ts, "label": Ts - t}[encode]
    X = np.outer(signal, W[0]) + 0.3 * np.outer(signal**2, W[1]) / 10 + rng.normal(size=(len(t), H))
    if label == "counting":
        y = Ts - t
    elif label == "triggering":
        y = (t == Ts - 1).astype(int)
    else:  # storing: a token whose frequency rises with T, constant within each example
        w = rng.random(n_ex) < token_rate[T]
        y = w[ex].astype(int)
    return X.astype(np.float32), y, ex, t, Ts


def _rate(encode, label, **kw):
    rng = np.random.default_rng(zlib.crc32(f"{encode}-{label}".encode()))  # hash() differs between processes
    rej = []
    for k in range(N_STUDIES):
        X, y, g, t, T = _study(rng, encode=encode, label=label, **kw)
        test, _ = probe_test(X, y, g, 99, k, t, T)
        rej.append(test.p_value <= 0.05)
    return float(np.mean(rej))


@pytest.mark.parametrize("label", [pytest.param("counting", marks=pytest.mark.slow), "triggering"])
def test_states_that_encode_only_elapsed_time_do_not_pass(label):
    rate = _rate("t", label)
    assert rate <= UPPER, rate  # the binomial band's upper end at alpha = 0.05


def test_states_that_encode_only_the_target_position_do_not_pass_storing():
    token_rate = np.linspace(0.05, 0.6, 9)  # the token is more frequent at larger T
    rate = _rate("T", "storing", token_rate=token_rate)
    assert rate <= UPPER, rate


def test_a_planted_counter_is_still_found():
    rng = np.random.default_rng(5)
    found = []
    for k in range(20):
        X, y, g, t, T = _study(rng, encode="label", label="counting")
        test, kind = probe_test(X, y, g, 99, k, t, T)
        found.append(test.p_value <= 0.05)
    assert np.mean(found) >= 0.9 and "elapsed time t alone" in kind


@pytest.mark.parametrize("label", [pytest.param("counting", marks=pytest.mark.slow), "triggering"])
def test_states_that_encode_only_the_target_position_do_not_pass(label):
    rate = _rate("T", label)
    assert rate <= UPPER, rate


def _seed_level_rates(encode, label, n_studies=N_STUDIES, n_seeds=5):
    """Each simulated study: five seeds' probe tests on states carrying only ``encode``,
    combined into one seed-level row as the findings do (both nulls, the binding one
    reported). Returns the rates of rejections above and below the control."""
    from neuronstats.findings.common import combined_test
    from neuronstats.stats.multitest import correct
    from neuronstats.stats.row import rows_to_frame

    rng = np.random.default_rng(zlib.crc32(f"seed-level-{encode}-{label}".encode()))
    up = down = 0
    for k in range(n_studies):
        stat, null, stat_b, null_b = [], [], [], []
        for s in range(n_seeds):
            X, y, g, t, T = _study(rng, encode=encode, label=label)
            res, _ = probe_test(X, y, g, 99, 1000 * k + s, t, T)
            stat.append(res.statistic)
            null.append(res.null)
            stat_b.append(res.statistic_b)
            null_b.append(res.null_b)
        row = combined_test(dataset="d", cell="gru", finding=label, test="probe", test_id=f"{label}.probe", unit="u",
                            statistic="acc", per_seed_values=stat, per_seed_null=null, second=(stat_b, null_b),
                            alternative="greater")
        r = correct(rows_to_frame([row.to_row()])).iloc[0]
        sig = r.p_value <= 0.05
        up += bool(sig and r.estimate > r.null_mean)
        down += bool(sig and r.estimate < r.null_mean)
        assert r.reject == bool(sig and r.estimate > r.null_mean)  # a rejection only in the claimed direction
    return up / n_studies, down / n_studies


@pytest.mark.slow
@pytest.mark.parametrize("encode", ["t", "T"])
def test_seed_level_probe_rows_are_unbiased_on_each_side(encode):
    """The probe rows of counting: on states that carry only t, or only T, at most alpha of
    the studies are significant above the control, and at most alpha below it (each side
    counted separately; the binomial band's upper end). Their control was once the
    stricter of two shifted nulls, which put 15 % of studies significantly *below* it.
    Measured (300 studies of 5 seeds): t only 0.3 % above, 4.7 % below; T only within the
    band on both sides. The below side of "t only" is still above its nominal alpha/2: the
    cross-validated accuracy on t-centred states sits slightly under its permutation null.
    (About 5 minutes per case: `tox -e slow`.)"""
    band = binom.ppf(0.975, N_STUDIES, 0.05) / N_STUDIES
    up, down = _seed_level_rates(encode, "counting")
    assert up <= band and down <= band, (up, down)
