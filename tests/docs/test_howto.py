"""Every how-to page runs, as a reader would run it: its blocks in order, in one folder laid out like a
clone's root (``recipes/`` and ``../shared/data`` where the page says).

A block says what it is in an HTML comment on the line above its fence (the site does not show it):

* ``<!-- run -->``: a bash block run with ``bash -euo pipefail`` (``r1data`` is the venv's), or a python
  block run with the venv's python; it must exit 0.
* ``<!-- file: NAME -->``: the block is written to ``NAME`` for the blocks after it.
* ``<!-- parse: why it cannot run here -->`` (a GPU, a cluster, the Hub, a teacher model): every
  ``r1data`` command line of the block is parsed by the real parser (``train`` by TRL's), and a recipe,
  mix or BOND file it names is loaded and validated.

A bash, python, YAML or JSON block without one of these fails the test: no example goes unchecked.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, SHARED_DATA

HOWTO = sorted((REPO / "docs" / "how-to").glob("*.md"))
BLOCK = re.compile(
    r"(?:<!-- (?P<mark>[^\n]*?) -->\n)?^```(?P<lang>[\w-]*)[^\n]*\n(?P<body>.*?)^```", re.S | re.M
)
CHECKED = {"bash", "sh", "python", "yaml", "json", "jsonl"}
BIN = Path(sys.executable).parent


def blocks(page: Path) -> list[tuple[str, str, str]]:
    """``(mark, lang, body)`` of each fenced block, in order."""
    return [(m["mark"] or "", m["lang"], m["body"]) for m in BLOCK.finditer(page.read_text())]


def command_lines(body: str) -> list[list[str]]:
    """The ``r1data`` command lines of a shell block (``\\``-continued lines joined, comments cut,
    ``NAME=value`` prefixes set in the environment)."""
    lines = []
    for line in body.replace("\\\n", " ").splitlines():
        words = shlex.split(line, comments=True)
        while words and re.match(r"[A-Za-z_]\w*=", words[0]):
            name, _, value = words.pop(0).partition("=")
            os.environ[name] = value
        if "r1data.cli" in words:  # accelerate launch … -m r1data.cli train …
            words = ["r1data", *words[words.index("r1data.cli") + 1 :]]
        if words[:1] == ["r1data"]:
            lines.append(words)
    return lines


def parse(argv: list[str]) -> None:
    """Parse one command line as r1data would, and load the recipe file it names."""
    from r1data.commands import make_parser

    if argv[1] == "train":
        import trl

        from r1data.trainers import common

        config = {"sft": trl.SFTConfig, "grpo": trl.GRPOConfig, "distill": trl.DistillationConfig}[argv[2]]
        common.parse(config, [*argv[3:], "--use_cpu", "true", "--bf16", "false"])
        return
    try:
        args = make_parser().parse_args(argv[1:])
    except SystemExit as exc:
        raise AssertionError(f"{shlex.join(argv)}: the parser refused it") from exc
    if argv[1] == "run":
        from r1data.pipelines.recipe import load_recipe

        load_recipe(args.recipe)
    elif argv[1] == "mix":
        from r1data.mix.recipe import load_mix_recipe

        load_mix_recipe(args.recipe)
    elif argv[1] == "bond":
        from r1data.trainers.bond import BondRecipe

        BondRecipe.load(args.recipe)


def _env() -> dict[str, str]:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "HF_HUB_OFFLINE": "1"}
    env.pop("PYTHONPATH", None)
    return env


def test_every_checked_block_of_every_howto_page_is_marked():
    unmarked = [
        f"{page.name}: a {lang} block starting {body[:40]!r}"
        for page in HOWTO
        for mark, lang, body in blocks(page)
        if lang in CHECKED and not re.match(r"run$|file: \S+$|parse: \S", mark)
    ]
    assert not unmarked, "blocks without run / file / parse:\n" + "\n".join(unmarked)
    assert len(HOWTO) >= 8


def test_the_harness_parses_and_refuses():
    assert command_lines("r1data eval x \\\n  --k 4  # four\nls") == [["r1data", "eval", "x", "--k", "4"]]
    with pytest.raises(AssertionError, match="refused"):
        parse(["r1data", "eval", "--no-such-flag"])


@pytest.fixture
def environ():
    """The environment as it was, after a page set variables on its command lines."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.mark.parametrize("page", HOWTO, ids=[p.stem for p in HOWTO])
def test_the_page_runs(page, tmp_path, monkeypatch, environ):
    work = tmp_path / "r1data"
    work.mkdir()
    (work / "recipes").symlink_to(REPO / "recipes")
    if SHARED_DATA.parent.exists():
        (tmp_path / "shared").symlink_to(SHARED_DATA.parent)
    monkeypatch.chdir(work)
    ran = 0
    for mark, lang, body in blocks(page):
        where = f"{page.name}: {lang} block {body[:60]!r}"
        if mark.startswith("file: "):
            target = work / mark.removeprefix("file: ")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(body)
        elif mark == "run":
            if "../shared/data" in body and not SHARED_DATA.exists():
                pytest.skip("the page reads ../shared/data, which is not beside the repo")
            command = ["bash", "-euo", "pipefail", "-c", body] if lang in ("bash", "sh") else [
                str(BIN / "python"), "-c", body]  # fmt: skip
            done = subprocess.run(command, cwd=work, env=_env(), capture_output=True, text=True, timeout=600)
            assert done.returncode == 0, (
                f"{where} exited {done.returncode}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
            )
            ran += 1
        elif mark.startswith("parse: "):
            lines = command_lines(body)
            assert lines, f"{where}: a parse block with no r1data command line"
            for argv in lines:
                parse(argv)
            ran += 1
    assert ran, f"{page.name}: nothing on the page runs or parses"
