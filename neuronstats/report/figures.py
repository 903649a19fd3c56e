"""Figures (matplotlib, PNG + PDF)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

# the tests (stable ids) with a paper value, in the paper's Table 1 order
TABLE1 = [
    ("positioning.accuracy", "positioning"),
    ("storing.zero", "storing: zero"),
    ("storing.previous", "storing: previous"),
    ("counting.shift", "counting"),
    ("triggering.early", "triggering"),
    ("outputting.zero", "outputting: zero"),
    ("outputting.keep_only", "outputting: keep only"),
    ("x_t.random_inputs", "random x_t"),
]


def table1_frame(summary: pd.DataFrame) -> pd.DataFrame:
    """One line per (dataset, cell, label): ours with CI, the null mean and 95th percentile,
    the paper's value. Token-level tests are averaged over tokens (CI: min/max of the
    per-token CIs is not a CI, so none is drawn for them)."""
    out = []
    for test_id, label in TABLE1:
        sub = summary[summary.test_id == test_id]
        for (ds, cell), g in sub.groupby(["dataset", "cell"]):
            if g.unit.str.startswith("k = ").all():
                for r in g.itertuples():
                    out.append({"dataset": ds, "cell": cell, "label": f"{label} {r.unit}", "estimate": r.estimate,
                                "ci_low": r.ci_low, "ci_high": r.ci_high, "null_mean": r.null_mean,
                                "null_ci_high": r.null_ci_high, "paper": r.paper_value})
            elif len(g) == 1:
                r = g.iloc[0]
                out.append({"dataset": ds, "cell": cell, "label": label, "estimate": r.estimate,
                            "ci_low": r.ci_low, "ci_high": r.ci_high, "null_mean": r.null_mean,
                            "null_ci_high": r.null_ci_high, "paper": r.paper_value})
            else:
                out.append({"dataset": ds, "cell": cell, "label": f"{label} (mean over tokens)",
                            "estimate": g.estimate.mean(), "ci_low": np.nan, "ci_high": np.nan,
                            "null_mean": g.null_mean.mean(), "null_ci_high": np.nan, "paper": g.paper_value.iloc[0]})
    return pd.DataFrame(out)


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, stem) -> list:
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = [stem.with_suffix(".png"), stem.with_suffix(".pdf")]
    for p in paths:  # no creation date in the PDF: the same data give the same bytes
        fig.savefig(p, dpi=130, metadata={"CreationDate": None} if p.suffix == ".pdf" else None)
    _plt().close(fig)
    return paths


def storing_pca_figure(data: dict, stem, title: str = "", vocab=None) -> list:
    """Fig. 2: storing-set states over −1 ≤ t ≤ T−1 on two principal components,
    coloured by the positioned token (left) and by t (right)."""
    if not data or not data.get("pc2"):
        return []
    plt = _plt()
    pc1, pc2, tok, t = (np.asarray(data[k]) for k in ("pc1", "pc2", "token", "t"))
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.4))
    cmap = plt.get_cmap("tab10")
    for i, w in enumerate(dict.fromkeys(tok.tolist())):
        m = tok == w
        name = vocab.get(w, w) if vocab else w
        axes[0].scatter(pc1[m], pc2[m], s=5, alpha=0.5, color=cmap(i % 10), label=str(name))
    axes[0].legend(fontsize=7, markerscale=3, title="token w", title_fontsize=7)
    sc = axes[1].scatter(pc1, pc2, c=t, s=5, alpha=0.5, cmap="viridis")
    fig.colorbar(sc, ax=axes[1], label="t")
    ev = data.get("explained", [np.nan, np.nan])
    for ax in axes:
        ax.set(xlabel=f"PC1 ({100 * ev[0]:.0f} %)", ylabel=f"PC2 ({100 * ev[1]:.0f} %)")
    fig.suptitle(f"{title}: storing neurons ({data.get('n_neurons')} in the union of the tokens' sets), "
                 f"h_t for -1 <= t <= T-1", fontsize=9)
    fig.tight_layout()
    return _save(fig, stem)


def counting_curves_figure(data: dict, stem, title: str = "", vocab=None, max_curves: int = 10) -> list:
    """Fig. 3: the counting set's mean oriented value against t for each T, with 95 %
    t-interval bands over examples."""
    if not data:
        return []
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 4.2))
    Ts = sorted(data, key=int)[:max_curves]
    cmap = plt.get_cmap("viridis")
    for i, T in enumerate(Ts):
        d = data[T]
        c = cmap(i / max(1, len(Ts) - 1))
        ax.plot(d["t"], d["mean"], "-o", ms=3, color=c, label=f"T = {T} (n = {d['n']})")
        ax.fill_between(d["t"], d["low"], d["high"], color=c, alpha=0.2)
    ax.set(xlabel="t", ylabel="mean oriented value of the counting set",
           title=f"{title}: counting set, 95 % CI")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return _save(fig, stem)


def gates_figure(gates: pd.DataFrame, stem, title: str = "", vocab=None) -> list:
    """Fig. 5: per token, z on outputting neurons and r on storing neurons with all neurons
    kept in h_(T−1), with only the triggering set kept (seed CI) and with only random sets
    of the same size kept (control mean), beside the paper's values for its token "i"."""
    rows = []
    for gate in ("z", "r"):
        sub = gates[gates.test_id.isin([f"gates.{gate}_keep_trigger", f"gates.{gate}_all"])]
        for unit, g in sub.groupby("unit", sort=False):
            trig = g[g.test_id == f"gates.{gate}_keep_trigger"]
            allk = g[g.test_id == f"gates.{gate}_all"]
            if len(trig) and len(allk):
                t, a = trig.iloc[0], allk.iloc[0]
                rows.append((gate, unit, a.estimate, t.estimate, t.ci_low, t.ci_high, t.null_mean, t.paper_value))
    if not rows:
        return []
    plt = _plt()
    df = pd.DataFrame(rows, columns=["gate", "unit", "all", "trig", "lo", "hi", "random", "paper"])
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True)
    for ax, gate in zip(axes, ("z", "r")):
        g = df[df.gate == gate]
        x = np.arange(len(g))
        ax.bar(x - 0.27, g["all"], 0.27, color="C7", label="all neurons kept")
        ax.bar(x, g.trig, 0.27, yerr=np.vstack([g.trig - g.lo, g.hi - g.trig]), color="C0",
               label="only triggering kept (seed CI)")
        ax.bar(x + 0.27, g.random, 0.27, color="C1", label="only random sets kept (control mean)")
        ax.axhline(g.paper.iloc[0], color="C3", ls="--", lw=1, label="paper, triggering kept (token 'i')")
        ax.set_xticks(x, g.unit, rotation=45, ha="right", fontsize=7)
        ax.set(title=f"{gate} on {'outputting' if gate == 'z' else 'storing'} neurons", ylim=(0, 1))
    axes[0].legend(fontsize=7)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return _save(fig, stem)


