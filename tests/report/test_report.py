"""report.html: self-contained, every claim in claims.csv, and it renders in a real
headless browser with every image loaded and no console error."""

import json
import shutil
import subprocess

import matplotlib
import pandas as pd
import pytest

from neuronstats.paper import claims
from neuronstats.report.html import build_report

matplotlib.use("Agg")
BROWSER_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _results(tmp_path):
    import matplotlib.pyplot as plt

    rows = [{"dataset": "gutenberg", "cell": "gru", "finding": "positioning", "test": "w at T", "unit": "all examples",
             "test_id": "positioning.accuracy", "statistic": "accuracy", "estimate": 0.97, "ci_low": 0.96,
             "ci_high": 0.98, "null_mean": 0.01, "p_adjusted": 0.001, "reject": True, "notes": "n"},
            {"dataset": "gutenberg", "cell": "gru", "finding": "storing", "test": "zero storing set at T-1",
             "unit": "token 5 'the'", "test_id": "storing.zero", "statistic": "accuracy", "estimate": 0.2,
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


def test_report_is_self_contained_and_lists_every_claim(tmp_path):
    out = build_report(_results(tmp_path))
    text = out["report"].read_text()
    assert "http://" not in text and "https://" not in text  # nothing fetched from a network
    assert text.count("data:image/png;base64,") == 2 and "&lt;b&gt;" in text  # figures embedded, text escaped
    got = pd.read_csv(tmp_path / "claims.csv")
    assert list(got.claim_id) == list(claims().claim_id)
    assert got.set_index("claim_id").loc["storing-zero-gutenberg", "verdict"] == "supported"
    assert "\\toprule" in (tmp_path / "claims.tex").read_text()


def test_report_renders_in_a_headless_browser(tmp_path):
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("no Chromium here (.ci/run installs Debian's chromium package for this test)")
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
    assert text.count("Calibration on untrained networks") == 1
    assert "claim</i>: 1 of 2 tests (storing.position_independent token)" in text


def test_report_command_judges_with_the_studys_own_accuracy_floor(tmp_path, capsys):
    from neuronstats.cli import main

    res = _results(tmp_path)
    summary = pd.read_csv(res / "summary.csv")
    summary.loc[summary.test_id == "positioning.accuracy", "estimate"] = 0.8  # models at 80 %
    summary.to_csv(res / "summary.csv", index=False)
    manifest = json.loads((res / "manifest.json").read_text())
    for floor, verdict in ((0.5, "supported"), (0.9, "not testable here")):
        (res / "manifest.json").write_text(json.dumps({**manifest, "analysis": {"accuracy_floor": floor}}))
        assert main(["report", str(res)]) == 0
        got = pd.read_csv(res / "claims.csv").set_index("claim_id").loc["storing-zero-gutenberg", "verdict"]
        assert got == verdict, floor
    assert main(["report", str(res), "--floor", "0.5"]) == 0  # an explicit floor wins
    assert pd.read_csv(res / "claims.csv").set_index("claim_id").loc["storing-zero-gutenberg", "verdict"] == \
        "supported"
