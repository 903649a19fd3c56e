"""Verdict rules on hand-made rows: each verdict is reachable and only by its rule."""

import numpy as np
import pandas as pd

from neuronstats.report.ledger import ledger


def _row(test_id, unit, estimate, null, reject, ci=0.02, dataset="gutenberg", cell="gru", p=0.001):
    return {"dataset": dataset, "cell": cell, "finding": test_id.split(".")[0], "test": test_id, "test_id": test_id,
            "unit": unit, "estimate": estimate, "ci_low": estimate - ci, "ci_high": estimate + ci,
            "null_mean": null, "p_adjusted": p if reject else 0.5, "reject": reject, "notes": ""}


def _verdicts(rows):
    c = ledger(pd.DataFrame(rows))
    return dict(zip(c.claim_id, c.verdict)), c


def test_each_verdict_by_its_rule():
    rows = [_row("positioning.accuracy", "all examples", 0.979, 0.01, True),
            _row("positioning.accuracy", "all examples", 0.95, 0.01, True, dataset="lyrics"),
            _row("storing.zero", "token 5 'the'", 0.21, 0.8, True),
            _row("storing.zero", "token 6 'a'", 0.19, 0.8, True),
            _row("counting.shift", "k = 1", 0.5, 0.1, True), _row("counting.shift", "k = 2", 0.2, 0.3, True),
            _row("counting.shift", "k = 3", 0.2, 0.19, False),
            _row("outputting.near_pm1", "token 5 'the'", 0.3, 0.5, True),
            _row("storing.stable", "token 5 'the'", 0.1, 0.1, False)]
    v, c = _verdicts(rows)
    assert v["pos-gutenberg-gru"] == "supported"  # 97.9 vs 98.5: within the CI/margin, and it rejects
    assert v["pos-lyrics-gru"] == "supported"  # 95.0 vs 98.1: within the 5 pp margin
    assert v["storing-zero-gutenberg"] == "supported"
    assert v["counting-k1-gutenberg"] == "weaker than reported"  # 50 % vs 99.5 %
    assert v["counting-k2-gutenberg"] == "contradicted"  # significant, but below its control
    assert v["counting-k3-gutenberg"] == "not supported"
    assert v["outputting-near-pm1"] == "contradicted"  # the claimed direction is 'greater'
    assert v["storing-stable"] == "not supported"
    assert v["gates-z-masked"] == "not testable here"  # no such test is run
    assert "accuracy" in c.columns[c.columns.str.contains("accuracy")][0]


def test_partial_units_and_the_accuracy_floor():
    rows = [_row("positioning.accuracy", "all examples", 0.5, 0.01, True),
            _row("storing.zero", "token 5 'the'", 0.2, 0.8, True), _row("storing.zero", "token 6 'a'", 0.7, 0.8, False)]
    v, c = _verdicts(rows)
    assert v["storing-zero-gutenberg"] == "not testable here"  # 50 % models: below the 90 % floor
    assert "floor" in c.set_index("claim_id").loc["storing-zero-gutenberg", "reason"]
    rows[0]["estimate"] = 0.97
    v, c = _verdicts(rows)
    assert v["storing-zero-gutenberg"] == "weaker than reported"
    assert c.set_index("claim_id").loc["storing-zero-gutenberg", "units_rejecting"] == "1 of 2"


def test_no_effect_and_range_claims():
    rows = [_row("positioning.accuracy", "all examples", 0.97, 0.01, True),
            _row("x_t.random_inputs", "all tokens", 0.97, np.nan, True),
            _row("storing.size", "token 5 'the'", 0.30, np.nan, False)]
    v, _ = _verdicts(rows)
    assert v["x-t-negligible"] == "supported" and v["storing-size"] == "not supported"


def test_a_claim_the_untrained_baseline_also_passes_is_not_supported():
    rows = [_row("positioning.accuracy", "all examples", 0.97, 0.01, True),
            _row("outputting.near_pm1", "token 5 'the'", 0.8, 0.5, True),
            _row("outputting.near_pm1", "token 5 'the'", 0.7, 0.5, True, cell="gru untrained")]
    v, c = _verdicts(rows)
    assert v["outputting-near-pm1"] == "not supported"
    assert "untrained baseline" in c.set_index("claim_id").loc["outputting-near-pm1", "reason"]
    rows[-1]["reject"] = False  # the baseline does not pass: the claim still rests on beating it
    v, c = _verdicts(rows)
    assert v["outputting-near-pm1"] == "not supported"
    assert "no trained-vs-untrained comparison" in c.set_index("claim_id").loc["outputting-near-pm1", "reason"]
    vs = _row("outputting.near_pm1.vs_untrained", "token 5 'the'", 0.1, 0.0, True, cell="gru - gru untrained")
    v, c = _verdicts(rows + [vs])
    assert v["outputting-near-pm1"] == "supported"
    assert "does not pass this test" in c.set_index("claim_id").loc["outputting-near-pm1", "reason"]


def test_the_stricter_control_the_trained_effect_beyond_the_untrained_networks():
    base = [_row("positioning.accuracy", "all examples", 0.97, 0.01, True),
            _row("outputting.keep_only", "token 5 'the'", 1.0, 0.3, True),
            _row("outputting.keep_only", "token 6 'a'", 1.0, 0.3, True),
            _row("outputting.keep_only", "token 5 'the'", 0.02, 0.0, True, cell="gru untrained")]

    def vs(est_a, rej_a, est_b=0.7, rej_b=True):
        cell, tid = "gru - gru untrained", "outputting.keep_only.vs_untrained"
        return [_row(tid, "token 5 'the'", est_a, 0.0, rej_a, cell=cell),
                _row(tid, "token 6 'a'", est_b, 0.0, rej_b, cell=cell)]

    v, c = _verdicts(base)  # no comparison rows: the baseline's pass decides
    assert v["outputting-keep-only"] == "not supported"
    v, c = _verdicts(base + vs(0.68, True))
    assert v["outputting-keep-only"] == "supported"
    assert "exceeds the untrained network's in all 2 units" in c.set_index("claim_id").loc["outputting-keep-only",
                                                                                            "reason"]
    v, _ = _verdicts(base + vs(0.68, False))
    assert v["outputting-keep-only"] == "weaker than reported"
    v, _ = _verdicts(base + vs(-0.3, True, -0.2, True))  # significant, but the untrained network's effect is larger
    assert v["outputting-keep-only"] == "not supported"


def test_a_part_run_names_what_it_left_out_only_where_it_did():
    rows = [_row("positioning.accuracy", "all examples", 0.97, 0.01, True)]
    c = ledger(pd.DataFrame(rows), coverage="left out: cells lstm").set_index("claim_id")
    assert "left out: cells lstm" in c.loc["pos-lstm", "reason"]  # no LSTM rows in this run
    assert "does not run that test" in c.loc["gates-z-masked", "reason"]  # GRU is in the run: the test is not
