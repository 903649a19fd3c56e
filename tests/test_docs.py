"""Every example in README.md and docs/*.md runs (or, where running it would cost
minutes, is checked) in the test suite, and the generated tables equal their sources.

* Python blocks (```python) run in order, per file, in one namespace, with the project's
  root as the working folder; a block written as a doctest (``>>>``) runs as one. A
  block is skipped only when its first line is a marker naming files it needs, e.g.
  ``# docs-test: needs results/models/gutenberg-gru-s0 ../shared/data/lyricsfreak/songdata.csv``
  (paths relative to the project's root), and only while one of them is absent.
* Shell blocks (```console: the lines after ``$ ``; ```bash / ```sh: every line):
  ``neuronstats …`` and ``python -m neuronstats …`` are parsed by the package's own
  argparse parser (``--help`` and ``--version`` run; so do ``evaluate``, ``record``,
  ``sweep`` and ``find`` on a model the project ships with its test examples: seconds
  each, no corpus read), their study and config files must exist, and no example writes
  over committed results; ``tox -e NAME``
  must name an environment of tox.ini; ``pip install`` may name only the project's
  extras; ``python analyses/readme_tables.py …`` runs (``--update`` on a copy, which
  must already be up to date); any other command fails the test, so that nothing in a
  fenced block goes unchecked.
* ```toml blocks parse, and a run config among them passes the package's config check.
* Relative links resolve, anchors included.
"""

from __future__ import annotations

import argparse
import configparser
import contextlib
import doctest
import importlib.util
import io
import os
import re
import shlex
import shutil
from pathlib import Path
from unittest import mock

import pytest
import tomllib

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOC_FILES = [README, *sorted((ROOT / "docs").glob("*.md")), ROOT / "CHANGELOG.md"]
FENCE = re.compile(r"^```([\w-]*)[^\n]*\n(.*?)^```[ \t]*$", re.M | re.S)
MARKER = re.compile(r"^#\s*docs-test:\s*(\S+)(.*)$")
SHELL = ("console", "bash", "sh", "shell")
KNOWN = ("python", "toml", "text", "", *SHELL)
TEST_COMMAND = "tox -e py         # the tests (what CI runs)"  # CI (.ci/run) runs the README's test command
# where a documented command may write inside results/: the committed outputs of these commands
OWN_OUTPUT = {("replicate", "analyses/replication.toml"): "results",
              ("calibrate", "analyses/calibration.toml"): "results/calibration"}


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def blocks(path: Path) -> list[tuple[str, str, int]]:
    """(language, code, line of the opening fence) of every fenced block in ``path``."""
    text = path.read_text(encoding="utf-8")
    return [(m.group(1).lower(), m.group(2), text.count("\n", 0, m.start()) + 1) for m in FENCE.finditer(text)]


