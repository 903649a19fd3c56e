"""The claim rule's power at the effect sizes the study saw: for every directional claim,
on each of its datasets, how often the ledger's rule would call it supported if the
mechanism were there with exactly the effect (and spread) our rows show, at the study's
seed count (:func:`neuronstats.stats.power.claim_rule_power`). Its false-positive rate
on untrained networks is measured by ``neuronstats calibrate`` (results/calibration/)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from neuronstats.paper import claims as load_claims
from neuronstats.report.ledger import _rows_for
from neuronstats.stats.power import claim_rule_power

Z = 1.959963984540054


def _effect_se(row) -> tuple[float, float]:
    """A row's effect (estimate minus control) and its SE from the CI's half-width
    (/1.96: conservative when the row's df are few)."""
    return float(row.estimate - row.null_mean), float((row.ci_high - row.ci_low) / (2 * Z))


def power_table(summary: pd.DataFrame, n_sim: int = 4000) -> pd.DataFrame:
    """One line per directional claim and dataset: the effect and SE seen, and the power
    of its row and of the whole claim rule (row, and beating the untrained network where
    the study ran it) at the study's seed count."""
    out = []
    for claim in load_claims().itertuples():
        if claim.kind not in ("level", "drop", "direction"):
            continue
        rows = _rows_for(summary, claim)
        for r in rows[rows.estimate.notna() & rows.null_mean.notna()].itertuples():
            eff, se = _effect_se(r)
            if not (np.isfinite(se) and se > 0):
                continue
            base = _rows_for(summary, claim, cell=claim.cell + " untrained")
            base = base[(base.dataset == r.dataset) & base.null_mean.notna()]
            kw = {}
            if len(base):
                ue, us = _effect_se(base.iloc[0])
                if np.isfinite(us) and us > 0:
                    kw = {"untrained_effect": ue, "untrained_se": us}
            n_seeds = int(getattr(r, "n_seeds", 0) or 0) or 5
            pw = claim_rule_power(eff, se, max(n_seeds, 2), direction=claim.direction, n_sim=n_sim, seed=len(out),
                                  **kw)
            out.append({"claim_id": claim.claim_id, "dataset": r.dataset, "effect": eff, "se": se,
                        "n_seeds": n_seeds, "power_row": pw["row"],
                        "power_claim": pw["claim"], "with_untrained": bool(kw)})
    return pd.DataFrame(out, columns=["claim_id", "dataset", "effect", "se", "n_seeds", "power_row", "power_claim",
                                      "with_untrained"])

