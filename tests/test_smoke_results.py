"""The committed smoke study is what the code produces: rerun it (synthetic data, trained
here) and compare every table with results/smoke/. Byte for byte on a machine with the
committed run's arithmetic and library versions: there a change to the statistics cannot
leave committed tables behind. On any other machine only each table's columns and rows
(tests, units, cells, claims) are compared, since floats round differently there."""

import json
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "results" / "smoke"


@pytest.fixture(scope="session")
def smoke_rerun(tmp_path_factory):
    from neuronstats.cli import main

    out, cache = tmp_path_factory.mktemp("smoke"), tmp_path_factory.mktemp("smoke-cache")
    # two single-thread workers: 111 s against 161 s in this process on an idle 2-core machine, same tables
    rc = main(["replicate", str(ROOT / "analyses" / "smoke.toml"), "--out", str(out), "--workers", "2", "--quiet",
               "--cache-dir", str(cache)])
    assert rc == 0
    return out, cache


def _tables(folder: Path) -> set:
    return {p.relative_to(folder) for p in folder.rglob("*") if p.suffix in (".csv", ".tex")}


ID_COLUMNS = ("claim_id", "dataset", "cell", "finding", "test_id", "unit", "statistic", "reading")


def _rows(path: Path) -> list:
    """A table's header and each row's identity: the identifying columns of a CSV, the
    first cell of a LaTeX row; not its numbers."""
    if path.suffix == ".csv":
        t = pd.read_csv(path, dtype=str, keep_default_na=False)
        return [list(t.columns), *t[[c for c in ID_COLUMNS if c in t.columns]].itertuples(index=False, name=None)]
    return [line.split("&")[0] for line in path.read_text().splitlines()]


def test_committed_smoke_tables_hold_the_rows_a_rerun_writes(smoke_rerun):
    """On any machine: the rerun writes the committed tables, with their columns and rows
    (tests, units, cells, claims) in the same order."""
    smoke_rerun = smoke_rerun[0]
    committed, rerun = _tables(COMMITTED), _tables(smoke_rerun)
    assert committed == rerun, (f"tables only committed: {sorted(committed - rerun)}; "
                                f"only rerun: {sorted(rerun - committed)}")
    differ = [str(p) for p in sorted(committed) if _rows(COMMITTED / p) != _rows(smoke_rerun / p)]
    assert not differ, (f"{len(differ)} committed tables have other rows or columns than the code writes: "
                        f"{differ[:8]}; regenerate: neuronstats replicate analyses/smoke.toml --out results/smoke "
                        "--workers 0")


def test_committed_smoke_tables_are_byte_identical_to_a_rerun(smoke_rerun):
    """On a machine with the committed run's arithmetic (its manifest's ``arithmetic``):
    every table byte for byte. On another CPU, floats round differently in their last
    digits and near-ties (a neuron RFE drops) can go the other way, so only the rows are
    compared (the test above)."""
    smoke_rerun = smoke_rerun[0]
    committed, here = (json.loads((f / "manifest.json").read_text()) for f in (COMMITTED, smoke_rerun))
    if committed.get("arithmetic") != here["arithmetic"]:
        pytest.skip(f"results/smoke was computed on {committed.get('arithmetic', 'a machine not recorded')}; "
                    f"this machine is {here['arithmetic']}")
    libraries = [{k: v for k, v in m["versions"].items() if k != "neuronstats"} for m in (committed, here)]
    if libraries[0] != libraries[1]:
        pytest.skip(f"results/smoke was computed with {libraries[0]}; these are {libraries[1]}")
    differ = [str(p) for p in sorted(_tables(COMMITTED))
              if (COMMITTED / p).read_bytes() != (smoke_rerun / p).read_bytes()]
    assert not differ, (f"{len(differ)} committed tables differ from what the code produces: {differ[:8]}; "
                        "regenerate: neuronstats replicate analyses/smoke.toml --out results/smoke --workers 0")


def test_sensitivity_readings_on_the_smoke_models(smoke_rerun, tmp_path, monkeypatch):
    """Two readings end to end on the smoke study's models: each table holds the study's
    reading and the alternatives, judged by the same rule, for the claims they touch. Each
    job's rows are cached in the partial folder: a rerun computes nothing and gives the
    same tables."""
    import pandas as pd

    from neuronstats import sensitivity
    from neuronstats.report.sensitivity import COLUMNS, flag
    from neuronstats.sensitivity import run_sensitivity
    from neuronstats.study import load_study

    out, cache = smoke_rerun
    study = load_study(ROOT / "analyses" / "smoke.toml")
    summary = pd.read_csv(out / "summary.csv")
    tables = run_sensitivity(study, summary, cache_dir=cache, which=("triggering", "x_t"), partial_dir=tmp_path)
    assert len(list(tmp_path.glob("sensitivity-synthetic-*.json"))) == 2  # one per job
    monkeypatch.setattr(sensitivity, "_reading_rows", lambda *a: pytest.fail("a cached job ran again"))
    again = run_sensitivity(study, summary, cache_dir=cache, which=("triggering", "x_t"), partial_dir=tmp_path)
    for reading, table in tables.items():
        pd.testing.assert_frame_equal(table, again[reading])
    trig, xt = tables["triggering"], tables["x_t"]
    assert list(trig.columns) == list(COLUMNS) and list(xt.columns) == list(COLUMNS)
    assert set(trig.value) == {"every T >= k+1", "T = 6 only"}
    assert set(trig.claim_id) == {f"triggering-k{k}-gutenberg" for k in (1, 2, 3, 4)}
    assert trig.groupby("value").is_study_reading.first().to_dict() == {"every T >= k+1": True, "T = 6 only": False}
    assert {"start token kept", "draws matched to word frequencies"} <= set(xt.value)
    flagged = flag(pd.DataFrame({"claim_id": ["x-t-negligible"], "verdict": ["?"]}), [xt])
    assert flagged.sensitive.dtype == bool


