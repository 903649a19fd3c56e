"""One report a reviewer can read: ``report.html`` (self-contained: tables inline,
figures embedded as data URIs, no network), with the claims ledger on top, a section
per finding, and the models' positioning accuracy next to every verdict; plus
``claims.csv`` and ``claims.tex`` (booktabs). ``neuronstats report RESULTS_DIR``
rebuilds them from any study's results folder (``summary.csv``, figures, manifest).
"""

from __future__ import annotations

import base64
import html
import json
import math
from pathlib import Path

import pandas as pd

from neuronstats import io
from neuronstats.errors import InputError
from neuronstats.report.ledger import ledger
from neuronstats.report.tables import _tex, latex_table

COLORS = {"supported": "#d8f0d8", "weaker than reported": "#fff2c8", "not supported": "#f4d6d6",
          "contradicted": "#e8b0b0", "not testable here": "#e6e6e6"}


def _pct(x) -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:.1f} %"


def _num(x) -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.3g}"


def claims_latex(claims: pd.DataFrame) -> str:
    cells = pd.DataFrame({
        "Claim": [_tex(q) for q in claims.quantity], "Dataset": [_tex(d) for d in claims.dataset],
        "Cell": [c.upper() for c in claims.cell], "Paper": [_num(x) for x in claims.paper_value],
        r"Ours [95\% CI]": [f"{_num(e)} [{_num(lo)}, {_num(hi)}]"
                            for e, lo, hi in zip(claims.estimate, claims.ci_low, claims.ci_high)],
        "Verdict": [_tex(v) for v in claims.verdict]})
    return latex_table(cells, "lllrrl", "The paper's claims and our verdicts", "tab:claims")


