"""The documentation and the parsers say the same thing, both ways: the command reference page is the
one the parsers generate (every flag of every command is in it), and every flag a page or the README
uses on an ``r1data COMMAND`` line is one that command accepts."""

from __future__ import annotations

import re

import pytest

from r1data.commands import COMMANDS
from r1data.commands.reference import PAGES as REFERENCE
from r1data.commands.reference import command_flags, command_parsers, render
from tests.conftest import REPO

PAGES = [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]
# an `r1data COMMAND …` line, in a code block or inline code; `\` continues it on the next line
INVOCATION = re.compile(r"(?:^|[`$\s(])r1data\s+([a-z]+)((?:[^\n`]|\\\n)*)")
PLACEHOLDERS = {"--field"}  # `r1data train METHOD --field value`: any TRL field
FLAG = re.compile(r"(?<![\w-])(--?[A-Za-z][\w-]*)")


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_the_reference_pages_are_the_ones_the_code_generates(name):
    page = (REPO / "docs" / "reference" / name).read_text()
    assert page == REFERENCE[name](), f"docs/reference/{name} is stale: run `make reference`"


def test_the_steps_page_lists_every_step_and_field():
    from r1data.core.configs import reference
    from r1data.pipelines.registry import STEPS, step_class

    page = (REPO / "docs" / "reference" / "steps.md").read_text()
    for name in STEPS:
        section = page.split(f"## `{name}`\n", 1)[1].split("\n## ", 1)[0]
        for field in reference(step_class(name).Config):
            assert f"| `{field['name']}` |" in section, (
                f"step {name}: field {field['name']} not in the reference"
            )


def test_the_commands_page_is_the_one_the_parsers_generate():
    page = (REPO / "docs" / "reference" / "commands.md").read_text()
    assert page == render()
    parsers = command_parsers()
    for name in COMMANDS:
        section = page.split(f"## r1data {name}\n", 1)[1].split("\n## r1data ", 1)[0]
        if name == "train":
            assert "--dataset_name" in section and "--reward_funcs" in section
            continue
        for action in parsers[name]._actions:
            for flag in action.option_strings:
                if flag not in ("-h", "--help", "--quiet", "-q", "--log-level"):
                    assert f"`{flag}`" in section, f"r1data {name} {flag} is not in the reference"
    assert "`--quiet`" in page and "`--log-level`" in page


def _invocations(text: str):
    for match in INVOCATION.finditer(text):
        command, rest = match.group(1), match.group(2).replace("\\\n", " ")
        yield command, rest


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(REPO)))
def test_every_flag_a_page_uses_exists(page):
    unknown = []
    for command, rest in _invocations(page.read_text()):
        if command not in COMMANDS:
            continue
        accepted = command_flags(command)
        for flag in FLAG.findall(rest.split("|")[0].split("#")[0]):
            if flag not in accepted and flag not in PLACEHOLDERS:
                unknown.append(f"r1data {command} {flag}")
    assert not unknown, f"{page.name} uses flags the parsers do not have: {sorted(set(unknown))}"


def test_the_scan_finds_flags_and_would_catch_a_wrong_one():
    found = list(_invocations("run `r1data verify in.jsonl out.jsonl --workers 2 --judge-model m`"))
    assert found == [("verify", " in.jsonl out.jsonl --workers 2 --judge-model m")]
    assert "--judge-model" in command_flags("verify") and "--judge-modle" not in command_flags("verify")
    assert {"--quiet", "--log-level"} <= command_flags("mix") and {"--quiet", "--log-level"} <= command_flags(
        "train"
    )


def test_the_reasons_page_lists_every_registered_reason():
    from r1data.core import reasons

    page = (REPO / "docs" / "reference" / "reasons.md").read_text()
    tables = [reasons.DROPS, reasons.VERDICTS, reasons.READABILITY, reasons.GENERATION_ERRORS,
              reasons.QUARANTINE]  # fmt: skip
    for table in tables:
        for name in table:
            assert f"| `{name}` |" in page, f"reason {name} is not on the reasons page"


def test_the_recipes_page_lists_every_field_of_every_recipe_file():
    from r1data.core.configs import reference
    from r1data.mix.recipe import MixRecipe
    from r1data.pipelines.recipe import ExecutorSpec, InputSpec, Recipe, StageSpec
    from r1data.trainers.bond import BondRecipe

    page = (REPO / "docs" / "reference" / "recipes.md").read_text()
    for cls in (Recipe, InputSpec, StageSpec, ExecutorSpec, MixRecipe, BondRecipe):
        section = page.split(f"### {cls.__name__}\n", 1)[1].split("\n### ", 1)[0]
        for field in reference(cls):
            assert f"| `{field['name']}` |" in section, f"{cls.__name__}.{field['name']} is missing"


def _task_table(text: str, prefix: str) -> list[str]:
    rows = [line for line in text.splitlines() if line.startswith("| ") and "](" in line]
    return [line.replace("](" + prefix, "](") for line in rows if "I want to" not in line]


def test_the_readme_and_the_site_offer_the_same_tasks_each_one_click_from_a_page():
    readme = _task_table(
        (REPO / "README.md").read_text().split("## I want to", 1)[1].split("\n## ")[0], "docs/"
    )
    index = _task_table((REPO / "docs" / "index.md").read_text(), "")
    assert readme == index and len(readme) >= 15
    for row in readme:
        for target in re.findall(r"\]\(([^)#]+)", row):
            assert (REPO / "docs" / target).exists(), f"{target} in the I want to… table does not exist"
