import numpy as np
import pytest
from scipy import stats as sps
from sklearn.linear_model import Ridge, RidgeClassifier
from sklearn.preprocessing import StandardScaler

from neuronstats.stats.permutation import (
    control_task_labels,
    grouped_folds,
    permutation_test,
    permuted_labels,
    probe_permutation_test,
    ridge_cv_scores,
    selectivity,
)
from neuronstats.stats.pvalues import null_pvalue


def _states(n_groups=60, per=4, d=6, signal=0.0, n_classes=2, seed=0):
    rng = np.random.default_rng(seed)
    groups = np.repeat(np.arange(n_groups), per)
    y = rng.integers(0, n_classes, n_groups)[groups]
    X = rng.normal(size=(len(groups), d)) + rng.normal(size=(n_groups, d))[groups]  # example effect
    X[:, 0] += signal * y
    return X, y, groups


def test_null_pvalue_counts_ties_and_never_zero():
    null = np.array([0.0, 1.0, 2.0, 3.0])
    assert null_pvalue(2.0, null, "greater") == pytest.approx(3 / 5)
    assert null_pvalue(2.0, null, "less") == pytest.approx(4 / 5)
    assert null_pvalue(10.0, null, "greater") == pytest.approx(1 / 5)
    assert null_pvalue(-10.0, null, "two-sided") == pytest.approx(2 / 5)


def test_grouped_folds_never_split_an_example():
    groups = np.repeat(np.arange(23), 3)
    folds = grouped_folds(groups, 5, seed=1)
    seen = np.concatenate([te for _, te in folds])
    assert sorted(seen) == list(range(len(groups)))
    for tr, te in folds:
        assert not set(groups[tr]) & set(groups[te])


def test_permuted_labels_preserve_example_structure():
    groups = np.repeat(np.arange(10), 3)
    y = np.repeat(np.arange(10) % 3, 3)
    strata = np.repeat(np.arange(10) % 2, 3)
    P = permuted_labels(y, groups, 50, seed=0, strata=strata)
    for row in P:
        assert (row.reshape(10, 3) == row.reshape(10, 3)[:, :1]).all()  # constant within example
        for s in (0, 1):  # shuffled only within strata
            assert sorted(row[strata == s]) == sorted(y[strata == s])
    assert len({tuple(r) for r in P}) > 10
    # labels that vary within an example (steps remaining): shuffled within each example
    g2 = np.repeat(np.arange(8), [3, 3, 3, 3, 2, 2, 2, 2])
    y2 = np.concatenate([[2, 1, 0], [3, 2, 1], [2, 1, 0], [5, 4, 3], [1, 0], [1, 0], [5, 4], [7, 6]])
    rows = permuted_labels(y2, g2, 200, seed=3)
    for row in rows:
        for g in range(8):
            assert sorted(row[g2 == g]) == sorted(y2[g2 == g])
    assert len({tuple(r) for r in rows}) > 50  # not degenerate when examples share a sequence


@pytest.mark.parametrize("n_classes", [2, 4])
@pytest.mark.parametrize("use_groups", [True, False])
def test_closed_form_ridge_equals_sklearn_refits(n_classes, use_groups):
    X, y, groups = _states(signal=0.8, n_classes=n_classes)
    folds = grouped_folds(groups, 5, seed=0)
    labels = np.concatenate([y[None], permuted_labels(y, groups, 3, seed=1)])
    ours = ridge_cv_scores(X, labels, folds, n_classes, alpha=0.5, groups=groups if use_groups else None)
    for row, score in zip(labels, ours):
        pred = np.empty(len(row), dtype=int)
        for tr, te in folds:
            sc = StandardScaler().fit(X[tr])
            Ztr, Zte = sc.transform(X[tr]), sc.transform(X[te])
            if n_classes == 2:  # ridge regression on 0/1, threshold midway between class mean scores
                m = Ridge(alpha=0.5 * len(tr)).fit(Ztr, row[tr])
                fit = m.predict(Ztr)
                cut = (fit[row[tr] == 1].mean() + fit[row[tr] == 0].mean()) / 2
                pred[te] = m.predict(Zte) > cut
            else:
                pred[te] = RidgeClassifier(alpha=0.5 * len(tr)).fit(Ztr, row[tr]).predict(Zte)
        assert score == pytest.approx((pred == row).mean())


