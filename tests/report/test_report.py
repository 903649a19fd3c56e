"""report.html: self-contained, every claim in claims.csv, and it renders in a real
headless browser with every image loaded and no console error; only the study's own
figures, a table of contents whose every link lands, and a page a reviewer can read
(at most 15,000 px tall at 1,400 px wide, the tables folded)."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import matplotlib
import pandas as pd
import pytest

from neuronstats.paper import claims
from neuronstats.report.html import build_report
from neuronstats.report.ledger import VERDICTS

matplotlib.use("Agg")
BROWSER_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _results(tmp_path):
    import matplotlib.pyplot as plt

    rows = [{"dataset": "gutenberg", "cell": "gru", "finding": "positioning", "test": "w at T", "unit": "all examples",
             "test_id": "positioning.accuracy", "statistic": "accuracy", "estimate": 0.97, "ci_low": 0.96,
             "ci_high": 0.98, "null_mean": 0.01, "p_adjusted": 0.001, "reject": True, "notes": "n"},
            {"dataset": "gutenberg", "cell": "gru", "finding": "storing", "test": "zero storing set at T-1",
             "unit": "pooled: 1 token ('the')", "test_id": "storing.zero", "statistic": "accuracy", "estimate": 0.2,
             "ci_low": 0.15, "ci_high": 0.25, "null_mean": 0.8, "p_adjusted": 0.001, "reject": True, "notes": "<b>"}]
    pd.DataFrame(rows).to_csv(tmp_path / "summary.csv", index=False)
    (tmp_path / "manifest.json").write_text(json.dumps({"study": "t", "models": {
        "gutenberg-gru-s0": {"test_accuracy": 0.97, "epochs": 8, "stopped": "max_epochs", "train_seconds": 60}}}))
    (tmp_path / "gutenberg" / "figures").mkdir(parents=True)
    (tmp_path / "figures").mkdir()
    for p in (tmp_path / "gutenberg" / "figures" / "fig2_storing_pca_gru.png", tmp_path / "figures" / "table1.png"):
        fig, ax = plt.subplots(figsize=(2, 2))
        ax.plot([0, 1], [0, 1])
        fig.savefig(p)
        plt.close(fig)
    return tmp_path


def _png(path, size=(2, 2)):
    import matplotlib.pyplot as plt

    path.parent.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=size)
    ax.plot([0, 1], [0, 1])
    fig.savefig(path)
    plt.close(fig)


def _big_results(tmp_path):
    """A study's results the size of the replication's (1,700 rows over two datasets, two
    cells, the untrained baseline and both comparisons), its figures, fine-tuned models,
    and a smaller study's results nested inside it (as results/smoke is in results/)."""
    rows = []
    tests = [("storing.probe", "held-out balanced accuracy"), ("storing.selectivity", "balanced-accuracy difference"),
             ("storing.zero", "accuracy"), ("storing.previous", "accuracy"),
             ("storing.stable", "mean within-example SD of h_t"), ("storing.size", "fraction of neurons")]
    units = [f"token {i} 'w{i}'" for i in range(20)]
    for ds in ("gutenberg", "lyrics"):
        for cell in ("gru", "lstm", "gru untrained", "lstm untrained", "gru - gru untrained",
                     "lstm - lstm untrained", "gru - lstm"):
            comparison = " - " in cell
            for tid, stat in tests:
                for k, unit in enumerate(units):
                    est = 0.2 + 0.01 * k
                    rows.append({"dataset": ds, "cell": cell, "finding": "storing", "test": tid.split(".")[1],
                                 "unit": unit, "test_id": tid + (".gru_vs_lstm" if cell == "gru - lstm" else
                                                                 ".vs_untrained" if comparison else ""),
                                 "statistic": "difference of seed means" if comparison else stat,
                                 "estimate": est, "ci_low": est - 0.05, "ci_high": est + 0.05, "null_mean": 0.8,
                                 "p_adjusted": 0.001 if k % 3 else 0.5, "reject": bool(k % 3), "n_seeds": 5,
                                 "n_examples": 1000, "notes": "null: the same replacement on random sets; models' "
                                 f"test positioning accuracy 97.6 % ({ds} {cell}); a note that is long enough to "
                                 "wrap over several lines of the table when a reviewer opens it"})
        for cell in ("gru", "lstm"):
            rows.append({"dataset": ds, "cell": cell, "finding": "positioning", "test": "w at T",
                         "unit": "all examples", "test_id": "positioning.accuracy", "statistic": "accuracy",
                         "estimate": 0.97,
                         "ci_low": 0.96, "ci_high": 0.98, "null_mean": 0.03, "null_ci_high": 0.04, "p_adjusted": 0.001,
                         "reject": True, "n_seeds": 5, "n_examples": 5000, "paper_value": 0.985, "notes": "n"})
    pd.DataFrame(rows).to_csv(tmp_path / "summary.csv", index=False)
    models = {f"{ds}-{cell}-s{s}": {"name": f"{ds}-{cell}-s{s}", "test_accuracy": 0.97, "epochs": 8,
                                    "stopped": "max_epochs", "train_seconds": 600, "device": "cpu"}
              for ds in ("gutenberg", "lyrics") for cell in ("gru", "lstm") for s in range(5)}
    (tmp_path / "manifest.json").write_text(json.dumps({
        "study": "big", "datasets": {"gutenberg": {}, "lyrics": {}}, "fine_tuned_from": {"lyrics": "gutenberg"},
        "models": models}))
    for ds in ("gutenberg", "lyrics"):
        for cell in ("gru", "lstm"):
            _png(tmp_path / ds / "figures" / f"fig2_storing_pca_{cell}.png", (10, 4.4))
    nested = tmp_path / "smoke"  # another study's results inside this one: none of its figures belong here
    nested.mkdir()
    pd.DataFrame(rows[:3]).to_csv(nested / "summary.csv", index=False)
    _png(nested / "figures" / "table1.png")
    _png(nested / "synthetic" / "figures" / "fig2_storing_pca_gru.png")
    return tmp_path


