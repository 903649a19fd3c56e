"""The public surface: every public function and class shows a worked example that runs
(doctest), and a storing test is five lines away."""

import doctest
import inspect

import pytest

import neuronstats

FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
NO_EXAMPLE = {"__version__", "InsufficientData", "DataConfig", "ModelConfig", "TrainConfig"}  # RunConfig shows them


def test_public_module_doctest_runs():
    result = doctest.testmod(neuronstats, optionflags=FLAGS)
    assert result.failed == 0 and result.attempted >= 7


@pytest.mark.parametrize("name", sorted(set(neuronstats.__all__) - NO_EXAMPLE))
def test_every_public_name_has_an_example_that_runs(name):
    obj = getattr(neuronstats, name)
    tests = [t for t in doctest.DocTestFinder(recurse=False).find(obj, name, globs={}) if t.examples]
    assert tests, f"ns.{name} has no Examples section"
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    for t in tests:
        runner.run(t)
    assert runner.summarize(verbose=False).failed == 0, f"ns.{name}: its example fails (run with -s to see it)"
    assert inspect.getdoc(obj)


def test_storing_in_five_lines_with_words_and_one_seed(tmp_path):
    import neuronstats as ns
    from tests.conftest import learnable_config

    run = ns.train(learnable_config(), cache_dir=tmp_path, progress=False)
    models, examples = ns.load(run.run_dir, split="test")
    word = models[0].vocab_itos[examples.w[0, 0]]
    df = ns.storing(models, examples, tokens=[word], n_perm=49, n_sets=20, min_examples=3)
    assert set(df.finding) == {"storing"} and (df.n_seeds <= 1).all()
    assert df.unit.str.contains(repr(word)).any()
    assert ns.sweep(models[0], examples, ns.Intervention(step="T", op="zero")).accuracy.iloc[1] < 0.5
    text = repr(run)  # a readable one-liner: the model, how training ended, test positioning; no weights
    assert text.startswith("TrainResult(") and "test positioning" in text and "epochs" in text
    assert "tensor" not in text and len(text) < 400, text


def test_a_neuron_sets_repr_is_its_sizes_and_probe_not_its_lists():
    from neuronstats.stages.neuronset import NeuronSet

    runner = doctest.DocTestRunner(optionflags=FLAGS)
    for t in doctest.DocTestFinder().find(NeuronSet.__repr__, "NeuronSet.__repr__", globs={"NeuronSet": NeuronSet}):
        runner.run(t)
    assert runner.summarize(verbose=False).attempted >= 1 and runner.summarize(verbose=False).failed == 0
    many = NeuronSet({"name": "counting"}, list(range(26)), list(range(51)), {"hidden": 128}, {}, {},
                     attribution=[0.1] * 128)
    assert repr(many).endswith("neurons 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, ...)") and "0.1" not in repr(many)


def test_readme_python_example_runs():
    from pathlib import Path

    readme = Path(__file__).resolve().parents[1] / "README.md"
    result = doctest.testfile(str(readme), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted >= 4


def test_every_example_in_the_package_runs():
    import importlib
    import pkgutil

    failed, attempted = [], 0
    for mod in pkgutil.walk_packages(neuronstats.__path__, "neuronstats."):
        if mod.name.endswith("__main__"):
            continue
        result = doctest.testmod(importlib.import_module(mod.name), optionflags=FLAGS)
        attempted += result.attempted
        if result.failed:
            failed.append(mod.name)
    assert not failed and attempted >= 40


def test_load_refuses_nothing_and_the_same_run_twice():
    import neuronstats as ns
    from neuronstats.errors import InputError

    runs = ns.demo_runs(seeds=1)
    with pytest.raises(InputError, match="no model given"):
        ns.load([])
    with pytest.raises(InputError, match="the same model given twice"):
        ns.load(runs + runs)


def test_sweep_is_its_rows_and_a_summary_and_the_cli_prints_the_same_numbers(tmp_path, capsys):
    import numpy as np
    import pandas as pd

    import neuronstats as ns
    from neuronstats.cli import main
    from neuronstats.errors import InputError
    from tests.conftest import tiny_config

    run = ns.train(tiny_config(), cache_dir=tmp_path, progress=False)
    models, examples = ns.load(run.run_dir, split="test", limit=60)
    spec = ns.Intervention(step="T-1", op="zero", neurons=[0, 1, 2])
    res = ns.sweep(models[0], examples, spec, n_sets=20)
    # the rows, as before: one per condition, read as a DataFrame
    assert isinstance(res, pd.DataFrame) and list(res.columns) == ["condition", "accuracy", "n_examples"]
    assert len(res) == 22 and res.condition.iloc[0] == "clean" and type(res.head()) is pd.DataFrame
    # the summary: clean, under it, the drop, and the random-set control's p from those very rows
    row = res.summary().iloc[0]
    clean, under, controls = res.accuracy.iloc[0], res.accuracy.iloc[1], res.accuracy.iloc[0] - res.accuracy.iloc[2:]
    assert (row.clean_accuracy, row.accuracy, int(row.n_sets)) == (clean, under, 20)
    assert row["drop"] == clean - under and row.p_value == (1 + (controls >= clean - under - 1e-12).sum()) / 21
    text = repr(res)
    assert text.startswith(f"SweepResult: {len(examples)} examples, 22 conditions (clean, 1 intervention, 20 random "
                           "sets)")
    assert "zero neurons 0, 1, 2 at T-1" in text and len(text.splitlines()) <= 4 and "array(" not in text
    # one implementation: the CLI prints the API's numbers
    model = str(next(run.run_dir.glob("model.json")))
    capsys.readouterr()
    assert main(["sweep", model, "--step", "T-1", "--neurons", "0,1,2", "--n-sets", "20", "--limit", "60"]) == 0
    out = capsys.readouterr().out
    assert f"clean {100 * clean:.1f} %" in out and f"drop {100 * row['drop']:.1f} pp" in out
    assert f"p = {row.p_value:.4f}" in out
    # examples without the step are left out and counted; none with it is one clear error
    moved = ns.sweep(models[0], examples, ns.Intervention(step="T-1", op="from_step", source_offset=-1))
    assert moved.n_left_out == int((examples.T[:, 0] < 2).sum()) > 0
    assert moved.n_examples.iloc[0] == len(examples) - moved.n_left_out and np.isnan(moved.summary().p_value[0])
    with pytest.raises(InputError, match="no example has decoder times"):
        ns.sweep(models[0], examples, ns.Intervention(step="T+9", op="zero"))


def test_every_public_name_stays_itself_once_its_module_is_imported():
    """Importing the module a public name lives in binds that module on the package: a
    module named like its function (neuronstats/pretrained.py) would then hide
    ``ns.pretrained``. Checked in a fresh interpreter, where nothing is cached yet."""
    import subprocess
    import sys

    code = ("import importlib, neuronstats as ns\n"
            "for m in sorted(set(ns._WHERE.values())): importlib.import_module(m)\n"
            "print([n for n in ns._WHERE if isinstance(getattr(ns, n), type(ns))])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]", f"public names hidden by their modules: {out}"