def table1_figure(summary: pd.DataFrame, stem, ncols: int = 3) -> list:
    """Verification accuracies with seed-level CIs, the null/control mean (grey bar), the
    untrained networks' value (grey diamond) and the paper's value (red x), one panel per
    dataset × trained cell, ``ncols`` panels to a row (so that the figure stays legible at
    a page's width). Writes stem.png and stem.pdf."""
    plt = _plt()
    df = table1_frame(summary)
    if df.empty:
        return []
    untrained = df[df.cell.str.endswith(" untrained")]
    trained = df[~df.cell.str.endswith(" untrained")]
    if trained.empty:
        trained, untrained = df, df.iloc[:0]
    panels = list(trained.groupby(["dataset", "cell"], sort=True))
    labels = list(dict.fromkeys(df.label))
    ncols = max(1, min(ncols, len(panels)))
    nrows = -(-len(panels) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.6 * ncols, (0.3 * len(labels) + 1.5) * nrows), squeeze=False,
                             sharey=True)
    for ax, ((ds, cell), g) in zip(axes.flat, panels):
        y = np.array([labels.index(lab) for lab in g.label])
        err = np.clip(np.nan_to_num(np.vstack([g.estimate - g.ci_low, g.ci_high - g.estimate])), 0, None)
        ax.errorbar(100 * g.estimate, y, xerr=100 * err, fmt="o", color="C0", label="ours (seed CI)")
        ax.scatter(100 * g.null_mean, y, marker="|", s=120, color="grey", label="null / control mean")
        base = untrained[(untrained.dataset == ds) & (untrained.cell == f"{cell} untrained")]
        if len(base):
            ax.scatter(100 * base.estimate, [labels.index(lab) for lab in base.label], marker="D", s=18,
                       facecolors="none", edgecolors="grey", label="untrained networks")
        ax.scatter(100 * g.paper, y, marker="x", color="C3", label="paper")
        ax.set(title=f"{ds}, {cell.upper()}", xlim=(-3, 103), xlabel="%")
        ax.set_yticks(range(len(labels)), labels)
        ax.grid(axis="x", alpha=0.3)
    axes[0][0].invert_yaxis()  # shared: once
    handles, names = axes[0][0].get_legend_handles_labels()
    spare = list(axes.flat)[len(panels):]
    for ax in spare:
        ax.set_visible(False)
    if spare:  # the legend in an empty panel, clear of the points
        spare[0].set_visible(True)
        spare[0].axis("off")
        spare[0].legend(handles, names, loc="center", fontsize=9)
        fig.tight_layout()
    else:
        fig.legend(handles, names, loc="lower center", ncol=len(names), fontsize=8)
        fig.tight_layout(rect=(0, 0.06, 1, 1))
    return _save(fig, stem)