def _anchors_and_ids(text):
    toc = text[text.index("<nav"):text.index("</nav>")]
    return re.findall(r"href='#([^']+)'", toc), set(re.findall(r"\bid=['\"]?([\w-]+)", text))


def test_report_is_folded_and_shows_only_its_own_figures_in_percent(tmp_path):
    res = _big_results(tmp_path)
    text = build_report(res)["report"].read_text()
    sources = re.findall(r"data-source='([^']+)'", text)
    assert text.count("<img") == len(sources) == text.count("src='data:image/png;base64,") == 5
    assert sorted(sources) == ["figures/table1.png"] + [f"{ds}/figures/fig2_storing_pca_{c}.png"
                                                         for ds in ("gutenberg", "lyrics") for c in ("gru", "lstm")]
    assert not any(s.startswith("smoke/") for s in sources)  # the nested study's figures stay out
    anchors, ids = _anchors_and_ids(text)
    assert {"claims", "finding-storing", "finding-positioning", "table1", "models"} <= set(anchors) <= ids
    assert text.index("id=claims") < text.index("id='finding-positioning'") < text.index("id='finding-storing'")
    # the storing rows: one fold per dataset × kind of row, its summary line with the counts
    assert "<b>gutenberg</b>, trained models (GRU, LSTM): 240 rows, 156 reject</summary>" in text
    assert "<b>lyrics</b>, GRU vs LSTM: 120 rows, 78 reject</summary>" in text
    assert text.count("<details>") >= 8 and "<details open>" not in text.replace("<details open><summary>20 models", "")
    assert "what to look for" in text and "Fig. 2, storing neurons, gutenberg, LSTM (seed 0)." in text
    # fractions as %, differences of fractions in pp; a statistic that is not a fraction as it is
    assert "20.0 % [15.0, 25.0]" in text and "+20.0 pp [+15.0, +25.0]" in text and "0.2 [0.15, 0.25]" in text
    assert "98.5 %" in text and ">0.985<" not in text
    # the models table says which models are fine-tunes, and of what
    assert "fine-tuned from" in text and "<td>gutenberg-lstm-s3</td>" in text
    assert "the <b>lyrics</b> models are fine-tunes of the <b>gutenberg</b> models" in text


