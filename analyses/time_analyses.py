"""Time ``tox -e analyses`` on a fresh clone, as a newcomer runs it, and record the run.

    python analyses/time_analyses.py --data-dir ../shared/data

Clones this repository's committed HEAD into a new folder beside it, runs
``tox -e analyses`` there (needs tox; its environment built from nothing, torch pinned by
.ci/constraints.txt as in CI, an empty neuronstats cache), and appends one row to results/bench/analyses_time.csv
(:data:`COLUMNS`): the wall clock of the whole command and of the study itself, the
worker-minutes of the findings and of the sensitivity readings (from the clone's
results/manifest.json), how many models the run trained (none, when every model is
shipped), and how many committed result tables the run changed (none, when the committed
results are what the code produces). The load average before the start says whether the
machine was otherwise idle: a timing taken beside other work is not the newcomer's time.
The clone is removed afterwards unless ``--keep``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
COLUMNS = ("date", "commit", "cores", "load_before", "wall_min", "study_min", "setup_min", "findings_worker_min",
           "sensitivity_worker_min", "models_trained", "tables_changed", "changed", "study_args")
TABLES = (".csv", ".tex")  # what "identical results" compares; manifest and report carry times


def run_row(clone: Path, wall_s: float, load_before: float, commit: str, study_args: str = "") -> dict:
    """The row of one finished run in ``clone`` (see :data:`COLUMNS`); ``study_args``: what
    the run passed to the study beyond ``--data-dir`` (empty: the whole study)."""
    manifest = json.loads((clone / "results" / "manifest.json").read_text())
    study_s = float(manifest["seconds_this_run"])
    trained = [n for n, m in manifest.get("models", {}).items() if float(m.get("seconds_this_run", 0)) > 60]
    status = subprocess.run(["git", "-C", str(clone), "status", "--porcelain", "--", "results"],
                            capture_output=True, text=True, check=True).stdout.splitlines()
    changed = sorted(line[3:] for line in status if Path(line[3:]).suffix in TABLES)
    return {"date": datetime.date.today().isoformat(), "commit": commit, "cores": os.cpu_count(),
            "load_before": round(load_before, 2), "wall_min": round(wall_s / 60, 1),
            "study_min": round(study_s / 60, 1), "setup_min": round((wall_s - study_s) / 60, 1),
            "findings_worker_min": round(sum(f["seconds"] for f in manifest["findings"].values()) / 60, 1),
            "sensitivity_worker_min": round(sum(f["seconds"] for f in manifest.get("sensitivity", {}).values()) / 60,
                                            1),
            "models_trained": len(trained), "tables_changed": len(changed), "changed": " ".join(changed[:20]),
            "study_args": study_args}


def append_row(row: dict, path: Path) -> pd.DataFrame:
    old = pd.read_csv(path) if path.is_file() else pd.DataFrame(columns=list(COLUMNS))
    table = pd.concat([old, pd.DataFrame([row], columns=list(COLUMNS))], ignore_index=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(path, index=False)
    return table


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data-dir", required=True, help="the corpora (passed to tox -e analyses)")
    p.add_argument("--clone", default=None, help="where to clone (default: a new folder beside this repository)")
    p.add_argument("--out", default=str(ROOT / "results" / "bench" / "analyses_time.csv"))
    p.add_argument("--keep", action="store_true", help="keep the clone")
    p.add_argument("--study-args", default="",
                   help="more arguments for the study, e.g. '--datasets gutenberg,lyrics' (recorded in the row: "
                        "a run on part of the study is not the newcomer's time)")
    a = p.parse_args(argv)
    data_dir = Path(a.data_dir).resolve()
    if not data_dir.is_dir():
        print(f"{a.data_dir}: not a folder (expected the corpora, e.g. ../shared/data)", file=sys.stderr)
        return 2
    clone = Path(a.clone or ROOT.parent / f"{ROOT.name}-fresh-{int(time.time())}").resolve()
    if clone.exists():
        print(f"{clone}: already exists (expected a new folder for the clone)", file=sys.stderr)
        return 2
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True, check=True).stdout.strip()
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    # a newcomer's machine: nothing prepared or cached (the corpora are prepared again, inside the clone)
    env = {**os.environ, "PIP_CONSTRAINT": str(clone / ".ci" / "constraints.txt"),
           "NEURONSTATS_CACHE": str(clone / ".fresh-cache")}
    load_before = os.getloadavg()[0]
    t = time.perf_counter()
    try:
        subprocess.run([sys.executable, "-m", "tox", "-e", "analyses", "--", "--data-dir", str(data_dir),
                        *a.study_args.split()], cwd=clone, env=env, check=True)
        row = run_row(clone, time.perf_counter() - t, load_before, commit, a.study_args)
    finally:
        if not a.keep:
            shutil.rmtree(clone, ignore_errors=True)
    print(append_row(row, Path(a.out)).tail(1).to_string(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
