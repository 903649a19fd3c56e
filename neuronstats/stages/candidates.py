"""Stage 1 — candidates: a linear SVM probe (the paper's) and recursive feature elimination.

Reported for every hypothesis:

* the paper's rule: LinearSVC *training* accuracy > 95 % → "plausible" (reported, not a test;
  on the same sample as RFE);
* the test: held-out balanced accuracy of a ridge probe under cross-validation grouped by
  example, against example-level label permutations (statistic and null from the same
  classifier; :func:`neuronstats.stats.permutation.probe_permutation_test`), and its
  selectivity over a control task (Hewitt & Liang 2019);
* candidates: RFE with a LinearSVC on a bounded, class-balanced sample of states
  (``max_states``; no class above 4× the rarest), features standardised once, ``step`` (fraction removed per round),
  down to ``n_candidates`` neurons (default: 40 % of the state, the paper's "lenient cut").
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_selection import RFE
from sklearn.svm import LinearSVC

from neuronstats.errors import InsufficientData
from neuronstats.stats.permutation import probe_permutation_test, selectivity


@dataclass
class Stage1:
    train_accuracy: float  # LinearSVC on all selected states (the paper's rule)
    plausible: bool  # train_accuracy > 0.95
    heldout_accuracy: float  # ridge, grouped CV, balanced accuracy
    p_value: float
    null_mean: float
    null_ci_high: float
    n_perm: int
    selectivity: float
    control_accuracy: float
    candidates: np.ndarray  # neuron ids
    ranking: np.ndarray = field(repr=False)  # RFE ranking per neuron (1 = kept)
    n_states: int = 0
    n_examples: int = 0
    null: np.ndarray = field(default=None, repr=False)  # the permutation null of heldout_accuracy
    null_kind: str = ""  # which permutation null
    null_b: np.ndarray | None = field(default=None, repr=False)  # the second null (labels varying in an example)
    heldout_accuracy_b: float | None = None  # the statistic that null_b is the null of (on t-centred states)


def _sample(y, groups, max_states: int, rng, max_ratio: float = 4.0) -> np.ndarray:
    """State indices for the SVM and RFE: at most ``max_states``, and no class more than
    ``max_ratio`` times the rarest (rare tokens would otherwise leave the balanced SVM
    with thousands of negatives per positive, slow to converge and no more informative)."""
    classes, counts = np.unique(y, return_counts=True)
    cap = min(max_states // len(classes), int(max_ratio * counts.min()))
    cap = max(cap, int(counts.min()))
    idx = [rng.choice(np.flatnonzero(y == c), min(cap, int(n)), replace=False) for c, n in zip(classes, counts)]
    return np.sort(np.concatenate(idx))


def stage1(X, y, groups, types, n_candidates: int | None = None, step: float = 0.1, max_states: int = 5000,
           n_perm: int = 1000, C: float = 1.0, seed: int = 0, t=None, T=None) -> Stage1:
    """Stage 1 on states ``X`` with labels ``y``. With the states' times ``t`` and their
    examples' target positions ``T``, the probe's null is one that time or position alone
    cannot pass (docs/statistics.md, "The nulls, and why"): labels constant within an
    example (storing) are permuted among examples of the same T; for labels varying within an example (counting,
    triggering) two tests must both reject (an intersection–union test): (A) labels
    permuted within each example (T, constant in an example, cannot pass), and (B) the
    same on the states with their mean at each t removed (elapsed time t cannot pass).
    p is the larger of the two; ``null`` is A's and ``null_b`` B's, each unshifted, so that
    a seed-level test can test the statistic against each (its row reports the one that
    binds). Shifting one null to the stricter of the two effects, as this stage once did,
    biased the control upwards: states carrying only t then gave rows significantly
    *below* their control in about 15 % of simulated studies.

    ``n_perm = 0`` skips the probe test and the selectivity (their fields are NaN) and
    returns the same candidates (for callers that need only the set)."""
    y = np.asarray(y)
    if len(np.unique(y)) < 2:
        raise InsufficientData("the hypothesis labels every selected state the same: nothing to separate")
    H = X.shape[1]
    n_candidates = n_candidates or max(1, int(round(0.4 * H)))
    mu, sd = X.mean(0), X.std(0)
    sd[sd == 0] = 1.0
    Z = (X - mu) / sd
    rng = np.random.default_rng(seed)
    idx = _sample(y, groups, max_states, rng)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        svm = LinearSVC(C=C, class_weight="balanced", max_iter=2000, dual="auto")
        train_acc = float(svm.fit(Z[idx], y[idx]).score(Z[idx], y[idx]))
        rfe = RFE(LinearSVC(C=C, class_weight="balanced", max_iter=2000, dual="auto"),
                  n_features_to_select=n_candidates, step=step).fit(Z[idx], y[idx])
    if n_perm == 0:  # the candidates only: they never depend on the probe test (drawn before it)
        nan = float("nan")
        return Stage1(train_acc, train_acc > 0.95, nan, nan, nan, nan, 0, nan, nan, np.flatnonzero(rfe.support_),
                      rfe.ranking_, len(y), len(np.unique(groups)), None, "not tested (n_perm = 0)")
    test, null_kind = probe_test(X, y, groups, n_perm, seed, t, T)
    sel = selectivity(X, y, types, groups, metric="balanced_accuracy", seed=seed)
    return Stage1(train_acc, train_acc > 0.95, test.statistic, test.p_value, test.null_mean, test.null_ci_high,
                  n_perm, sel["selectivity"], sel["control_accuracy"], np.flatnonzero(rfe.support_),
                  rfe.ranking_, len(y), len(np.unique(groups)), test.null, null_kind, getattr(test, "null_b", None),
                  getattr(test, "statistic_b", None))


def probe_test(X, y, groups, n_perm: int, seed: int, t=None, T=None):
    """The probe test with the null that fits the labels (see :func:`stage1`)."""
    groups = np.asarray(groups)
    first = np.unique(groups, return_index=True)[1]
    constant = np.all(y == y[first][np.unique(groups, return_inverse=True)[1]])
    kw = dict(n_perm=n_perm, metric="balanced_accuracy", seed=seed)
    if constant:
        if T is None:
            return probe_permutation_test(X, y, groups, **kw), "labels permuted among examples"
        return (probe_permutation_test(X, y, groups, strata=T, **kw),
                "labels permuted among examples of the same target position T")
    if t is None:
        return probe_permutation_test(X, y, groups, **kw), "labels permuted within each example"
    # Why not permute labels among the states of the same t instead: that breaks the
    # dependence between one example's labels across t, and states carrying only t then
    # rejected in 16 % of 300 simulated studies (tests/stages/test_probe_nulls.py).
    codes, inv = np.unique(np.asarray(t), return_inverse=True)
    means = np.zeros((len(codes), X.shape[1]), dtype=np.float64)
    np.add.at(means, inv, X)
    means /= np.bincount(inv)[:, None]
    Xr = (X - means[inv]).astype(X.dtype)
    a = probe_permutation_test(X, y, groups, **kw)
    b = probe_permutation_test(Xr, y, groups, **kw)
    a.p_value = max(a.p_value, b.p_value)
    a.null_b, a.statistic_b = b.null, b.statistic
    return a, ("two nulls, both must be rejected: labels permuted within each example (target position T "
               "alone cannot pass), and the same on states minus their mean at each t (elapsed time t alone "
               "cannot pass); the row reports the one that binds")