def _img(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode()
    return (f'<figure><img alt="{html.escape(path.stem)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{html.escape(str(path))}</figcaption></figure>")


def _table(df: pd.DataFrame, cols) -> str:
    cols = [c for c in cols if c in df.columns]
    return df[cols].to_html(index=False, na_rep="–", float_format=lambda x: f"{x:.3g}", border=0,
                            classes="rows", escape=True)


def calibration_section(table: pd.DataFrame, path: Path) -> str:
    """``neuronstats calibrate``'s rates (simulated studies of untrained networks)."""
    n = int(table.n_studies.max())
    over = table[table.claim_at_or_below_alpha.astype(str) == "False"]
    head = (f"<h2>Calibration on untrained networks</h2><p>{html.escape(str(path))}: {n} simulated studies, two "
            f"groups of untrained networks each. <i>own</i>: the row's own null; <i>vs untrained</i>: one group's "
            f"seed effects against the other's; <i>claim</i>: the ledger's rule (own null, and the stricter control "
            f"where the baseline passes). Rates above {_pct(table.band_high.max())} (the binomial band's top at "
            f"α) for <i>claim</i>: {len(over)} of {int(table.claim_rate.notna().sum())} tests"
            + (" (" + ", ".join(html.escape(f"{r.test_id} {r.unit}") for r in over.itertuples()) + ")" if len(over)
               else "") + ".</p>")
    return head + _table(table, ["finding", "test_id", "unit", "n_studies", "own_rate", "vs_untrained_rate",
                                 "claim_rate", "band_low", "band_high"])


CHECK_SCRIPT = """<script>
window.addEventListener('load', function () {
  var imgs = Array.prototype.slice.call(document.images);
  var broken = imgs.filter(function (i) { return !(i.complete && i.naturalWidth > 0); }).length;
  document.body.setAttribute('data-images', imgs.length);
  document.body.setAttribute('data-broken-images', broken);
});
</script>"""


def build_report(results_dir, floor: float = 0.90, margin: float = 0.05) -> dict:
    """Write ``claims.csv``, ``claims.tex`` and ``report.html`` into ``results_dir``."""
    results_dir = Path(results_dir)
    summary_path = results_dir / "summary.csv"
    if not summary_path.is_file():
        raise InputError("no summary.csv here", path=results_dir,
                         expected="a results folder written by `neuronstats replicate`")
    summary = pd.read_csv(summary_path, keep_default_na=True)
    if "test_id" not in summary.columns:
        raise InputError("summary.csv has no test_id column", path=summary_path,
                         expected="results written by this version of neuronstats (rerun the study)")
    manifest = {}
    if (results_dir / "manifest.json").is_file():
        manifest = json.loads((results_dir / "manifest.json").read_text())
    mapping = manifest.get("paper_datasets", {})
    claims = ledger(summary.assign(dataset=summary.dataset.map(lambda d: mapping.get(d, d))), floor=floor,
                    margin=margin, coverage=manifest.get("coverage", ""))
    io.write_text(results_dir / "claims.csv", claims.to_csv(index=False, float_format="%.6g"))
    io.write_text(results_dir / "claims.tex", claims_latex(claims))

    parts = ["<!DOCTYPE html>", "<html lang='en'><head><meta charset='utf-8'>",
             f"<title>neuronstats report: {html.escape(str(manifest.get('study', results_dir.name)))}</title>",
             "<style>body{font:14px/1.4 sans-serif;margin:2em;max-width:1400px}"
             "table{border-collapse:collapse;margin:1em 0;font-size:12px}"
             "td,th{border-bottom:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top}"
             "img{max-width:640px;border:1px solid #ddd}figure{display:inline-block;margin:0.5em}"
             "figcaption{font-size:11px;color:#555}.verdict{font-weight:bold}</style>",
             "</head><body>",
             f"<h1>The paper's claims, tested: {html.escape(str(manifest.get('study', results_dir.name)))}</h1>",
             f"<p>Study file {html.escape(str(manifest.get('study_file', '?')))}, commit "
             f"{html.escape(str(manifest.get('git_commit', '?')))}; {len(claims)} claims of Lee et al. (2023). "
             f"Verdict rules: see the project README (section 'Verdicts'); accuracy floor {100 * floor:.0f} %, "
             f"level margin ±{100 * margin:.0f} pp.</p>"]
    if manifest.get("coverage"):
        parts.append(f"<p><b>Part of the study:</b> {html.escape(manifest['coverage'])}.</p>")
    cells = summary.cell.astype(str)
    base = summary[cells.str.endswith(" untrained") & ~cells.str.contains(" - ") & summary.p_adjusted.notna()]
    if len(base):
        k = int(base.reject.fillna(False).astype(bool).sum())
        parts.append(f"<p>Untrained baseline (the same architecture and seeds before training): {k} of {len(base)} "
                     f"tests reject after correction (about {0.05 * len(base):.1f} expected at α = 0.05 if every "
                     "null holds).</p>")
    vs = summary[summary.test_id.astype(str).str.endswith(".vs_untrained") & summary.p_adjusted.notna()]
    if len(vs):
        k = int(vs.reject.fillna(False).astype(bool).sum())
        parts.append(f"<p>Trained vs untrained (the stricter control: each seed's effect over its random-set control, "
                     f"trained minus untrained, Welch over seeds): {k} of {len(vs)} comparisons reject after "
                     "correction; a claim whose test the untrained baseline also passes rests on these rows.</p>")
    counts = claims.verdict.value_counts()
    parts.append("<p>" + ", ".join(f"{html.escape(v)}: {int(counts.get(v, 0))}" for v in COLORS) + "</p>")
    parts.append("<h2>Claims ledger</h2><table><tr><th>claim</th><th>section</th><th>dataset</th><th>cell</th>"
                 "<th>paper</th><th>ours [95 % CI]</th><th>null</th><th>max p<sub>adj</sub></th>"
                 "<th>models' accuracy</th><th>verdict</th><th>why</th></tr>")
    for r in claims.itertuples():
        rng = f"{_num(r.estimate)} [{_num(r.ci_low)}, {_num(r.ci_high)}]"
        parts.append(
            f"<tr style='background:{COLORS[r.verdict]}'><td>{html.escape(r.quantity)}<br><small>"
            f"{html.escape(r.claim_id)} · {html.escape(r.test_id)}</small></td><td>{html.escape(r.section)}</td>"
            f"<td>{html.escape(r.dataset)}</td><td>{r.cell.upper()}</td><td>{_num(r.paper_value)}</td>"
            f"<td>{rng}</td><td>{_num(r.null_mean)}</td><td>{_num(r.p_adjusted_max)}</td>"
            f"<td>{_pct(r.model_accuracy)}</td><td class='verdict'>{html.escape(r.verdict)}</td>"
            f"<td>{html.escape(str(r.reason))}</td></tr>")
    parts.append("</table>")
    for cal in sorted((results_dir / "calibration").glob("calibration_*.csv")):
        if not cal.stem.endswith("_rows"):
            parts.append(calibration_section(pd.read_csv(cal), cal))
    models = manifest.get("models", {})
    if models:
        acc = pd.DataFrame([{"model": k, "test accuracy": v.get("test_accuracy"), "epochs": v.get("epochs"),
                             "stopped": v.get("stopped"), "train minutes": (v.get("train_seconds") or 0) / 60,
                             "device": v.get("device")} for k, v in models.items()])
        parts.append("<h2>Models</h2>" + _table(acc, acc.columns))
    cols = ["dataset", "cell", "test", "unit", "estimate", "ci_low", "ci_high", "null_mean", "p_adjusted",
            "reject", "paper_value", "n_seeds", "n_examples", "notes"]
    for finding, g in summary.groupby("finding", sort=False):
        parts.append(f"<h2>{html.escape(str(finding))}</h2>" + _table(g, cols))
        for png in sorted(results_dir.glob("*/figures/*.png")):
            if finding.split()[0][:5] in png.stem or (finding == "positioning" and "table1" in png.stem):
                parts.append(_img(png))
    parts.append("<h2>Table 1 (ours vs the paper)</h2>")
    parts += [_img(p) for p in sorted((results_dir / "figures").glob("*.png"))]
    parts.append(CHECK_SCRIPT + "</body></html>")
    io.write_text(results_dir / "report.html", "\n".join(parts))
    return {"claims": claims, "report": results_dir / "report.html"}
