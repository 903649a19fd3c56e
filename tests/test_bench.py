"""Benchmarks' plumbing (not their timings): learning curves from a run's log-spaced
points, and a study's models reported without training them."""

import pandas as pd
import pytest

from neuronstats.bench import learning_curves_table, load_configs, run_bench
from neuronstats.model.train import train
from tests.conftest import learnable_config, write_grid


def test_learning_curves_are_read_from_training_runs(tmp_path):
    cfg = learnable_config(max_epochs=4)
    res = train(cfg, cache_dir=tmp_path, progress=False)
    lc = learning_curves_table([res])
    assert len(lc) >= 1 and lc.pairs_seen.is_monotonic_increasing and lc.pairs_seen.iloc[0] >= 10_000
    assert lc.val_accuracy.between(0, 1).all() and (lc.config == cfg.name).all()


def test_a_grid_reports_only_cached_models_when_asked(tmp_path):
    cfg = learnable_config(max_epochs=4)
    grid = write_grid(tmp_path / "grid.toml", cfg, '[[run]]\nname = "a"\n\n[[run]]\nname = "b"\ntrain = { seed = 1 }\n')
    assert [c.name for c in load_configs(grid)] == ["a", "b"]
    train(load_configs(grid)[0], cache_dir=tmp_path / "cache", progress=False)
    _, runs = run_bench(grid, None, tmp_path / "out", cache_dir=tmp_path / "cache", cached_only=True)
    assert list(runs.config) == ["a"]  # b was not trained, and was not trained now
    assert (tmp_path / "out" / "learning_curves.csv").is_file() and (tmp_path / "out" / "learning_curves.png").is_file()
    assert len(pd.read_csv(tmp_path / "out" / "learning_curves.csv")) >= 1
    assert not list((tmp_path / "cache" / "models").glob("b-*"))


def test_training_throughput_is_a_fraction_of_the_ceiling_at_each_thread_count():
    from neuronstats.bench import threads_benchmarks

    t = threads_benchmarks(n_batches=3, cells=("gru",))
    assert list(t.torch_threads)[0] == 1 and (t.cell == "gru").all()
    assert (t.tokens_per_s > 0).all() and (t.matmul_ceiling_gflops > 0).all()
    # a FLOP count or a ceiling off by a factor of several would put the ratio outside (0, 2)
    assert t.throughput_vs_ceiling.between(0, 2, inclusive="neither").all()
    assert t.speed_vs_one_thread.iloc[0] == 1.0


def test_a_runs_throughput_ratio_uses_the_ceiling_measured_when_it_trained(tmp_path):
    import json

    cfg = learnable_config(max_epochs=2)
    res = train(cfg, cache_dir=tmp_path / "cache", progress=False)
    assert res.matmul_ceiling_gflops > 0  # measured right after training, on this CPU
    grid = write_grid(tmp_path / "grid.toml", cfg, f'[[run]]\nname = "{cfg.name}"\n')
    _, runs = run_bench(grid, None, tmp_path / "out", cache_dir=tmp_path / "cache", cached_only=True)
    assert runs.matmul_ceiling_gflops.tolist() == [res.matmul_ceiling_gflops]  # not re-measured at collection
    assert runs.throughput_vs_ceiling.between(0, 2, inclusive="neither").all()
    # a model trained before runs recorded their ceiling: no ratio rather than one against today's CPU
    metrics = json.loads((res.run_dir / "metrics.json").read_text())
    del metrics["matmul_ceiling_gflops"]
    (res.run_dir / "metrics.json").write_text(json.dumps(metrics))
    _, runs = run_bench(grid, None, tmp_path / "out", cache_dir=tmp_path / "cache", cached_only=True)
    assert runs.matmul_ceiling_gflops.isna().all() and runs.throughput_vs_ceiling.isna().all()


