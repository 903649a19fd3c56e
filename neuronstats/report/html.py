"""One report a reviewer can read: ``report.html`` (self-contained: tables inline,
figures embedded as data URIs, no network), plus ``claims.csv`` and ``claims.tex``
(booktabs). ``neuronstats report RESULTS_DIR`` rebuilds them from any study's results
folder (``summary.csv``, figures, manifest).

The page, top to bottom: a table of contents; the claims ledger (every claim of the
paper with its verdict and why); one section per finding with its figures, each
captioned with what to look for, then its stats tables folded (``<details>``, the
summary line giving the rows and how many reject); Table 1 (ours vs the paper) as an
HTML table and as a figure; the models (which are fine-tunes, and of what); the
calibration on untrained networks. Fractions are shown as %, their differences in
percentage points (pp). Only the study's own figures are embedded: those of its
datasets' folders and its ``figures/``, never those of a study nested in the folder
(e.g. ``results/smoke``).
"""

from __future__ import annotations

import base64
import html
import json
import re
from pathlib import Path

import pandas as pd

from neuronstats import io
from neuronstats.errors import InputError
from neuronstats.findings import registry
from neuronstats.report.figures import table1_figure, table1_frame
from neuronstats.report.ledger import VERDICTS, ledger
from neuronstats.report.power import power_table
from neuronstats.report.sensitivity import (
    deviations_table,
    flag,
    margin_readings,
    read_tables,
    respectively_readings,
)
from neuronstats.report.tables import _tex, latex_table
from neuronstats.report.units import base_test_id as _base_test_id
from neuronstats.report.units import missing as _missing
from neuronstats.report.units import per_row as _per_row
from neuronstats.report.units import units_by_test
from neuronstats.report.units import value as _value
from neuronstats.report.units import with_ci as _with_ci

COLORS = {"supported": "#d8f0d8", "weaker than reported": "#fff2c8", "not supported": "#f4d6d6",
          "contradicted": "#e8b0b0", "not testable here": "#e6e6e6"}
FAMILY_COLORS = (("supported,", "#e8f3d0"), ("supported", "#d8f0d8"), ("weaker", "#fff2c8"),
                 ("not supported", "#f4d6d6"), ("contradicted", "#e8b0b0"))  # by how a verdict starts; else grey


def verdict_color(verdict: str) -> str:
    """The background of a ledger row: green supported, yellow weaker, red not supported
    or contradicted, grey not run or not testable (whatever the ledger's exact words)."""
    if verdict in COLORS:
        return COLORS[verdict]
    return next((c for start, c in FAMILY_COLORS if str(verdict).startswith(start)), "#e6e6e6")


# the figures a study writes (neuronstats.study.write_reports), the finding each belongs to,
# and what a reviewer should look for in it: each finding declares its own (its Figure specs)
TABLE1 = ("", "Table 1 as a figure",
          "Per dataset and cell, our verification accuracy with its seed-level 95 % CI (blue), the mean of "
          "its null or control (grey bar), the same test on the untrained networks (grey diamond) and the "
          "paper's value (red ×). Look for blue dots near the red crosses and far from the grey marks.")


def figures() -> dict:
    """stem -> (finding, title, caption) of every figure a study writes."""
    out = {fig.stem: (f.name, fig.title, fig.caption) for f in registry.all_findings() for fig in f.figures}
    return {**out, "table1": TABLE1}


ROW_GROUPS = (  # how the rows of one finding are folded, per dataset
    ("trained", "trained models"),
    ("untrained", "untrained baseline (the same architecture and seeds before training)"),
    ("vs_untrained", "trained vs untrained (each seed's effect over its control, Welch over seeds)"),
    ("gru_vs_lstm", "GRU vs LSTM"),
)