def test_probe_test_detects_planted_signal():
    X, y, groups = _states(n_groups=200, signal=1.0)
    res = probe_permutation_test(X, y, groups, n_perm=199)
    assert res.p_value == pytest.approx(1 / 200) and res.statistic > res.null_ci_high
    assert 0.4 < res.null_mean < 0.6 and res.n_null == 199 and res.n_groups == 200


def test_probe_test_is_calibrated_under_the_null():
    """No signal: rejections at alpha = 0.05 over 600 independent datasets lie in [0.03, 0.07]."""
    rej = [probe_permutation_test(*_states(n_groups=40, per=3, d=4, seed=s), n_perm=99, seed=s).p_value <= 0.05
           for s in range(600)]
    assert 0.03 <= np.mean(rej) <= 0.07, np.mean(rej)


def test_control_task_and_selectivity():
    types = np.array(list("aabbccddaa"))
    labels = np.array([0, 0, 1, 1, 1, 1, 0, 0, 0, 0])
    ctrl = control_task_labels(types, labels, seed=0)
    for t in set(types):
        assert len(set(ctrl[types == t])) == 1
    X, y, groups = _states(n_groups=150, signal=4.0)
    words = np.random.default_rng(0).integers(0, 30, len(y))
    sel = selectivity(X, y, words, groups)
    assert sel["accuracy"] > 0.85 and sel["selectivity"] > 0.15 and sel["control_accuracy"] < 0.75
    assert sel["selectivity"] == pytest.approx(sel["accuracy"] - sel["control_accuracy"])


@pytest.mark.parametrize("alternative", ["greater", "less", "two-sided"])
def test_generic_test_agrees_with_scipy(alternative):
    rng = np.random.default_rng(0)
    x, y = rng.normal(0.3, 1, 25), rng.normal(0, 1, 30)
    ours = permutation_test(x, y, kind="independent", alternative=alternative, n_perm=20000)
    ref = sps.permutation_test((x, y), lambda a, b, axis: a.mean(axis) - b.mean(axis), n_resamples=20000,
                               alternative=alternative, random_state=1)
    assert ours.statistic == pytest.approx(ref.statistic)
    assert ours.p_value == pytest.approx(ref.pvalue, abs=0.015)
    d = rng.normal(0.2, 1, 13)
    ours = permutation_test(d, kind="one-sample", alternative=alternative, n_perm=20000)
    ref = sps.permutation_test((d,), lambda a, axis: a.mean(axis), permutation_type="samples",
                               n_resamples=np.inf, alternative=alternative)
    assert ours.p_value == pytest.approx(ref.pvalue, abs=0.015)


@pytest.mark.parametrize("kind", ["paired", "independent"])
def test_generic_test_is_calibrated_under_the_null(kind):
    rng = np.random.default_rng(1)
    rej = []
    for s in range(1000):
        x, y = rng.normal(size=15), rng.normal(size=15)
        rej.append(permutation_test(x, y, kind=kind, n_perm=199, seed=s).p_value <= 0.05)
    assert 0.03 <= np.mean(rej) <= 0.07, np.mean(rej)


def test_within_strata_shuffles_keep_strata():
    x, y = np.array([0.0, 0.0, 10.0]), np.array([0.0, 10.0, 10.0])
    res = permutation_test(x, y, strata=(np.array([0, 0, 1]), np.array([0, 1, 1])), n_perm=500,
                           alternative="two-sided")
    # only values within stratum 0 ({0,0,0}) and 1 ({10,10,10}) swap: the difference never changes
    assert np.allclose(res.null, res.statistic)


def test_null_critical_value_is_on_the_tests_side():
    from neuronstats.stats.permutation import PermutationResult

    null = np.arange(101.0)
    assert PermutationResult(0.0, null, 0.5, "greater").null_ci_high == 95.0
    assert PermutationResult(0.0, null, 0.5, "less").null_ci_high == 5.0


def test_random_set_controls_are_the_same_result_type():
    from neuronstats.stats.controls import random_control_test
    from neuronstats.stats.permutation import PermutationResult

    res = random_control_test(0.1, np.linspace(0.2, 0.6, 101), alternative="less")
    assert isinstance(res, PermutationResult) and res.observed == res.statistic and res.control is res.null
    assert res.p_value == 1 / 102 and res.null_ci_high == np.quantile(res.null, 0.05)
