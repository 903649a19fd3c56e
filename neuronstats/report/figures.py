"""Figures (matplotlib, PNG + PDF)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

# (finding, test) pairs with a paper value, in the paper's Table 1 order
TABLE1 = [
    ("positioning", "w at T vs shuffled (w, T)", "positioning"),
    ("storing", "zero storing set at T-1", "storing: zero"),
    ("storing", "previous value at T-1", "storing: previous"),
    ("counting", "value from t-k at T-1: w exactly k steps later", "counting"),
    ("triggering", "T-1 values copied into T-1-k: w k steps early", "triggering"),
    ("outputting", "zero outputting set at T", "outputting: zero"),
    ("outputting", "keep only outputting set at T", "outputting: keep only"),
    ("x_t negligible", "random decoder inputs: accuracy stays (TOST)", "random x_t"),
]


def table1_frame(summary: pd.DataFrame) -> pd.DataFrame:
    """One line per (dataset, cell, label): ours with CI, the null mean and 95th percentile,
    the paper's value. Token-level tests are averaged over tokens (CI: min/max of the
    per-token CIs is not a CI, so none is drawn for them)."""
    out = []
    for finding, test, label in TABLE1:
        sub = summary[(summary.finding == finding) & (summary.test == test)]
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
                out.append({"dataset": ds, "cell": cell, "label": f"{label} (mean of {len(g)} tokens)",
                            "estimate": g.estimate.mean(), "ci_low": np.nan, "ci_high": np.nan,
                            "null_mean": g.null_mean.mean(), "null_ci_high": np.nan, "paper": g.paper_value.iloc[0]})
    return pd.DataFrame(out)


def table1_figure(summary: pd.DataFrame, stem) -> list:
    """Verification accuracies with seed-level CIs, the null/control mean (grey) and the
    paper's value (red x), one panel per dataset × cell. Writes stem.png and stem.pdf."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    df = table1_frame(summary)
    if df.empty:
        return []
    panels = list(df.groupby(["dataset", "cell"], sort=True))
    labels = list(dict.fromkeys(df.label))
    fig, axes = plt.subplots(1, len(panels), figsize=(4.5 * len(panels), 0.35 * len(labels) + 1.8), squeeze=False,
                             sharey=True)
    for ax, ((ds, cell), g) in zip(axes[0], panels):
        y = np.array([labels.index(lab) for lab in g.label])
        err = np.vstack([g.estimate - g.ci_low, g.ci_high - g.estimate])
        ax.errorbar(100 * g.estimate, y, xerr=100 * np.nan_to_num(err), fmt="o", color="C0", label="ours (seed CI)")
        ax.scatter(100 * g.null_mean, y, marker="|", s=120, color="grey", label="null / control mean")
        ax.scatter(100 * g.paper, y, marker="x", color="C3", label="paper")
        ax.set(title=f"{ds}, {cell.upper()}", xlim=(-3, 103), xlabel="%")
        ax.set_yticks(range(len(labels)), labels)
        ax.invert_yaxis()
        ax.grid(axis="x", alpha=0.3)
    axes[0][0].legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = [stem.with_suffix(".png"), stem.with_suffix(".pdf")]
    for p in paths:
        fig.savefig(p, dpi=130)
    plt.close(fig)
    return paths