CSS = """
body{font:14px/1.45 sans-serif;margin:1.5em 2em;max-width:1400px;color:#222}
h1{font-size:24px;margin:0 0 .4em}h2{font-size:19px;margin:1.6em 0 .4em;border-bottom:1px solid #ccc}
h3{font-size:15px;margin:1.1em 0 .3em}
nav{background:#f6f6f6;padding:.4em 1em;border:1px solid #ddd}
nav ol{columns:3;margin:.3em 0;padding-left:1.4em}nav li{margin:.1em 0}
table{border-collapse:collapse;margin:.6em 0;font-size:12px}
td,th{border-bottom:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#f0f0f0}td.num{text-align:right;white-space:nowrap}
.verdict{font-weight:bold}.why{min-width:360px}small,.muted{color:#555}
.figs{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:1em;margin:.6em 0}
figure{margin:0}figure.wide{grid-column:1/-1}figure.wide img{max-width:1050px}
img{width:100%;height:auto;border:1px solid #ddd}
figcaption{font-size:12px;color:#333;margin-top:.2em}figcaption code{color:#777;font-size:11px}
details{margin:.25em 0;border:1px solid #ddd;border-radius:3px;padding:.2em .6em}
details[open]{padding-bottom:.5em}summary{cursor:pointer}
table.rows td{max-width:360px}table.rows td:last-child{font-size:11px;color:#555}
table.rows td:nth-child(n+4):nth-child(-n+11):not(:nth-child(6)){white-space:nowrap}
p.look{font-size:13px;background:#f7f7fb;padding:.3em .6em;border-left:3px solid #88a}
table.t1 td{white-space:nowrap}
"""

CHECK_SCRIPT = """<script>
window.addEventListener('load', function () {
  var imgs = Array.prototype.slice.call(document.images);
  var broken = imgs.filter(function (i) { return !(i.complete && i.naturalWidth > 0); }).length;
  document.body.setAttribute('data-images', imgs.length);
  document.body.setAttribute('data-broken-images', broken);
});
</script>"""


# ------------------------------------------------------------------------- formatting
def _pct(x) -> str:
    return "–" if _missing(x) else f"{100 * x:.1f} %"


def _num(x) -> str:
    return "–" if _missing(x) else f"{x:.3g}"


def _p(x) -> str:
    if _missing(x):
        return "–"
    return "< 0.001" if x < 0.001 else f"{x:.3f}"


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-") or "x"


def _esc(x) -> str:
    return html.escape(str(x))


# ------------------------------------------------------------------------------ LaTeX
def claims_latex(claims: pd.DataFrame) -> str:
    cells = pd.DataFrame({
        "Claim": [_tex(q) for q in claims.quantity], "Dataset": [_tex(d) for d in claims.dataset],
        "Cell": [c.upper() for c in claims.cell], "Paper": [_num(x) for x in claims.paper_value],
        r"Ours [95\% CI]": [f"{_num(e)} [{_num(lo)}, {_num(hi)}]"
                            for e, lo, hi in zip(claims.estimate, claims.ci_low, claims.ci_high)],
        "Verdict": [_tex(v) for v in claims.verdict]})
    return latex_table(cells, "lllrrl", "The paper's claims and our verdicts", "tab:claims")


# ---------------------------------------------------------------------------- figures
def study_figures(results_dir: Path, datasets) -> list[Path]:
    """The PNG figures of this study: ``<dataset>/figures/*.png`` for each of its datasets
    and ``figures/*.png``; a dataset folder that is itself a study's results folder (it
    holds a ``summary.csv`` or ``manifest.json``) is skipped."""
    out = []
    for ds in datasets:
        folder = results_dir / str(ds)
        if (folder / "summary.csv").exists() or (folder / "manifest.json").exists():
            continue
        out += sorted((folder / "figures").glob("*.png"))
    return out + sorted((results_dir / "figures").glob("*.png"))


def _figure_kind(path: Path) -> tuple[str, str, str, str]:
    """(finding, title, what to look for, cell) of a figure file, by its stem."""
    for prefix, (finding, title, text) in figures().items():
        if path.stem.startswith(prefix):
            return finding, title, text, path.stem[len(prefix):].strip("_").replace("_", " ")  # gru_untrained
    return "", path.stem.replace("_", " "), "", ""


def _img(path: Path, results_dir: Path, caption: str, wide: bool = False) -> str:
    rel = path.relative_to(results_dir).as_posix()
    data = base64.b64encode(path.read_bytes()).decode()
    return (f"<figure{' class=wide' if wide else ''}><img alt='{_esc(path.stem)}' data-source='{_esc(rel)}' "
            f"src='data:image/png;base64,{data}'><figcaption>{caption} <code>{_esc(rel)}</code></figcaption>"
            "</figure>")


