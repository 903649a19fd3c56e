"""Storing statistics against recordings with planted storing neurons (ground truth)."""

import numpy as np

from neuronstats.findings.common import subset_recording
from neuronstats.findings.storing import pca_points, split_overlap, stability
from neuronstats.stats.controls import random_neuron_sets
from tests.findings.planted import planted_recording

STORERS = [10, 11, 12, 13]


def test_planted_storing_set_is_more_stable_than_random_sets():
    rec = planted_recording(storers=STORERS, counters=())
    sets = random_neuron_sets(40, 4, 50, exclude=STORERS)
    sd = stability(rec, np.arange(rec.n), [STORERS] + list(sets))
    assert sd.shape == (51, rec.n)
    assert np.allclose(sd[0], 0) and (sd[1:].mean(1) > 0.8).all()  # N(0, 1) states: SD near 1


def test_pca_of_planted_storers_separates_tokens():
    rec = planted_recording(storers=STORERS, counters=())
    d = pca_points(rec, [5, 6, 7], [STORERS[:2], STORERS[2:]])
    pc1, tok = np.array(d["pc1"]), np.array(d["token"])
    assert d["n_neurons"] == 4 and d["explained"][0] > 0.99
    means = [pc1[tok == w].mean() for w in (5, 6, 7)]
    assert np.all(np.diff(means) > 0) or np.all(np.diff(means) < 0)  # ordered by the planted constant
    assert max(pc1[tok == w].std() for w in (5, 6, 7)) < 1e-4


def test_subset_recording_slices_every_array():
    rec = planted_recording()
    sub = subset_recording(rec, [3, 7])
    assert sub.n == 2 and np.array_equal(sub.dec_h, rec.dec_h[[3, 7]]) and np.array_equal(sub.T, rec.T[[3, 7]])


def test_position_independence_is_judged_against_other_tokens_sets():
    generic = [0, 1, 2, 3]  # neurons the pipeline would pick for any token
    own = {5: [10, 11], 6: [20, 21], 7: [30, 31]}
    same = {t: (generic + n, generic + n) for t, n in own.items()}  # each token's set agrees across strata
    shared, null = split_overlap(same, 5)
    assert shared == 1.0 and np.allclose(null, 4 / 6)  # beyond the generic overlap: position-independent
    moving = {t: (generic + n, generic + [x + 5 for x in n]) for t, n in own.items()}  # only generic ones agree
    shared, null = split_overlap(moving, 5)
    assert shared == 4 / 6 and np.allclose(null, 4 / 6)  # no more than another token's: no evidence
    assert split_overlap({5: same[5]}, 5) is None and split_overlap({5: None, 6: same[6]}, 5) is None
