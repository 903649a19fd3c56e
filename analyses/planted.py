"""Ground truth for the 3-stage method: recover hand-planted neurons, and run the findings'
tests on models whose mechanism is known (``neuronstats/planted.py``).

    OMP_NUM_THREADS=1 python analyses/planted.py --seeds 5 --out results/planted

Writes ``recovery.csv`` (per seed and hypothesis: the planted group, the set found by
stage 1 and by stage 2, precision and recall) and ``tests.csv`` (the storing, counting,
triggering and outputting findings' rows on the planted models, the study's seed count,
the package's default settings), and prints both. About 30 s on one thread.

    OMP_NUM_THREADS=1 python analyses/planted.py --seeds 5 --replications 20 --out results/planted

also repeats the tests on ``--replications`` independent studies of ``--seeds`` planted
models each (fresh seeds) and writes ``power.csv``: per test and unit kind (pooled over
tokens, or the finding's one unit), how often the row rejects in its claimed direction,
with a Wilson 95 % interval: the tests' power on a mechanism that is there. About 30 s
per study.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd
from statsmodels.stats.proportion import proportion_confint

import neuronstats as ns
from neuronstats.planted import planted_model, recovery

GROUP = {"storing": "storing", "counting": "counting", "triggering": "counting", "outputting": "outputting"}
TOKENS = ("w3", "w7", "w11")


def recovery_table(planted, tokens=TOKENS, n_perm: int = 199) -> pd.DataFrame:
    rows = []
    for p in planted:
        for hyp, group in GROUP.items():
            for tok in tokens if hyp in ("storing", "outputting") else (None,):
                s = ns.find(p.model, p.examples, hyp, token=tok, n_perm=n_perm, seed=p.seed)
                for stage, found in (("stage 1", s.candidates), ("stage 2", s.neurons)):
                    if hyp == "outputting" and stage == "stage 1":
                        continue  # the outputting set has one stage (top contributions to the logit)
                    rows.append({"seed": p.seed, "hypothesis": hyp, "token": tok or "", "planted_group": group,
                                 "stage": stage, **recovery(found, p.truth[group]),
                                 "found_set": " ".join(map(str, found))})
    return pd.DataFrame(rows)


def tests_table(planted, tokens=TOKENS) -> pd.DataFrame:
    models, ex = [p.model for p in planted], planted[0].examples
    parts = [ns.storing(models, ex, tokens=list(tokens)), ns.counting(models, ex), ns.triggering(models, ex),
             ns.outputting(models, ex, tokens=list(tokens))]
    df = pd.concat(parts, ignore_index=True)
    cols = ["finding", "test_id", "unit", "alternative", "estimate", "ci_low", "ci_high", "null_mean",
            "p_adjusted", "reject", "n_seeds", "notes"]
    return df[[c for c in cols if c in df]]


def power_table(n_studies: int, seeds: int) -> pd.DataFrame:
    """Rejection rate of every test row over ``n_studies`` studies of planted models."""
    rows = []
    for r in range(n_studies):
        planted = [planted_model(seed=1000 + r * seeds + s) for s in range(seeds)]
        t = tests_table(planted)
        t = t[~t.unit.str.startswith("token") & t.alternative.isin(["greater", "less", "two-sided", "equivalence"])]
        rows += [{"study": r, "test_id": x.test_id, "unit": x.unit.split(":")[0], "reject": bool(x.reject)}
                 for x in t.itertuples()]
    df = pd.DataFrame(rows)
    out = df.groupby(["test_id", "unit"], sort=False).reject.agg(["sum", "count"]).reset_index()
    ci = [proportion_confint(k, n, method="wilson") for k, n in zip(out["sum"], out["count"])]
    out["rate"] = out["sum"] / out["count"]
    out["ci_low"], out["ci_high"] = [c[0] for c in ci], [c[1] for c in ci]
    return out.rename(columns={"sum": "rejections", "count": "studies"})


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--replications", type=int, default=0, help="studies for power.csv (0: none)")
    ap.add_argument("--out", type=Path, default=Path("results/planted"))
    args = ap.parse_args(argv)
    t0 = time.time()
    planted = [planted_model(seed=s) for s in range(args.seeds)]
    rec = recovery_table(planted)
    tests = tests_table(planted)
    args.out.mkdir(parents=True, exist_ok=True)
    rec.to_csv(args.out / "recovery.csv", index=False, float_format="%.4g")
    tests.to_csv(args.out / "tests.csv", index=False, float_format="%.4g")
    summary = rec.groupby(["hypothesis", "stage"])[["precision", "recall"]].mean()
    print(summary.round(3).to_string())
    print(tests[["test_id", "unit", "estimate", "null_mean", "p_adjusted", "reject"]].to_string(index=False))
    if args.replications:
        power = power_table(args.replications, args.seeds)
        power.to_csv(args.out / "power.csv", index=False, float_format="%.4g")
        print(power.to_string(index=False))
    print(f"{time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