def _caption(path: Path, results_dir: Path) -> str:
    _, title, _, cell = _figure_kind(path)
    ds = path.parent.parent.name if path.parent.parent != results_dir else ""
    where = ", ".join(x for x in (ds, cell.upper()) if x)
    seed = " (seed 0)" if path.stem.startswith(("fig2", "fig3")) else " (seed mean)" if "fig5" in path.stem else ""
    return f"<b>{_esc(title)}{', ' + _esc(where) if where else ''}{seed}.</b>"


def _png_width(path: Path) -> int:
    """Width in pixels from the PNG header (0 if it is not a PNG)."""
    head = path.read_bytes()[:24]
    return int.from_bytes(head[16:20], "big") if head[:8] == b"\x89PNG\r\n\x1a\n" else 0


def _figures_html(paths, results_dir: Path) -> str:
    """What to look for (once per kind of figure), then the figures two to a row; a wide
    one (over 1,000 px, e.g. two panels) takes a row of its own so that its labels stay
    legible."""
    if not paths:
        return ""
    looks = []
    for p in paths:
        _, title, text, _ = _figure_kind(p)
        if text and (title, text) not in looks:
            looks.append((title, text))
    return ("".join(f"<p class=look><b>{_esc(t)}: what to look for.</b> {_esc(x)}</p>" for t, x in looks)
            + "<div class=figs>" + "".join(_img(p, results_dir, _caption(p, results_dir), wide=_png_width(p) > 1000)
                                           for p in paths) + "</div>")


# ----------------------------------------------------------------------------- tables
def _col(df: pd.DataFrame, name: str) -> list:
    return df[name].tolist() if name in df.columns else [None] * len(df)


def _split_notes(notes) -> tuple[list, list]:
    """(the "; "-separated parts of the notes that every row shares, each row's other parts)."""
    parts = [[] if _missing(x) else [p for p in str(x).split("; ") if p] for x in notes]
    common = [p for p in parts[0] if all(p in q for q in parts[1:])] if len(parts) > 1 else []
    return common, ["; ".join(p for p in q if p not in common) for q in parts]


def _rows_table(df: pd.DataFrame, units: dict) -> str:
    """A finding's stats rows, values in their units (``units_by_test``); the parts of
    the notes that every row shares are said once, above the table."""
    u = [units.get(str(t), "") for t in df.test_id]
    common, notes = _split_notes(_col(df, "notes"))
    cells = pd.DataFrame({
        "cell": df.cell.astype(str).tolist(), "test": df.test.astype(str).tolist(),
        "unit": df.unit.fillna("").astype(str).tolist(),
        "estimate [95 % CI]": [_with_ci(e, lo, hi, k) for e, lo, hi, k in zip(df.estimate, df.ci_low, df.ci_high, u)],
        "null / control": [_value(x, k) for x, k in zip(_col(df, "null_mean"), u)],
        "effect": [_num(x) + ("" if _missing(k) or _missing(x) else f" {k}")
                   for x, k in zip(_col(df, "effect_size"), _col(df, "effect_size_kind"))],
        "p adj.": [_p(x) for x in df.p_adjusted],
        "rejects": ["–" if _missing(r) else "yes" if str(r) == "True" else "no" for r in df.reject],
        "paper": [_value(x, k) for x, k in zip(_col(df, "paper_value"), u)],
        "seeds": [_num(x) for x in _col(df, "n_seeds")],
        "examples": ["–" if _missing(x) else f"{int(x):,}" for x in _col(df, "n_examples")],
        "notes": notes,
    })
    head = f"<p class=muted>Every row: {_esc('; '.join(common))}.</p>" if common else ""
    return head + cells.to_html(index=False, border=0, classes="rows", escape=True, na_rep="–")


def _group_of(cell: str) -> str:
    if " - " in cell:
        return "vs_untrained" if cell.endswith(" untrained") else "gru_vs_lstm"
    return "untrained" if cell.endswith(" untrained") else "trained"


def _rejecting(df: pd.DataFrame) -> int:
    return int(df.reject.map(lambda r: str(r) == "True").sum())