def _readme_tables():
    spec = importlib.util.spec_from_file_location("readme_tables", ROOT / "analyses" / "readme_tables.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


# ---------------------------------------------------------------------------------------
# Python blocks

PY_BLOCKS = [(path, code, line) for path in DOC_FILES if path.is_file()
             for lang, code, line in blocks(path) if lang == "python"]
_NAMESPACES: dict[Path, dict] = {}


def needs(code: str) -> list[str]:
    """The files a block's marker names (empty: no marker). A marker other than
    ``needs`` is an error: skipping is allowed for a missing file only."""
    first = code.lstrip("\n").split("\n", 1)[0].strip()
    m = MARKER.match(first)
    if not m:
        assert "docs-test" not in first, f"malformed docs-test marker: {first!r}"
        return []
    assert m.group(1) == "needs", f"unknown docs-test directive {m.group(1)!r} (only 'needs PATH ...')"
    paths = m.group(2).split()
    assert paths, "a 'docs-test: needs' marker names at least one path"
    return paths


@pytest.mark.parametrize("path, code, line", PY_BLOCKS, ids=[f"{_rel(p)}:{n}" for p, _, n in PY_BLOCKS])
def test_python_example_runs(path, code, line, monkeypatch):
    missing = [p for p in needs(code) if not (ROOT / p).exists()]
    if missing:
        pytest.skip(f"{_rel(path)}:{line} needs {', '.join(missing)} (not here yet)")
    monkeypatch.chdir(ROOT)
    globs = _NAMESPACES.setdefault(path, {"__name__": f"docs:{_rel(path)}"})  # one namespace per file
    where = f"{_rel(path)}:{line}"
    if re.search(r"^\s*>>> ", code, re.M):
        test = doctest.DocTestParser().get_doctest(code, globs, where, str(path), line)
        runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
        out = io.StringIO()
        result = runner.run(test, out=out.write, clear_globs=False)
        assert result.failed == 0, out.getvalue()
        assert result.attempted > 0
    else:
        exec(compile(code, where, "exec"), globs)


def test_markers_name_project_paths():
    """A skip marker names paths a clone will have (the shipped models, the shared corpora),
    not something arbitrary that silently never exists."""
    for path, code, line in PY_BLOCKS:
        for p in needs(code):
            assert not os.path.isabs(p) and not p.startswith("~"), f"{_rel(path)}:{line}: {p} is not relative"
            assert p.startswith(("results/", "../shared/")), f"{_rel(path)}:{line}: {p}"


def test_the_first_python_example_of_the_readme_uses_a_shipped_model():
    first = next(code for path, code, _ in PY_BLOCKS if path == README)
    assert "ns.pretrained(" in first and "results/models/" in (needs(first) or [""])[0]


# ---------------------------------------------------------------------------------------
# Shell blocks


def shell_commands(lang: str, code: str, line: int) -> list[tuple[int, str]]:
    """(line, command) of a shell block: after ``$ `` in a console block, every line
    otherwise; continuation lines (``\\``) joined, comment lines dropped."""
    out, pending, start = [], "", 0
    for i, raw in enumerate(code.split("\n"), start=line + 1):
        if pending:
            text = raw
        elif lang == "console":
            if not raw.startswith("$ "):
                continue  # output
            text, start = raw[2:], i
        else:
            if not raw.strip() or raw.lstrip().startswith("#"):
                continue
            text, start = raw, i
        if text.rstrip().endswith("\\"):
            pending += text.rstrip()[:-1] + " "
            continue
        out.append((start, pending + text))
        pending = ""
    assert not pending, f"a continued line at the end of the block at line {line}"
    return out


_ASSIGN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


def _expand(token: str, env: dict) -> str:
    token = re.sub(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", lambda m: env.get(m.group(1), m.group(0)), token)
    return os.path.expanduser(token)


class _Parsed(Exception):
    def __init__(self, namespace):
        super().__init__()
        self.namespace = namespace


def parse_cli(argv: list[str]) -> argparse.Namespace | None:
    """``argv`` parsed by the package's own parser, without running the command: the parser
    ``neuronstats.cli.main`` builds, stopped right after it parses."""
    from neuronstats import cli

    build = getattr(cli, "build_parser", None)
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            if build is not None:
                return build().parse_args(argv)
            original = argparse.ArgumentParser.parse_args

            def stop(self, args=None, namespace=None):
                raise _Parsed(original(self, args, namespace))

            with mock.patch.object(argparse.ArgumentParser, "parse_args", stop):
                cli.main(argv)
    except _Parsed as parsed:
        return parsed.namespace
    except SystemExit as exc:
        if exc.code == 0:  # --help, --version: argparse prints and exits while parsing
            return None
        raise AssertionError(f"`neuronstats {shlex.join(argv)}` does not parse: {err.getvalue().strip()}") from None
    raise AssertionError(f"`neuronstats {shlex.join(argv)}`: the parser never ran")


def run_cli(argv: list[str]) -> str:
    from neuronstats import cli

    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            code = cli.main(argv)  # a command returns its exit status; --help and --version exit
    except SystemExit as exc:
        code = exc.code
    assert code in (0, None), f"`neuronstats {shlex.join(argv)}` exited {code}"
    return out.getvalue()


def _inside_results(path: str) -> str | None:
    """``path`` relative to the project's results/ folder (as 'results/…'), or None."""
    p = (ROOT / path).resolve()
    results = (ROOT / "results").resolve()
    return str(Path("results") / p.relative_to(results)) if p == results or results in p.parents else None


def check_neuronstats(argv: list[str], tmp: Path | None = None) -> None:
    a = parse_cli(argv)
    if a is None or {"-h", "--help", "--version"} & set(argv):
        assert run_cli(argv).strip(), f"`neuronstats {shlex.join(argv)}` printed nothing"
        return
    cmd = a.cmd + (f" {a.bench_cmd}" if a.cmd == "bench" else "") + (f" {a.data_cmd}" if a.cmd == "data" else "")
    for field in ("study", "config", "grid"):
        value = getattr(a, field, None)
        if isinstance(value, str) and value.endswith(".toml"):
            assert (ROOT / value).is_file(), f"`neuronstats {shlex.join(argv)}`: no such file {value}"
    out = getattr(a, "out", None)
    if out:
        inside = _inside_results(out)
        if a.cmd in ("replicate", "calibrate"):
            allowed = OWN_OUTPUT.get((a.cmd, getattr(a, "study", "")))
            assert inside is None or inside == allowed, (
                f"`neuronstats {shlex.join(argv)}` writes into the committed {inside}: give a folder of your own")
        elif a.cmd == "bench":
            assert inside in (None, "results/bench"), f"`neuronstats {shlex.join(argv)}` writes into {inside}"
        else:
            assert inside is None, f"`neuronstats {shlex.join(argv)}` writes into the committed {inside}"
    if cmd == "find" and a.token and "synthetic" in Path(a.model).name:
        assert re.fullmatch(r"s\d+", a.token), f"the synthetic corpus's words are s0, s1, …, not {a.token!r}"
    if cmd in RUN_ON_SHIPPED and tmp is not None:
        run_on_shipped(argv, a, tmp)


RUN_ON_SHIPPED = ("evaluate", "record", "sweep", "find")  # seconds each on a shipped model's shipped examples
_RAN: set[str] = set()


def run_on_shipped(argv: list[str], a: argparse.Namespace, tmp: Path) -> None:
    """Run a model command as written where its model is one the project ships with its
    test examples (no corpus read): once per distinct command, its ``--out`` in ``tmp``."""
    from neuronstats.model.store import shipped_examples

    run = (ROOT / a.model).resolve()
    store = (ROOT / "results" / "models").resolve()
    if run.parent != store or getattr(a, "split", "test") != "test" or shipped_examples(store, run.name) is None:
        return
    argv = list(argv)
    if getattr(a, "out", None):
        argv[argv.index(a.out)] = str(tmp / Path(a.out).name)
    key = shlex.join(argv)
    if key in _RAN:
        return
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        printed = run_cli(argv)
    finally:
        os.chdir(cwd)
    assert printed.strip(), f"`neuronstats {key}` printed nothing"
    _RAN.add(key)


def tox_envs() -> set[str]:
    ini = configparser.ConfigParser(interpolation=None)
    ini.read(ROOT / "tox.ini")
    envs = {s.split(":", 1)[1] for s in ini.sections() if s.startswith("testenv:")}
    envs |= {e.strip() for e in re.split(r"[,\s]+", ini.get("tox", "env_list", fallback="")) if e.strip()}
    return envs


def project_extras() -> set[str]:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return set(meta["project"].get("optional-dependencies", {}))


def check_pip(args: list[str]) -> None:
    assert args and args[0] == "install", f"pip {shlex.join(args)}: only `pip install` is documented"
    for token in args[1:]:
        m = re.fullmatch(r"(\.[^\[]*)\[([^\]]*)\]", token)
        if m:
            assert (ROOT / m.group(1)).resolve() == ROOT, f"pip install {token}: not this project"
            extras = {e.strip() for e in m.group(2).split(",") if e.strip()}
            assert extras <= project_extras(), f"pip install {token}: the project's extras are {project_extras()}"


def check_tox(args: list[str]) -> None:
    names = []
    for i, token in enumerate(args):
        if token == "-e":
            names += args[i + 1].split(",")
        elif token.startswith("-e") and len(token) > 2:
            names += token[2:].split(",")
    assert all(n in tox_envs() for n in names), f"tox {shlex.join(args)}: environments are {sorted(tox_envs())}"


def check_readme_tables(args: list[str], tmp: Path) -> None:
    mod = _readme_tables()
    if "--update" in args:
        i = args.index("--update")
        target = ROOT / args[i + 1]
        assert target.is_file(), f"--update {args[i + 1]}: no such file"
        copy = tmp / target.name
        shutil.copy(target, copy)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            mod.main(args[:i + 1] + [str(copy)] + args[i + 2:])
        assert "already up to date" in out.getvalue(), (
            f"{args[i + 1]} is not up to date: run `python analyses/readme_tables.py {shlex.join(args)}`")
        return
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            mod.main(args)
    finally:
        os.chdir(cwd)
    assert out.getvalue().strip(), f"readme_tables.py {shlex.join(args)} printed nothing"


def check_command(command: str, env: dict, tmp: Path) -> None:
    tokens = shlex.split(command, comments=True)
    if not tokens:
        return
    while tokens and _ASSIGN.match(tokens[0]):  # VAR=value prefixes, or a bare assignment
        name, value = tokens.pop(0).split("=", 1)
        if not tokens:
            env[name] = _expand(value, env)
    tokens = [_expand(t, env) for t in tokens]
    if not tokens:
        return
    head, rest = tokens[0], tokens[1:]
    python = head in ("python", "python3")
    if head == "neuronstats":
        check_neuronstats(rest, tmp)
    elif python and rest[:2] == ["-m", "neuronstats"]:
        check_neuronstats(rest[2:], tmp)
    elif head == "pip" or (python and rest[:2] == ["-m", "pip"]):
        check_pip(rest if head == "pip" else rest[2:])
    elif head == "tox":
        check_tox(rest)
    elif python and rest[:1] == ["analyses/readme_tables.py"]:
        check_readme_tables(rest[1:], tmp)
    elif python and rest and rest[0].endswith(".py"):
        assert (ROOT / rest[0]).is_file(), f"no such script: {rest[0]}"
    elif head == "pytest" or (python and rest[:2] == ["-m", "pytest"]):
        for t in (rest if head == "pytest" else rest[2:]):
            if t.startswith("tests"):
                assert (ROOT / t.split("::")[0]).exists(), f"no such test path: {t}"
    else:
        raise AssertionError(f"a command the docs test cannot check: {command!r} (add a check to "
                             "tests/test_docs.py, or keep it out of fenced shell blocks)")


SHELL_FILES = [p for p in DOC_FILES if p.is_file() and any(lang in SHELL for lang, _, _ in blocks(p))]


@pytest.mark.parametrize("path", SHELL_FILES, ids=[_rel(p) for p in SHELL_FILES])
def test_shell_examples_are_valid(path, tmp_path):
    env: dict[str, str] = {}
    checked = 0
    for lang, code, line in blocks(path):
        if lang not in SHELL:
            continue
        for n, command in shell_commands(lang, code, line):
            try:
                check_command(command, env, tmp_path)
            except AssertionError as exc:
                raise AssertionError(f"{_rel(path)}:{n}: {exc}") from None
            checked += 1
    assert checked


def test_every_block_has_a_known_language():
    for path in DOC_FILES:
        if path.is_file():
            for lang, _, line in blocks(path):
                assert lang in KNOWN, f"{_rel(path)}:{line}: ```{lang} blocks are not checked (use one of {KNOWN})"


def test_the_checks_catch_the_mistakes_they_are_for(tmp_path):
    """The checker itself: the README's old examples fail it."""
    bad = ["neuronstats replicate analyses/smoke.toml --out results/smoke",
           "neuronstats find ~/.cache/neuronstats/models/synthetic-gru-KEY --hypothesis storing --token the",
           "neuronstats evaluate",  # a missing argument
           "neuronstats replicate analyses/no_such_study.toml --out x",
           "tox -e no_such_env",
           "pip install -e '.[tests]'",
           "rm -rf results"]
    for command in bad:
        with pytest.raises(AssertionError):
            check_command(command, {}, tmp_path)
    check_command("M=results/models/gutenberg-gru-s0", env := {}, tmp_path)
    assert env == {"M": "results/models/gutenberg-gru-s0"}
    check_command("OMP_NUM_THREADS=1 neuronstats evaluate $M --data-dir ../shared/data", env, tmp_path)
    check_command("neuronstats replicate analyses/replication.toml --out results", {}, tmp_path)


# ---------------------------------------------------------------------------------------
# TOML blocks


def test_toml_examples_parse_and_run_configs_check(tmp_path):
    from neuronstats.config import load_config

    for path in DOC_FILES:
        if not path.is_file():
            continue
        for lang, code, line in blocks(path):
            if lang != "toml":
                continue
            data = tomllib.loads(code)
            if {"data", "model", "train"} & set(data) and "dataset" not in data:
                f = tmp_path / f"{path.stem}-{line}.toml"
                f.write_text(code)
                load_config(f)


# ---------------------------------------------------------------------------------------
# The README itself, the generated tables, links


def test_readme_is_short_and_keeps_the_test_command():
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 200
    shell = [c for lang, c, _ in blocks(README) if lang in SHELL]
    assert any(TEST_COMMAND in c.split("\n") for c in shell), f"the README's test command {TEST_COMMAND!r} is gone"
    assert any("pip install -e '.[test]'" in c for c in shell)


def test_readme_claims_table_is_the_ledger():
    mod = _readme_tables()
    block = mod.read_block(README, "claims")
    assert block is not None, "README.md has no <!-- claims:start --> ... <!-- claims:end --> block"
    assert block == mod.claims_markdown(ROOT / "results"), (
        "README's claims table differs from results/claims.csv: run "
        "`python analyses/readme_tables.py claims results --update README.md`")


def test_deviations_table_is_the_deviations_file():
    mod = _readme_tables()
    doc = ROOT / "docs" / "deviations.md"
    assert mod.read_block(doc, "deviations") == mod.deviations_markdown(), (
        "docs/deviations.md differs from neuronstats/deviations.csv: run "
        "`python analyses/readme_tables.py deviations --update docs/deviations.md`")


def test_update_replaces_only_the_block(tmp_path):
    mod = _readme_tables()
    f = tmp_path / "doc.md"
    f.write_text("before\n<!-- claims:start -->\nold\n<!-- claims:end -->\nafter\n")
    assert mod.update_block(f, "claims", "| a |\n|---|")
    assert f.read_text() == "before\n<!-- claims:start -->\n| a |\n|---|\n<!-- claims:end -->\nafter\n"
    assert not mod.update_block(f, "claims", "| a |\n|---|")  # idempotent
    assert mod.read_block(f, "claims") == "| a |\n|---|"
    with pytest.raises(SystemExit):
        mod.update_block(f, "deviations", "x")


def test_claims_table_reads_the_new_ledger_columns(tmp_path):
    """A claim judged on two rows shows each (``per_row``), values in % only for rates,
    and the readings a claim is sensitive to."""
    import pandas as pd

    mod = _readme_tables()
    pd.DataFrame([
        {"claim_id": "pos-lstm", "test_id": "positioning.accuracy", "kind": "level", "direction": "greater",
         "paper_value": 0.975, "estimate": 0.952, "ci_low": float("nan"), "ci_high": float("nan"),
         "ci_kind": "none: 2 rows (per_row)",
         "per_row": "gutenberg: 0.946 [0.924, 0.968]; lyrics: 0.958 [0.938, 0.979]",
         "verdict": "supported", "sensitive": True,
         "sensitive_to": "margin = 2 pp (): weaker: level short of the paper"},
        {"claim_id": "counting-monotone", "test_id": "counting.monotone", "kind": "direction", "direction": "greater",
         "paper_value": float("nan"), "estimate": 0.825, "ci_low": 0.797, "ci_high": 0.853,
         "ci_kind": "95 % CI, seed-level", "per_row": "gutenberg: 0.825 [0.797, 0.853]",
         "verdict": "supported", "sensitive": False, "sensitive_to": ""},
    ]).to_csv(tmp_path / "claims.csv", index=False)
    with pytest.raises(SystemExit, match="summary.csv: not found"):
        mod.claims_markdown(tmp_path)  # the units come from the study's rows
    pd.DataFrame({"test_id": ["positioning.accuracy", "counting.monotone"],
                  "statistic": ["accuracy", "mean |Spearman rho| (t, value)"]}).to_csv(tmp_path / "summary.csv")
    table = mod.claims_markdown(tmp_path).split("\n")
    assert table[0] == "| claim | paper | ours [95 % CI] | verdict | sensitive |"
    assert table[2] == ("| pos-lstm | 97.5 % | gutenberg: 94.6 % [92.4, 96.8]; lyrics: 95.8 % [93.8, 97.9] | "
                        "supported | yes: margin |")
    assert table[3] == "| counting-monotone | direction (greater) | 0.825 [0.797, 0.853] | supported |  |"
    assert table[-1] == "2 claims; supported: 2"


LINK = re.compile(r"(?<!!)\[[^\]]+\]\(([^)\s]+)\)")


def _slug(heading: str) -> str:
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_relative_links_resolve():
    for path in DOC_FILES:
        if not path.is_file():
            continue
        text = FENCE.sub("", path.read_text(encoding="utf-8"))
        for target in LINK.findall(text):
            if re.match(r"[a-z]+:", target):
                continue
            file, _, anchor = target.partition("#")
            dest = (path.parent / file).resolve() if file else path
            assert dest.exists(), f"{_rel(path)}: link to {target}: no such file"
            if anchor and dest.suffix == ".md":
                headings = re.findall(r"^#+\s+(.*)$", FENCE.sub("", dest.read_text(encoding="utf-8")), re.M)
                assert anchor in {_slug(h) for h in headings}, f"{_rel(path)}: link to {target}: no such heading"
