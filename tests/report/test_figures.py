import numpy as np
import pandas as pd

from neuronstats.findings.counting import curves_by_T, monotonicity
from neuronstats.findings.storing import pca_points
from neuronstats.report.figures import counting_curves_figure, gates_figure, storing_pca_figure
from tests.findings.planted import planted_recording


def _written(paths):
    return len(paths) == 2 and all(p.is_file() and p.stat().st_size > 1000 for p in paths)


def test_fig2_and_fig3_from_planted_recordings(tmp_path):
    rec = planted_recording(storers=[10, 11])
    ex = np.arange(rec.n)
    assert _written(storing_pca_figure(pca_points(rec, [5, 6, 7], [[10], [11]]), tmp_path / "f2", "planted",
                                       {5: "a", 6: "b", 7: "c"}))
    assert _written(counting_curves_figure(curves_by_T(rec, ex, [0, 1, 2], monotonicity(rec, ex)), tmp_path / "f3"))
    assert storing_pca_figure({}, tmp_path / "none") == [] and counting_curves_figure({}, tmp_path / "none") == []


def test_fig5_needs_all_three_bars(tmp_path):
    rows = []
    for tok in (5, 6):
        for gate, target in (("z", "outputting"), ("r", "storing")):
            rows.append({"test": f"keep only triggering in h_(T-1): {gate} on {target} neurons",
                         "test_id": f"gates.{gate}_keep_trigger", "unit": f"token {tok}",
                         "estimate": 0.3, "ci_low": 0.2, "ci_high": 0.4, "null_mean": 0.5, "paper_value": 0.067})
            rows.append({"test": f"all neurons kept in h_(T-1): {gate} on {target} neurons",
                         "test_id": f"gates.{gate}_all", "unit": f"token {tok}",
                         "estimate": 0.6, "ci_low": 0.5, "ci_high": 0.7, "null_mean": np.nan, "paper_value": np.nan})
    df = pd.DataFrame(rows)
    assert _written(gates_figure(df, tmp_path / "f5", "planted"))
    assert gates_figure(df[df.test.str.startswith("keep")], tmp_path / "none") == []


def test_table1_figure_wraps_its_panels_to_stay_legible_at_a_pages_width(tmp_path):
    from PIL import Image

    from neuronstats.report.figures import table1_figure

    rows = [{"dataset": ds, "cell": cell, "test_id": "positioning.accuracy", "unit": "all examples",
             "estimate": 0.9, "ci_low": 0.95, "ci_high": 0.97, "null_mean": 0.05, "null_ci_high": 0.06,
             "paper_value": 0.98}  # a CI that misses its estimate (as hand-made rows may) is drawn, not refused
            for ds in ("gutenberg", "gutenberg-2tokens", "lyrics") for cell in ("gru", "lstm", "gru untrained",
                                                                            "lstm untrained")]
    paths = table1_figure(pd.DataFrame(rows), tmp_path / "t1")
    width, height = Image.open(paths[0]).size
    # 6 trained panels (the untrained networks drawn inside them), 3 to a row: not 12 panels in one 7,000 px row
    assert width <= 2000 and height >= 400, (width, height)