def folded_tables(g: pd.DataFrame, units: dict) -> str:
    """One ``<details>`` per dataset × kind of row (trained, untrained, the two
    comparisons); the summary line says how many rows and how many reject."""
    parts = []
    kinds = g.cell.astype(str).map(_group_of)
    for ds in dict.fromkeys(g.dataset):
        for kind, label in ROW_GROUPS:
            sub = g[(g.dataset == ds) & (kinds == kind)]
            if not len(sub):
                continue
            cells = "" if kind == "gru_vs_lstm" else " (" + ", ".join(
                c.split(" ")[0].upper() for c in dict.fromkeys(sub.cell.astype(str))) + ")"
            not_run = int(sub.estimate.isna().sum())
            line = (f"<b>{_esc(ds)}</b>, {_esc(label)}{_esc(cells)}: {_count(len(sub), 'row')}, "
                    f"{_rejecting(sub):,} reject{f', {not_run} not run' if not_run else ''}")
            parts.append(f"<details><summary>{line}</summary>{_rows_table(sub, units)}</details>")
    return "".join(parts)


def _field(r, name: str):
    """A ledger column that this version of the ledger may not have (None then)."""
    v = getattr(r, name, None)
    return None if _missing(v) or v == "" else v


def deviations_html(dev: pd.DataFrame) -> str:
    """Each choice that differs from, or interprets, the paper: the file that makes it,
    and what its sensitivity readings did to the verdicts."""
    rows = "".join(f"<tr><td>{_esc(r.topic)}</td><td>{_esc(r.paper)}</td><td>{_esc(r.ours)}</td>"
                   f"<td><code>{_esc(r.file)}</code></td><td>{_esc(r.sensitivity)}</td></tr>" for r in dev.itertuples())
    return ("<h2 id=deviations>Deviations and readings</h2><p>Every choice of ours that differs from the paper or "
            "reads it one way where it allows another. Where a reading was redone the other way "
            "(<code>results/sensitivity/</code>), the last column names each claim whose verdict changed; such "
            "claims are marked <b>sensitive</b> in the ledger.</p><details><summary>"
            f"{len(dev)} deviations, {int((dev.sensitivity.str.contains(':')).sum())} with verdicts that change"
            "</summary><table><tr><th>topic</th><th>the paper</th><th>ours</th><th>file</th><th>sensitivity</th>"
            f"</tr>{rows}</table></details>")


def ledger_table(claims: pd.DataFrame, units: dict) -> str:
    """The claims ledger: every claim, the paper's value and ours in the same unit, the
    verdict and why (the ledger's own words)."""
    has_units = "units_rejecting" in claims.columns
    head = ("<table id=ledger><tr><th>claim</th><th>paper</th>"
            "<th>ours [95 % CI]</th><th>null / control</th><th>max p<sub>adj</sub></th>"
            + ("<th>units rejecting</th>" if has_units else "")
            + "<th>models' accuracy</th><th>verdict</th><th>why</th></tr>")
    rows = []
    for r in claims.itertuples():
        u = units.get(str(r.test_id), "%" if r.kind in ("level", "drop") else "")
        ours = _with_ci(r.estimate, r.ci_low, r.ci_high, u)
        if _field(r, "per_row") and (_missing(r.ci_low) or str(_field(r, "ci_kind") or "").startswith("none:")):
            ours = "<br>".join(_esc(part) for part in _per_row(_field(r, "per_row"), u).split("; "))
        why = _esc(r.reason) + (f"<br><small class=muted>{_esc(_field(r, 'reading'))}</small>"
                                if _field(r, "reading") else "")
        if _field(r, "sensitive") in (True, "True"):
            why = f"<b>sensitive</b> ({_esc(_field(r, 'sensitive_to'))}): " + why
        rows.append(
            f"<tr id='claim-{_slug(r.claim_id)}' style='background:{verdict_color(r.verdict)}'>"
            f"<td>{_esc(r.quantity)}<br><small>{_esc(r.claim_id)} · {_esc(r.test_id)} · {_esc(r.section)} · "
            f"{_esc(r.dataset)} · {_esc(str(r.cell).upper())}</small></td>"
            f"<td class=num>{_value(r.paper_value, u)}</td><td class=num>{ours}</td>"
            f"<td class=num>{_value(r.null_mean, u)}</td><td class=num>{_p(r.p_adjusted_max)}</td>"
            + (f"<td class=num>{_esc(_field(r, 'units_rejecting') or '–')}</td>" if has_units else "")
            + f"<td class=num>{_pct(r.model_accuracy)}</td><td class=verdict>{_esc(r.verdict)}</td>"
            f"<td class=why>{why}</td></tr>")
    return head + "".join(rows) + "</table>"