@pytest.mark.slow  # about a minute: a second replicate of the smoke study (its findings cached), reports included
def test_replicate_runs_the_sensitivity_readings_in_the_same_run(smoke_rerun, tmp_path, monkeypatch):
    """``replicate --sensitivity`` (what ``tox -e analyses`` runs): the readings' tables are
    those of ``neuronstats sensitivity`` on the same results (one reading run here, for time)."""
    import shutil

    import pandas as pd

    from neuronstats import sensitivity
    from neuronstats.cli import main
    from neuronstats.sensitivity import READINGS, run_sensitivity
    from neuronstats.study import load_study

    monkeypatch.setattr(sensitivity, "GROUPS", (("triggering",),))
    out, cache = smoke_rerun
    both = tmp_path / "both"
    shutil.copytree(out, both)  # the findings are cached in .partial: only the readings run here
    assert main(["replicate", str(ROOT / "analyses" / "smoke.toml"), "--out", str(both), "--workers", "0",
                 "--quiet", "--cache-dir", str(cache), "--sensitivity"]) == 0
    assert {f"{r}.csv" for r in READINGS} <= {p.name for p in (both / "sensitivity").iterdir()}
    alone = run_sensitivity(load_study(ROOT / "analyses" / "smoke.toml"), pd.read_csv(out / "summary.csv"),
                            cache_dir=cache, which=("triggering",))["triggering"]
    pd.testing.assert_frame_equal(pd.read_csv(both / "sensitivity" / "triggering.csv"),
                                  pd.read_csv(pd.io.common.StringIO(alone.to_csv(index=False, float_format="%.6g"))))
    assert (pd.read_csv(both / "summary.csv")).equals(pd.read_csv(out / "summary.csv"))


def test_no_committed_row_rejects_against_its_alternative():
    import pandas as pd

    from neuronstats.stats.multitest import in_direction

    for path in (COMMITTED / "summary.csv", ROOT / "results" / "summary.csv"):
        s = pd.read_csv(path)
        if "alternative" not in s:  # results written before rows carried their alternative
            pytest.skip(f"{path} predates the alternative column")
        rejecting = s[s.reject.astype(str) == "True"]
        assert in_direction(rejecting).all(), rejecting[~in_direction(rejecting)][["dataset", "cell", "test_id"]]


def test_result_file_names_have_no_spaces(smoke_rerun):
    """A cell such as "gru untrained" names its figures with an underscore: file names
    with spaces break shell globs and links in the report."""
    assert not [str(p) for p in smoke_rerun[0].rglob("*") if " " in p.name]


def test_every_pooled_claim_finds_its_pooled_row(smoke_rerun):
    """A claim judged on a pooled row needs a finding that writes one: the §5 keep-only
    gate claims once read "not run" in every study because the gates finding wrote
    per-token rows only."""
    import pandas as pd

    from neuronstats.paper import claims, unit_matches

    summary = pd.read_csv(smoke_rerun[0] / "summary.csv")
    trained = summary[summary.cell == "gru"]
    missing = [c.claim_id for c in claims().itertuples() if c.unit == "pooled"
               and not any(unit_matches(c.unit, str(u)) for u in trained.unit[trained.test_id == c.test_id])]
    assert not missing, f"claims without a pooled row in the smoke study: {missing}"


def test_ci_pins_the_library_versions_results_smoke_was_computed_with():
    """CI installs through .ci/constraints.txt; pinned to the committed smoke run's versions,
    the byte-for-byte comparison above runs in CI instead of skipping on a patch release."""
    lines = [line.split("#")[0].strip() for line in (ROOT / ".ci" / "constraints.txt").read_text().splitlines()]
    pins = {name.replace("scikit-learn", "sklearn"): pin for name, pin in (line.split("==") for line in lines if line)}
    versions = json.loads((COMMITTED / "manifest.json").read_text())["versions"]
    recorded = {name: v.split("+")[0] for name, v in versions.items() if name not in ("neuronstats", "python")}
    assert set(recorded) <= set(pins), f"not pinned in .ci/constraints.txt: {sorted(set(recorded) - set(pins))}"
    differ = {name: (pins[name], v) for name, v in recorded.items() if pins[name] != v}
    assert not differ, f"(pin in .ci/constraints.txt, version in results/smoke/manifest.json): {differ}"
