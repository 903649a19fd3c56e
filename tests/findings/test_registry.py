"""Adding a finding is one module and one registry line: here a toy finding is declared
and registered in this file alone, and the API, the study and the report pick it up."""

import numpy as np
import pytest

import neuronstats as ns
from neuronstats.errors import InputError
from neuronstats.findings import registry
from neuronstats.findings.common import combined_test
from neuronstats.findings.result import FindingResult
from neuronstats.findings.spec import Finding
from neuronstats.paper import claims as claims_table
from neuronstats.study import check_findings


def toy_finding(ctx) -> FindingResult:
    """Share of correctly positioned test examples per seed, against a control of 0.5."""
    vals = [ctx.recs[s].correct[ctx.test_mask].astype(float) for s in range(len(ctx.models))]
    row = combined_test(**ctx.combined_kw("toy"), test="toy: positioned", test_id="toy.positioned", unit="all",
                        statistic="share", per_seed_values=vals, per_seed_null=[np.array([0.5])] * len(vals))
    return FindingResult("toy", [row])


TOY = Finding(name="toy", verb="toy_check", run=toy_finding, summary="A toy finding", tests=("toy.positioned",))


@pytest.fixture
def toy():
    registry.register(TOY)
    yield TOY
    registry.unregister("toy")


def test_a_registered_finding_runs_through_the_api_and_its_generated_verb(toy):
    models, examples = ns.load(ns.demo_runs(seeds=2), limit=200)
    rows = ns.analyse("toy", models, examples)
    assert rows.test_id.tolist() == ["toy.positioned"] and rows.finding.iloc[0] == "toy"
    verb_rows = ns.toy_check(models, examples)
    assert verb_rows.estimate.tolist() == rows.estimate.tolist()
    assert "n_sets" in ns.toy_check.__doc__
    with pytest.raises(InputError, match="did you mean 'n_sets'"):
        ns.toy_check(models, examples, n_sest=5)


def test_the_study_accepts_a_registered_finding(toy):
    check_findings(["storing", "toy"], "analysis.findings", None)
    registry.unregister("toy")
    with pytest.raises(InputError, match="unknown finding"):
        check_findings(["storing", "toy"], "analysis.findings", None)


def test_every_builtin_finding_declares_what_it_runs_and_checks():
    # the ledger joins on test ids: each claim's test belongs to one finding, which declares the claim
    declared = {t: f.name for f in registry.all_findings() for t in f.tests}
    table = claims_table()
    assert set(table.test_id) <= set(declared), set(table.test_id) - set(declared)
    for f in registry.all_findings():
        assert getattr(ns, f.verb) is not None
        mine = set(table[table.test_id.isin(f.tests)].claim_id)
        assert mine == set(f.claims), (f.name, mine ^ set(f.claims))