def test_curves_of_a_studys_seeds_get_a_colour_per_seed_and_a_line_style_per_model():
    from neuronstats.bench import curve_styles

    names = [f"gutenberg-{c}-s{s}" for c in ("gru", "lstm") for s in range(5)]
    names += [f"gutenberg-2tokens-gru-s{s}-e24" for s in range(5)]
    styles = curve_styles(names)
    assert len(set(styles.values())) == 15  # 15 curves, none alike (a 10-colour cycle repeats 5)
    assert styles["gutenberg-gru-s3"][0] == styles["gutenberg-lstm-s3"][0] == styles["gutenberg-2tokens-gru-s3-e24"][0]
    assert len({styles[f"gutenberg-{c}-s0"][1] for c in ("gru", "lstm")}) == 2
    other = curve_styles([f"config {i}" for i in range(25)])  # names without seeds: still all distinct
    assert len(set(other.values())) == 25


KEEP_CHECK = """
import resource, sys, torch
from neuronstats.hardware import keep_freed_memory

def faults(n=30):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(n):
        torch.empty(2_000_000).fill_(1.0)  # 8 MB, as the logits of a training step
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

faults(3)
default = faults()
took = keep_freed_memory()
faults(3)
print(default, took, faults(), keep_freed_memory())
"""


def test_kept_freed_memory_stops_the_page_faults_of_repeated_large_tensors():
    import subprocess
    import sys

    import pytest

    if not sys.platform.startswith("linux"):
        pytest.skip("mallopt is glibc's")
    out = subprocess.run([sys.executable, "-c", KEEP_CHECK], capture_output=True, text=True, check=True).stdout.split()
    default, took, kept, again = int(out[0]), out[1], int(out[2]), out[3]
    assert took == "True" and again == "True"  # it took, and asking again is harmless
    assert default > 1000  # by default much of each tensor is fresh memory (~12,000 faults measured)
    assert kept * 10 < default  # kept: the same memory is reused (0 measured)


def test_the_malloc_benchmark_compares_each_setting_with_a_dask_workers_on_the_same_load():
    from neuronstats.bench import ALLOCATORS, allocator_order, malloc_benchmarks

    assert [allocator_order(r) for r in range(3)] == [["glibc", "dask worker", "kept"],
                                                      ["dask worker", "kept", "glibc"],
                                                      ["kept", "glibc", "dask worker"]]
    t = malloc_benchmarks(n_batches=3, repeats=1, cells=("gru",))
    assert list(t.allocator) == list(ALLOCATORS) and (t.batches_per_s > 0).all()
    assert (t[t.allocator == "dask worker"].speedup == 1.0).all()


def test_the_dask_sweep_benchmark_runs_the_same_sweep_as_a_bare_task_and_as_run_jobs_does():
    from neuronstats.bench import dask_sweep_benchmarks

    t = dask_sweep_benchmarks(repeats=1, n_examples=60, n_sets=4)
    assert list(t.allocator) == ["dask worker", "kept"]
    assert (t.examples == 60).all() and (t.seconds > 0).all()
    assert (t[t.allocator == "dask worker"].speedup == 1.0).all()


def test_a_studys_shipped_models_are_reported_on_a_machine_without_its_cache(tmp_path, monkeypatch):
    """bench train STUDY --cached-only reads the models the study's store ships: a fresh
    clone reports their curves without training anything."""
    from neuronstats.model import train as train_mod
    from neuronstats.study import load_study, train_study
    from tests.test_study import STUDY

    text = 'models = "shipped"\n' + STUDY.replace("seeds = [0, 1]", "seeds = [0]").replace(
        'cells = ["gru", "lstm"]', 'cells = ["gru"]')
    (tmp_path / "s.toml").write_text(text)
    train_study(load_study(tmp_path / "s.toml"), None, tmp_path / "cache", client=None)
    assert (tmp_path / "shipped" / "synthetic-gru-s0").is_dir()
    monkeypatch.setattr(train_mod, "batch_loss", lambda *a, **k: pytest.fail("retrained"))
    _, runs = run_bench(tmp_path / "s.toml", None, tmp_path / "out", cache_dir=tmp_path / "fresh", cached_only=True)
    assert list(runs.config) == ["synthetic-gru-s0"] and not (tmp_path / "fresh" / "models").exists()