def test_report_is_self_contained_and_lists_every_claim(tmp_path):
    out = build_report(_results(tmp_path))
    text = out["report"].read_text()
    assert "http://" not in text and "https://" not in text  # nothing fetched from a network
    assert text.count("data:image/png;base64,") == 2 and "&lt;b&gt;" in text  # figures embedded, text escaped
    got = pd.read_csv(tmp_path / "claims.csv")
    assert list(got.claim_id) == list(claims().claim_id)
    assert got.set_index("claim_id").loc["storing-zero-gutenberg", "verdict"] == "supported"
    assert "\\toprule" in (tmp_path / "claims.tex").read_text()


def _browser():
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("no Chromium here (.ci/run installs Debian's chromium package for this test)")
    return browser


# measured in the page: every TOC link that lands on no element, the page's height, and
# where each image comes from (its src scheme and the study file it was read from)
PROBE = """<script>
window.addEventListener('load', function () {
  var b = document.body, links = Array.prototype.slice.call(document.querySelectorAll('nav a'));
  b.setAttribute('data-toc-links', links.length);
  b.setAttribute('data-unresolved', links.filter(function (a) {
    var h = a.getAttribute('href');
    return h.charAt(0) !== '#' || !document.getElementById(h.slice(1)); }).map(function (a) {
    return a.getAttribute('href'); }).join(' '));
  b.setAttribute('data-height', document.documentElement.scrollHeight);
  b.setAttribute('data-sources', Array.prototype.map.call(document.querySelectorAll('[src]'), function (e) {
    return e.getAttribute('src').split(',')[0] + '|' + (e.getAttribute('data-source') || ''); }).join(' '));
});
</script>"""


