"""Permutation tests.

* :func:`probe_permutation_test` — held-out accuracy of a linear probe on states
  ``X`` (n × d) with labels ``y``, cross-validated grouped by example, against labels
  permuted at the example level. The statistic and its null come from the same
  classifier: a closed-form ridge classifier solved once per fold for *all* permuted
  label vectors at once (one matrix product), so 1,000 permutations cost about a second.
* :func:`permutation_test` — any vectorised statistic, one-sample/paired (sign flips)
  or independent samples (label shuffles, optionally within strata).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse

from neuronstats.stats.pvalues import null_pvalue


@dataclass
class PermutationResult:
    """A statistic against its null distribution (label permutations, sign flips, or the
    effects of random neuron sets): every null-distribution test of the stats layer
    returns one (a finding turns it into a stats row, :class:`~neuronstats.stats.row.NullTestResult`)."""

    statistic: float
    null: np.ndarray = field(repr=False)
    p_value: float
    alternative: str

    @property
    def n_null(self) -> int:
        return len(self.null)

    @property
    def null_mean(self) -> float:
        return float(np.mean(self.null))

    @property
    def null_ci_high(self) -> float:
        """The null's one-sided 5 % critical value on the side the test looks at: its 5th
        percentile for ``alternative="less"``, else its 95th (also for two-sided tests,
        whose effects the study expects in the upper direction)."""
        return float(np.quantile(self.null, 0.05 if self.alternative == "less" else 0.95))


@dataclass
class ProbeTest(PermutationResult):
    n_states: int = 0
    n_groups: int = 0
    n_classes: int = 0
    metric: str = "accuracy"


# -- grouped cross-validation --------------------------------------------------

def grouped_folds(groups, n_splits: int = 5, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train_idx, test_idx) pairs; all states of one group (example) fall in one fold."""
    groups = np.asarray(groups)
    uniq, inv = np.unique(groups, return_inverse=True)
    if len(uniq) < n_splits:
        raise ValueError(f"{len(uniq)} groups cannot make {n_splits} grouped folds")
    fold_of_group = np.random.default_rng(seed).permutation(len(uniq)) % n_splits
    fold = fold_of_group[inv]
    return [(np.flatnonzero(fold != k), np.flatnonzero(fold == k)) for k in range(n_splits)]


# -- example-level label permutations ------------------------------------------

def permuted_labels(y, groups, n_perm: int, seed: int = 0, strata=None) -> np.ndarray:
    """(n_perm, n) label vectors permuted at the example (group) level.

    If each group has one label (e.g. "which token is stored"), group labels are
    shuffled among groups (within ``strata`` when given, one stratum value per group).
    If labels vary within a group (e.g. steps remaining T − t, or "is t = T−1"), they are
    shuffled *within* each example: H0 is then that a state carries no information about
    its label beyond which example it belongs to. (Shuffling whole label sequences among
    examples would be degenerate here: examples of the same length share one sequence.)
    """
    y, groups = np.asarray(y), np.asarray(groups)
    rng = np.random.default_rng(seed)
    uniq, first, inv = np.unique(groups, return_index=True, return_inverse=True)
    constant = np.all(y == y[first][inv])
    if constant:
        glab = y[first]
        gstrata = np.zeros(len(uniq), dtype=int) if strata is None else np.asarray(strata)[first]
        # one random key per (permutation, group); sorting keys within each stratum shuffles it
        keys = rng.random((n_perm, len(uniq))) + 2.0 * np.unique(gstrata, return_inverse=True)[1]
        pos = np.argsort(keys, axis=1, kind="stable")  # groups ordered by stratum, random within
        by_stratum = np.argsort(gstrata, kind="stable")  # the same slots, in stratum order
        G = np.empty((n_perm, len(uniq)), dtype=y.dtype)
        np.put_along_axis(G, np.broadcast_to(by_stratum, pos.shape), glab[pos], axis=1)
        return G[:, inv]
    out = np.empty((n_perm, len(y)), dtype=y.dtype)
    if strata is not None:
        raise ValueError("strata are supported only for labels constant within each group")
    order = np.argsort(inv, kind="stable")  # states sorted by example
    for p in range(n_perm):
        shuffled = np.argsort(inv + rng.random(len(y)), kind="stable")  # by example, random within
        out[p, order] = y[shuffled]
    return out


