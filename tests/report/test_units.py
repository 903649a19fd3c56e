"""One rule for how a statistic is shown (neuronstats.report.units): the ledger's reasons,
the report's tables and the README's claims table all use it."""

import re
from pathlib import Path

import pandas as pd
import pytest

from neuronstats.report.units import per_row, unit_of, units_by_test, value, with_ci

RESULTS = Path(__file__).resolve().parents[2] / "results"


def test_rates_are_percent_differences_of_rates_pp_other_statistics_numbers():
    assert unit_of("accuracy") == "%"
    assert unit_of("share moved by k") == "%"
    assert unit_of("balanced-accuracy difference") == "pp"
    assert unit_of("difference of seed means", "accuracy") == "pp"
    assert unit_of("difference of seed means", "mean |h_T|") == ""
    for number in ("mean |h_T|", "mean z", "mean |Spearman rho| (t, value)",
                   "slope of per-example rate vs T / mean rate"):
        assert unit_of(number) == ""
    assert with_ci(0.976, 0.97, 0.982, "%") == "97.6 % [97.0, 98.2]"
    assert with_ci(-0.03, -0.05, -0.01, "pp") == "-3.0 pp [-5.0, -1.0]"
    assert value(0.8254, "") == "0.825"
    assert per_row("gutenberg: 0.976 [0.97, 0.982]; lyrics: 0.98 [0.974, 0.986]", "%") == \
        "gutenberg: 97.6 % [97.0, 98.2]; lyrics: 98.0 % [97.4, 98.6]"
    assert per_row("not a row", "%") == "not a row"


def test_units_by_test_gives_a_comparison_row_its_own_tests_unit():
    summary = pd.DataFrame({"test_id": ["storing.zero", "storing.zero.vs_untrained", "outputting.near_pm1",
                                        "outputting.near_pm1.vs_untrained"],
                            "statistic": ["accuracy", "difference of seed means", "mean |h_T|",
                                          "difference of seed means"]})
    assert units_by_test(summary) == {"storing.zero": "%", "storing.zero.vs_untrained": "pp",
                                      "outputting.near_pm1": "", "outputting.near_pm1.vs_untrained": ""}


@pytest.mark.skipif(not (RESULTS / "claims.csv").is_file(), reason="no committed results")
def test_every_committed_reason_states_its_estimate_as_the_tables_show_it():
    """The ledger's reason gives each claim's (first row's) estimate in the unit the report
    and the README show it in: 0.825 for a mean |rho|, 43.1 % for an accuracy, not 82.5 %
    beside 0.825 or 0.431 beside 43.1 %."""
    claims, summary = pd.read_csv(RESULTS / "claims.csv"), pd.read_csv(RESULTS / "summary.csv")
    units = units_by_test(summary)
    for c in claims.itertuples():
        m = re.match(r"([\w+-]+): (\S+) \[", str(c.per_row))
        if m is None or c.verdict.startswith("not run"):
            continue
        shown = value(float(m.group(2)), units.get(c.test_id, ""))
        assert shown in str(c.reason), (c.claim_id, shown, c.reason[:200])


@pytest.mark.skipif(not (RESULTS / "claims.csv").is_file(), reason="no committed results")
def test_a_claim_on_a_number_states_its_margin_in_the_numbers_units():
    """The ledger's margin is 5 pp for a rate and 0.05 for a gate mean or a correlation: a
    reason on a statistic that is no rate never speaks of percentage points."""
    claims, summary = pd.read_csv(RESULTS / "claims.csv"), pd.read_csv(RESULTS / "summary.csv")
    units = units_by_test(summary)
    numbers = [c for c in claims.itertuples() if units.get(c.test_id) == "" and "margin" in str(c.reason)]
    assert numbers, "no committed claim on a number mentions the margin: the test checks nothing"
    for c in numbers:
        assert " pp" not in str(c.reason), (c.claim_id, c.reason[:200])