def _measure(browser, report: Path, tmp_path) -> dict:
    """Open ``report`` (with :data:`PROBE` added) in headless Chromium at 1,400 px wide."""
    probe = report.with_name("probe.html")
    probe.write_text(report.read_text().replace("</body>", PROBE + "</body>"))
    run = subprocess.run([browser, *BROWSER_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1400,900",
                          "--virtual-time-budget=5000", "--dump-dom", probe.as_uri()],
                         capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stderr[-2000:]
    body = re.search(r"<body[^>]*>", run.stdout).group(0)
    return dict(re.findall(r'data-([\w-]+)="([^"]*)"', body))


def _check_page(got: dict, study: Path, max_height: int = 15_000) -> None:
    assert int(got["toc-links"]) >= 3 and got["unresolved"] == "", got  # every TOC anchor lands on an element
    assert got["broken-images"] == "0" and int(got["images"]) >= 1, got
    for src in got["sources"].split():
        scheme, source = src.split("|")
        assert scheme == "data:image/png;base64", src  # embedded: nothing fetched from a path or a network
        assert source and not source.startswith(("/", "smoke/")) and ".." not in source, src
        assert (study / source).is_file() and source.split("/")[0] not in ("smoke", "bench"), src
    assert int(got["height"]) <= max_height, f"the page is {got['height']} px tall at 1,400 px wide"


def test_report_renders_in_a_headless_browser(tmp_path):
    browser = _browser()
    report = build_report(_results(tmp_path))["report"]
    profile = tmp_path / "profile"
    run = subprocess.run([browser, *BROWSER_FLAGS, f"--user-data-dir={profile}", "--enable-logging=stderr",
                          "--v=0", "--virtual-time-budget=3000", "--dump-dom", report.as_uri()],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    dom = run.stdout
    assert 'data-broken-images="0"' in dom and 'data-images="2"' in dom, dom[:500]
    console = [line for line in run.stderr.splitlines() if "CONSOLE" in line and "error" in line.lower()]
    assert not console, console
    shot = tmp_path / "top.png"
    subprocess.run([browser, *BROWSER_FLAGS, f"--user-data-dir={profile}", f"--screenshot={shot}",
                    "--window-size=1400,900", report.as_uri()], capture_output=True, timeout=120)
    assert shot.is_file() and shot.stat().st_size > 5000
    _check_page(_measure(browser, report, tmp_path), tmp_path)


def test_a_replication_sized_report_is_short_and_every_link_lands_in_a_browser(tmp_path):
    browser = _browser()
    res = _big_results(tmp_path)
    got = _measure(browser, build_report(res)["report"], tmp_path)
    _check_page(got, res)
    assert got["images"] == "5", got  # the nested study's two figures are not in it


def test_the_committed_results_report_is_short_and_every_link_lands_in_a_browser(tmp_path):
    """The replication's own results/ (copied: the report writes into its folder)."""
    results = Path(__file__).resolve().parents[2] / "results"
    if not (results / "summary.csv").is_file():
        pytest.skip("no committed results/ here")
    browser = _browser()
    study = tmp_path / "results"
    shutil.copytree(results, study, ignore=shutil.ignore_patterns("*.pdf", "*.tex", "report*", "bench", "models"))
    got = _measure(browser, build_report(study)["report"], tmp_path)
    _check_page(got, study)
    assert int(got["images"]) >= 5, got


def test_report_shows_the_calibration_and_names_tests_above_the_band(tmp_path):
    res = _results(tmp_path)
    (res / "calibration").mkdir()
    table = pd.DataFrame([
        {"finding": "storing", "test_id": "storing.zero", "unit": "token", "n_studies": 300, "own_rate": 0.04,
         "vs_untrained_rate": 0.05, "claim_rate": 0.04, "band_low": 8 / 300, "band_high": 23 / 300,
         "claim_at_or_below_alpha": True},
        {"finding": "storing", "test_id": "storing.position_independent", "unit": "token", "n_studies": 300,
         "own_rate": 0.2, "vs_untrained_rate": 0.05, "claim_rate": 0.2, "band_low": 8 / 300, "band_high": 23 / 300,
         "claim_at_or_below_alpha": False}])
    table.to_csv(res / "calibration" / "calibration_synthetic_gru.csv", index=False)
    table.to_csv(res / "calibration" / "calibration_synthetic_gru_rows.csv", index=False)  # not a rates table
    text = build_report(res)["report"].read_text()
    assert text.count("<h3>calibration_synthetic_gru</h3>") == 1 and "calibration_synthetic_gru_rows" not in text
    assert "claim</i>: 1 of 2 tests (storing.position_independent token)" in text


def test_report_command_judges_with_the_studys_own_accuracy_floor(tmp_path, capsys):
    from neuronstats.cli import main

    res = _results(tmp_path)
    summary = pd.read_csv(res / "summary.csv")
    summary.loc[summary.test_id == "positioning.accuracy", "estimate"] = 0.8  # models at 80 %
    summary.to_csv(res / "summary.csv", index=False)
    manifest = json.loads((res / "manifest.json").read_text())
    below_floor = "not run" if "not run" in VERDICTS else "not testable here"  # the ledger's word for it
    for floor, verdict in ((0.5, "supported"), (0.9, below_floor)):
        (res / "manifest.json").write_text(json.dumps({**manifest, "analysis": {"accuracy_floor": floor}}))
        assert main(["report", str(res)]) == 0
        got = pd.read_csv(res / "claims.csv").set_index("claim_id").loc["storing-zero-gutenberg", "verdict"]
        assert got == verdict, floor
    assert main(["report", str(res), "--floor", "0.5"]) == 0  # an explicit floor wins
    assert pd.read_csv(res / "claims.csv").set_index("claim_id").loc["storing-zero-gutenberg", "verdict"] == \
        "supported"