def permuted_within_strata(y, strata, n_perm: int, seed: int = 0, chunk: int = 100) -> np.ndarray:
    """(n_perm, n) label vectors with the labels of the *states* shuffled among the states
    of the same stratum (e.g. the same time t, across examples). H0: the states carry no
    information about the label beyond the stratum — so a state that encodes only t
    cannot reject a counting or triggering probe (it does against a within-example
    shuffle, which breaks the t–label relation)."""
    y, strata = np.asarray(y), np.asarray(strata)
    rng = np.random.default_rng(seed)
    code = np.unique(strata, return_inverse=True)[1]
    by_stratum = np.argsort(code, kind="stable")
    out = np.empty((n_perm, len(y)), dtype=y.dtype)
    for a in range(0, n_perm, chunk):  # bounded memory: chunk × n keys at a time
        k = min(chunk, n_perm - a)
        keys = rng.random((k, len(y))) + 2.0 * code
        pos = np.argsort(keys, axis=1, kind="stable")
        block = np.empty((k, len(y)), dtype=y.dtype)
        np.put_along_axis(block, np.broadcast_to(by_stratum, pos.shape), y[pos], axis=1)
        out[a : a + k] = block
    return out


# -- the closed-form ridge probe -------------------------------------------------

def _class_sums(design: np.ndarray, codes: np.ndarray, w: np.ndarray, n_classes: int):
    """X^T Y and the intercepts for one-hot labels, without the one-hot: for each label set
    p and class c, the sum of the ``design`` columns (d × m) whose code is c, and the
    ``w``-weighted share of class c. Returns ((d, p·C) float32, (p, C)). A scatter-add of
    the columns (a sparse product), about 5× faster than the product with a (p, m, C) one-hot array at
    m = 6,400, C = 14, p = 1,000."""
    p, m = codes.shape
    flat = (codes.astype(np.int64) + n_classes * np.arange(p)[:, None]).ravel()  # row p·C + c
    member = scipy.sparse.csr_matrix((np.ones(p * m, np.float32), (flat, np.tile(np.arange(m), p))),
                                     shape=(p * n_classes, m))
    sums = np.asarray(member @ np.ascontiguousarray(design.T, dtype=np.float32))  # (p·C, d)
    share = np.bincount(flat, weights=np.tile(np.asarray(w, np.float64), p), minlength=p * n_classes)
    return sums.T.astype(np.float32), share.reshape(p, n_classes) / np.sum(w)