def table1_html(summary: pd.DataFrame) -> str:
    """Table 1 as an HTML table: one row per test, one column per dataset × trained
    cell; each cell our value [95 % CI] and, below it, the paper's, the null's mean and
    the untrained networks' value."""
    df = table1_frame(summary)
    if df.empty:
        return ""
    trained = [k for k in dict.fromkeys(zip(df.dataset, df.cell)) if not str(k[1]).endswith(" untrained")]
    by = {(r.dataset, r.cell, r.label): r for r in df.itertuples()}
    out = ["<table class=t1><tr><th>test</th>"
           + "".join(f"<th>{_esc(ds)}, {_esc(str(c).upper())}</th>" for ds, c in trained) + "</tr>"]
    for label in dict.fromkeys(df.label):
        out.append(f"<tr><td>{_esc(label)}</td>")
        for ds, c in trained:
            r = by.get((ds, c, label))
            if r is None:
                out.append("<td>–</td>")
                continue
            base = by.get((ds, f"{c} untrained", label))
            extra = [f"paper {_pct(r.paper)}", f"null {_pct(r.null_mean)}"]
            if base is not None:
                extra.append(f"untrained {_pct(base.estimate)}")
            out.append(f"<td class=num><b>{_with_ci(r.estimate, r.ci_low, r.ci_high, '%')}</b><br><small>"
                       f"{' · '.join(extra)}</small></td>")
        out.append("</tr>")
    return "".join(out) + "</table>"


def models_section(manifest: dict) -> str:
    """Every model of the study: accuracy, training, and for a fine-tune the model it
    was fine-tuned from."""
    models = manifest.get("models", {})
    if not models:
        return ""
    parents = manifest.get("fine_tuned_from") or {}
    rows = []
    for key, v in models.items():
        name = str(v.get("name", key))
        m = re.fullmatch(r"(.+)-(gru|lstm)-s(\d+)", name)
        ds, cell, seed = (m.group(1), m.group(2), m.group(3)) if m else ("", "", "")
        parent = parents.get(ds)
        rows.append({"model": name, "dataset": ds, "cell": cell.upper(), "seed": seed,
                     "test accuracy": _pct(v.get("test_accuracy")), "epochs": v.get("epochs", "–"),
                     "stopped": v.get("stopped", "–"),
                     "training minutes": "–" if v.get("train_seconds") is None else
                     f"{v['train_seconds'] / 60:.1f}" + (" (fine-tuning)" if parent else ""),
                     "device": v.get("device", "–"),
                     "fine-tuned from": f"{parent}-{cell}-s{seed}" if parent else "– (trained from scratch)"})
    note = ""
    if parents:
        note = ("<p>Fine-tuned models: " + "; ".join(
            f"the <b>{_esc(ds)}</b> models are fine-tunes of the <b>{_esc(p)}</b> models of the same cell and seed "
            f"(their vocabulary is the {_esc(p)} models'; their training minutes count the fine-tuning only)"
            for ds, p in parents.items()) + ". Every other model is trained from scratch.</p>")
    n_ft = sum(r["fine-tuned from"][0] != "–" for r in rows)
    table = pd.DataFrame(rows).to_html(index=False, border=0, escape=True)
    return (note + f"<details open><summary>{len(rows)} models ({len(rows) - n_ft} trained from scratch, {n_ft} "
            f"fine-tuned)</summary>{table}</details>")


def calibration_section(table: pd.DataFrame, path: Path) -> str:
    """``neuronstats calibrate``'s rates (simulated studies of untrained networks)."""
    n = int(table.n_studies.max())
    over = table[table.claim_at_or_below_alpha.astype(str) == "False"]
    head = (f"<h3>{_esc(path.stem)}</h3><p>{_esc(path.name)}: {n} simulated studies, two "
            f"groups of untrained networks each. <i>own</i>: the row's own null; <i>vs untrained</i>: one group's "
            f"seed effects against the other's; <i>claim</i>: the ledger's rule (own null, and the stricter control "
            f"where the baseline passes). Rates above {_pct(table.band_high.max())} (the binomial band's top at "
            f"α) for <i>claim</i>: {len(over)} of {int(table.claim_rate.notna().sum())} tests"
            + (" (" + ", ".join(_esc(f"{r.test_id} {r.unit}") for r in over.itertuples()) + ")" if len(over)
               else "") + ".</p>")
    cols = [c for c in ["finding", "test_id", "unit", "n_studies", "own_rate", "vs_untrained_rate", "claim_rate",
                        "band_low", "band_high"] if c in table.columns]
    shown = table[cols].copy()
    for c in cols:
        if c.endswith("_rate") or c.startswith("band_"):
            shown[c] = shown[c].map(_pct)
    return (head + f"<details><summary>{_count(len(shown), 'test')}, {len(over)} above the band</summary>"
            + shown.to_html(index=False, border=0, escape=True, na_rep="–") + "</details>")


