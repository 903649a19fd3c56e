import pandas as pd

from neuronstats.report.tables import to_latex, write_tables
from neuronstats.stats.row import COLUMNS, stats_row


def _rows():
    return [stats_row(dataset="lyrics", cell="gru", finding="storing", test="zero at T-1", unit="the",
                      statistic="accuracy", estimate=0.1234567, ci_low=0.1, ci_high=0.15, null_mean=0.9,
                      effect_size=-77.7, effect_size_kind="pp vs control", p_value=0.0001, p_adjusted=0.0004,
                      paper_value=0.107),
            stats_row(dataset="lyrics", cell="gru", finding="storing", test="prev_value", unit="50% & more",
                      statistic="accuracy", estimate=0.88)]


def test_csv_keeps_full_precision_and_latex_is_booktabs(tmp_path):
    csv, tex = write_tables(_rows(), tmp_path / "storing", caption="Finding 1")
    back = pd.read_csv(csv)
    assert list(back.columns) == list(COLUMNS) and back.estimate.iloc[0] == 0.1234567
    text = tex.read_text()
    assert r"\toprule" in text and r"\bottomrule" in text
    assert "0.123 [0.1, 0.15]" in text and "$<$0.001" in text and "0.107" in text
    assert r"50\% \& more" in text and r"prev\_value" in text
    assert to_latex(_rows()).count(r"\\") == 3  # header + 2 rows


def test_latex_escaping_is_single_pass():
    from neuronstats.report.tables import _tex

    assert _tex("a\\b {x}_1 & 5% ^") == r"a\textbackslash{}b \{x\}\_1 \& 5\% \^{}"