def ridge_cv_scores(X, label_sets, folds, n_classes: int, alpha: float = 1.0,
                    metric: str = "accuracy", groups=None) -> np.ndarray:
    """Held-out score of a ridge classifier for each row of ``label_sets`` (P × n integer
    codes), pooled over ``folds``. Features are standardised with the training fold's
    statistics; one ridge solve per fold serves every label set (float32 products).

    With ``groups`` whose labels are constant within each group, X^T Y is computed from
    per-group sums (d × n_groups × P instead of d × n × P). Rows of ``label_sets`` must
    then be example-level permutations of row 0 (as :func:`permuted_labels` makes);
    all rows are checked when there are at most 10, row 0 otherwise.
    Two classes use a single regression column thresholded midway between the classes'
    mean training scores (robust to class imbalance); more classes take the argmax.
    """
    X = np.asarray(X, dtype=np.float32)
    P, n = label_sets.shape
    d = X.shape[1]
    cols = 1 if n_classes == 2 else n_classes
    if groups is not None:
        _, first, ginv = np.unique(np.asarray(groups), return_index=True, return_inverse=True)
        check = label_sets if P <= 10 else label_sets[:1]
        if not np.all(check == check[:, first][:, ginv]):
            groups = None
        else:  # per-group feature sums and sizes, once for all folds
            order = np.argsort(ginv, kind="stable")
            gsize = np.bincount(ginv).astype(np.float64)
            gstart = np.concatenate([[0], np.cumsum(gsize[:-1]).astype(np.int64)])
            gsum = np.add.reduceat(X[order].astype(np.float64), gstart, axis=0)
    # raw per-fold sums, so each training fold's statistics are "all minus this fold"
    fold_stats = []
    for _, te in folds:
        Xf = X[te].astype(np.float64)
        fold_stats.append((Xf.sum(0), (Xf * Xf).sum(0), Xf.T @ Xf))
    tot = [sum(f[i] for f in fold_stats) for i in range(3)]
    hits = np.zeros((P, n_classes))
    counts = np.zeros((P, n_classes))
    for (tr, te), (s1, s2, gram) in zip(folds, fold_stats):
        m = len(tr)
        mu = (tot[0] - s1) / m
        var = (tot[1] - s2) / m - mu**2
        sd = np.sqrt(np.maximum(var, 0))
        sd[sd < 1e-12] = 1.0
        G = ((tot[2] - gram) - m * np.outer(mu, mu)) / np.outer(sd, sd) + alpha * m * np.eye(d)
        Xte = ((X[te] - mu) / sd).astype(np.float32)
        if groups is not None:  # collapse training states to per-group sums
            gid = np.unique(ginv[tr])
            w = gsize[gid]
            design = ((gsum[gid] - w[:, None] * mu) / sd).T.astype(np.float32)
            rows = first[gid]
        else:
            design = ((X[tr] - mu) / sd).T.astype(np.float32)
            rows, w = tr, np.ones(len(tr))
        step = max(1, int(5e7 // max(1, len(te) * cols)))
        for a in range(0, P, step):
            lab = label_sets[a : a + step]
            if cols == 1:
                Y = (lab[:, rows] == 1).astype(np.float32)[..., None]  # (p, m, 1)
                ybar = np.einsum("pmc,m->pc", Y, w.astype(np.float32)) / w.sum()  # intercepts
                XtY = np.einsum("dm,pmc->dpc", design, Y, optimize=True).reshape(d, -1)
            else:
                XtY, ybar = _class_sums(design, lab[:, rows], w, n_classes)
            W = np.linalg.solve(G, XtY).astype(np.float32)
            if cols == 1:
                # threshold midway between the two training classes' mean scores (the LDA rule
                # with equal priors): X_tr is centred, so the positives' summed features are
                # XtY and the negatives' are -XtY
                n1 = ybar[:, 0] * w.sum()
                m1 = (XtY * W).sum(0) / np.maximum(n1, 1)
                m0 = -(XtY * W).sum(0) / np.maximum(w.sum() - n1, 1)
                pred = (Xte @ W) > (m1 + m0) / 2  # (n_te, p)
            else:
                scores = (Xte @ W).reshape(len(te), len(lab), cols) + ybar[None]
                pred = scores.argmax(-1)  # (n_te, p)
            true = lab[:, te].T
            hit = pred == true
            for c in range(n_classes):
                is_c = true == c
                hits[a : a + step, c] += (hit & is_c).sum(0)
                counts[a : a + step, c] += is_c.sum(0)
    if metric == "accuracy":
        return hits.sum(1) / counts.sum(1)
    if metric == "balanced_accuracy":
        with np.errstate(invalid="ignore"):
            return np.nanmean(np.where(counts > 0, hits / np.maximum(counts, 1), np.nan), 1)
    raise ValueError(f"metric must be accuracy or balanced_accuracy, got {metric!r}")


def probe_permutation_test(X, y, groups, n_perm: int = 1000, n_splits: int = 5, alpha: float = 1.0,
                           metric: str = "accuracy", strata=None, seed: int = 0, state_strata=None) -> ProbeTest:
    """Is ``y`` linearly decodable from ``X`` on held-out examples beyond chance?

    H0: states carry no information about the labels beyond the example grouping (and
    beyond ``strata``, one value per example, when given). Statistic: grouped-CV held-out
    ``metric`` of a ridge classifier. Null: the same statistic for ``n_perm`` example-level
    label permutations — or, with ``state_strata`` (one value per state), permutations of
    the states' labels within those strata (:func:`permuted_within_strata`). One-sided p.
    """
    y = np.asarray(y)
    classes, codes = np.unique(y, return_inverse=True)
    if len(classes) < 2:
        raise ValueError("a probe needs at least two label values")
    folds = grouped_folds(groups, n_splits, seed)
    codes = codes.astype(np.int16 if len(classes) < 2**15 else np.int64)
    labels = np.empty((n_perm + 1, len(codes)), dtype=codes.dtype)
    labels[0] = codes
    if state_strata is not None:
        labels[1:] = permuted_within_strata(codes, state_strata, n_perm, seed + 1)
    else:
        labels[1:] = permuted_labels(codes, groups, n_perm, seed + 1, strata)
    scores = ridge_cv_scores(X, labels, folds, len(classes), alpha, metric, groups=groups)
    obs, null = float(scores[0]), scores[1:]
    return ProbeTest(obs, null, float(null_pvalue(obs, null, "greater")), "greater",
                     n_states=len(y), n_groups=len(np.unique(groups)), n_classes=len(classes), metric=metric)


def control_task_labels(types, labels, seed: int = 0) -> np.ndarray:
    """Hewitt & Liang (2019) control task: each distinct ``type`` (e.g. word) gets one
    random label drawn from the empirical distribution of ``labels``."""
    types, labels = np.asarray(types), np.asarray(labels)
    rng = np.random.default_rng(seed)
    utypes, inv = np.unique(types, return_inverse=True)
    vals, counts = np.unique(labels, return_counts=True)
    return vals[rng.choice(len(vals), size=len(utypes), p=counts / counts.sum())][inv]


def selectivity(X, y, types, groups, n_splits: int = 5, alpha: float = 1.0, metric: str = "accuracy",
                seed: int = 0) -> dict:
    """Probe score on the task minus its score on the control task (same probe, same folds)."""
    folds = grouped_folds(groups, n_splits, seed)
    y = np.asarray(y)
    ctrl = control_task_labels(types, y, seed)
    classes = np.unique(np.concatenate([y, ctrl]))
    codes = np.searchsorted(classes, np.stack([y, ctrl]))
    task, control = ridge_cv_scores(X, codes, folds, len(classes), alpha, metric, groups=groups)
    return {"accuracy": float(task), "control_accuracy": float(control), "selectivity": float(task - control)}


# -- generic permutation test ----------------------------------------------------

def _mean(x, axis=-1):
    return np.mean(x, axis=axis)


def _mean_diff(x, y, axis=-1):
    return np.mean(x, axis=axis) - np.mean(y, axis=axis)


def permutation_test(x, y=None, *, kind: str = "independent", statistic=None, alternative: str = "two-sided",
                     n_perm: int = 9999, strata=None, seed: int = 0) -> PermutationResult:
    """Permutation test of a vectorised statistic.

    kind="one-sample": H0 x is symmetric about 0; sign flips; default statistic mean.
    kind="paired": the one-sample test on x − y.
    kind="independent": H0 x and y exchangeable; labels shuffled (within ``strata``, a
    pair of arrays (strata_x, strata_y), when given); default statistic mean(x) − mean(y).
    ``statistic(x[, y], axis=-1)`` must accept a leading batch axis.
    """
    rng = np.random.default_rng(seed)
    x = np.asarray(x, dtype=float)
    if kind in ("one-sample", "paired"):
        d = x if kind == "one-sample" else x - np.asarray(y, dtype=float)
        stat = statistic or _mean
        signs = rng.choice(np.array([-1.0, 1.0]), size=(n_perm, len(d)))
        obs = float(stat(d, axis=-1))
        null = stat(signs * d, axis=-1)
    elif kind == "independent":
        y = np.asarray(y, dtype=float)
        stat = statistic or _mean_diff
        pooled = np.concatenate([x, y])
        nx = len(x)
        if strata is None:
            blocks = [np.arange(len(pooled))]
        else:
            s = np.concatenate([np.asarray(strata[0]), np.asarray(strata[1])])
            blocks = [np.flatnonzero(s == v) for v in np.unique(s)]
        idx = np.tile(np.arange(len(pooled)), (n_perm, 1))
        for b in blocks:
            idx[:, b] = b[rng.permuted(np.tile(np.arange(len(b)), (n_perm, 1)), axis=1)]
        perm = pooled[idx]
        obs = float(stat(x, y, axis=-1))
        null = stat(perm[:, :nx], perm[:, nx:], axis=-1)
    else:
        raise ValueError(f"kind must be one-sample, paired or independent, got {kind!r}")
    return PermutationResult(obs, np.asarray(null, dtype=float), float(null_pvalue(obs, null, alternative)),
                             alternative)
