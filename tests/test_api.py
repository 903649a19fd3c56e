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