# ----------------------------------------------------------------------------- report
def _finding_claims(claims: pd.DataFrame, test_ids) -> str:
    bases = {_base_test_id(t) for t in test_ids}
    mine = claims[claims.test_id.isin(bases)]
    if not len(mine):
        return ""
    return ("<p>Claims tested here: " + ", ".join(
        f"<a href='#claim-{_slug(r.claim_id)}'>{_esc(r.claim_id)}</a> ({_esc(r.verdict)})" for r in mine.itertuples())
        + ".</p>")


def build_report(results_dir, floor: float = 0.90, margin: float = 0.05) -> dict:
    """Write ``claims.csv``, ``claims.tex``, ``figures/table1.{png,pdf}`` and ``report.html``
    into ``results_dir``.

    Parameters
    ----------
    results_dir : a folder written by ``neuronstats replicate`` (``summary.csv``, and
        optionally ``manifest.json``, figures and ``calibration/``).
    floor : models' positioning accuracy below which the ledger does not judge a claim.
    margin : how far (as a fraction) the paper's level may lie from ours and still match.

    Returns
    -------
    dict : ``{"claims": the ledger (DataFrame), "report": path of report.html}``.
    """
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
    judged = summary.assign(dataset=summary.dataset.map(lambda d: mapping.get(d, d)))
    claims = ledger(judged, floor=floor, margin=margin, coverage=manifest.get("coverage", ""))
    # readings the paper allows: the ledger-only ones here, the model ones from `neuronstats sensitivity`
    sens_dir = results_dir / "sensitivity"
    for name, table in (("margin", margin_readings(judged, floor, margin)),
                        ("respectively", respectively_readings(judged, floor, margin))):
        io.write_text(sens_dir / f"{name}.csv", table.to_csv(index=False, float_format="%.6g"))
    sens_tables = read_tables(sens_dir)
    claims = flag(claims, sens_tables)
    deviations = deviations_table(sens_tables)
    io.write_text(results_dir / "deviations.csv", deviations.to_csv(index=False))
    io.write_text(results_dir / "power.csv", power_table(judged).to_csv(index=False, float_format="%.4g"))
    io.write_text(results_dir / "claims.csv", claims.to_csv(index=False, float_format="%.6g"))
    io.write_text(results_dir / "claims.tex", claims_latex(claims))
    for col in ("statistic", "null_ci_high", "paper_value", "unit"):  # older or partial summaries
        if col not in summary.columns:
            summary[col] = "" if col in ("statistic", "unit") else float("nan")
    units = units_by_test(summary)

    table1_figure(summary, results_dir / "figures" / "table1")  # from summary.csv alone: redrawn, always current
    study = str(manifest.get("study", results_dir.name))
    datasets = list(dict.fromkeys([*manifest.get("datasets", {}), *summary.dataset.astype(str)]))
    figures = study_figures(results_dir, datasets)
    by_finding: dict = {}
    for p in figures:
        by_finding.setdefault(_figure_kind(p)[0] if p.stem != "table1" else "table1", []).append(p)
    order = registry.names()  # the paper's order, whatever order the rows come in
    findings = sorted(dict.fromkeys(summary.finding.astype(str)),
                      key=lambda f: order.index(f) if f in order else len(order))
    calibrations = [c for c in sorted((results_dir / "calibration").glob("calibration_*.csv"))
                    if not c.stem.endswith("_rows")]
    models = models_section(manifest)
    t1 = table1_html(summary)

    toc = [("claims", "Claims ledger"), ("deviations", "Deviations and readings")] + \
        [(f"finding-{_slug(f)}", f"Finding: {f}") for f in findings]
    if t1 or by_finding.get("table1"):
        toc.append(("table1", "Table 1: ours vs the paper"))
    if models:
        toc.append(("models", "Models"))
    if calibrations:
        toc.append(("calibration", "Calibration on untrained networks"))
    other = [p for f, ps in by_finding.items() if f not in findings and f != "table1" for p in ps]
    if other:
        toc.append(("other-figures", "Other figures"))

    parts = ["<!DOCTYPE html>", "<html lang='en'><head><meta charset='utf-8'>",
             f"<title>neuronstats report: {_esc(study)}</title><style>{CSS}</style></head><body>",
             f"<h1>The paper's claims, tested: {_esc(study)}</h1>",
             f"<p>Study file {_esc(manifest.get('study_file', '?'))}, commit {_esc(manifest.get('git_commit', '?'))}; "
             f"{len(claims)} claims of Lee et al. (2023). Verdict rules: see docs/statistics.md (section "
             f"'Verdicts'); accuracy floor {100 * floor:.0f} %, level margin ±{100 * margin:.0f} pp on rates "
             f"(±{margin:g} on other statistics). Fractions are "
             "shown as %, differences of fractions in percentage points (pp).</p>"]
    if manifest.get("coverage"):
        parts.append(f"<p><b>Part of the study:</b> {_esc(manifest['coverage'])}.</p>")
    parts.append("<nav id=toc><b>Contents</b><ol>" + "".join(f"<li><a href='#{a}'>{_esc(t)}</a></li>" for a, t in toc)
                 + "</ol></nav>")

    # the ledger first
    counts = claims.verdict.value_counts()
    order = [v for v in dict.fromkeys([*VERDICTS, *claims.verdict]) if counts.get(v, 0) or v in VERDICTS]
    parts.append("<h2 id=claims>Claims ledger</h2><p>" + " ".join(
        f"<span style='background:{verdict_color(v)};padding:0 .3em'>{_esc(v)}: {int(counts.get(v, 0))}</span>"
        for v in order) + "</p>")
    cells = summary.cell.astype(str)
    base = summary[cells.str.endswith(" untrained") & ~cells.str.contains(" - ") & summary.p_adjusted.notna()]
    if len(base):
        k = _rejecting(base)
        parts.append(f"<p>Untrained baseline (the same architecture and seeds before training): {k} of {len(base)} "
                     f"tests reject after correction (about {0.05 * len(base):.1f} expected at α = 0.05 if every "
                     "null holds).</p>")
    vs = summary[summary.test_id.astype(str).str.endswith(".vs_untrained") & summary.p_adjusted.notna()]
    if len(vs):
        k = _rejecting(vs)
        parts.append(f"<p>Trained vs untrained (the stricter control: each seed's effect over its random-set control, "
                     f"trained minus untrained, Welch over seeds): {k} of {len(vs)} comparisons reject after "
                     "correction; a claim whose test the untrained baseline also passes rests on these rows.</p>")
    parts.append(ledger_table(claims, units))
    parts.append(deviations_html(deviations))

    # per finding: figures with captions, then the tables folded
    for finding in findings:
        g = summary[summary.finding.astype(str) == finding]
        parts.append(f"<h2 id='finding-{_slug(finding)}'>Finding: {_esc(finding)}</h2>")
        parts.append(f"<p>{_count(len(g), 'row')} over {_count(g.dataset.nunique(), 'dataset')}; {_rejecting(g):,} "
                     "reject after correction.</p>" + _finding_claims(claims, g.test_id.astype(str).unique()))
        parts.append(_figures_html(by_finding.get(finding, []), results_dir))
        parts.append(folded_tables(g, units))

    if t1 or by_finding.get("table1"):
        parts.append("<h2 id=table1>Table 1: ours vs the paper</h2><p>The paper's Table 1 tests, per dataset and "
                     "cell: our estimate (%) with its seed-level 95 % CI (token-level tests: the mean over tokens, "
                     "without a CI), below it the paper's value, the mean of the test's null or control, and the "
                     "same test on the untrained networks.</p>" + t1)
        parts.append(_figures_html(by_finding.get("table1", []), results_dir))
    if models:
        parts.append("<h2 id=models>Models</h2>" + models)
    if calibrations:
        parts.append("<h2 id=calibration>Calibration on untrained networks</h2>")
        parts += [calibration_section(pd.read_csv(c), c) for c in calibrations]
    if other:
        parts.append("<h2 id=other-figures>Other figures</h2>" + _figures_html(other, results_dir))
    parts.append(CHECK_SCRIPT + "</body></html>")
    io.write_text(results_dir / "report.html", "\n".join(parts))
    return {"claims": claims, "report": results_dir / "report.html"}
