"""The reason registry (r1data.core.reasons) lists every reason the code can emit: the literal reasons
at every drop, quarantine and verdict site of the source (read from its syntax tree), and the families
their f-strings build. Reasons emitted at run time are checked by strict mode in every other test."""

from __future__ import annotations

import ast

import pytest

from r1data.core import reasons
from tests.conftest import REPO

SRC = REPO / "src" / "r1data"
#: call name → (family, position of the reason argument)
SITES = {
    "drop_record": ("drop", 1),
    "drop_completions": ("drop", 2),
    "drop": ("drop", 0),
    "_quarantine": ("quarantine", 0),
    "RecordError": ("quarantine", 0),
    "verdict": ("verdict", 1),
    "_v": ("verdict", 1),
    "v": ("verdict", 1),
}


def _sites():
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
            if name not in SITES:
                continue
            family, position = SITES[name]
            if len(node.args) > position:
                yield path.relative_to(SRC), node.lineno, family, node.args[position]


def _constants(arg):
    """The strings an argument can be: a literal, or either branch of ``a if c else b``."""
    if isinstance(arg, ast.IfExp):
        return [*_constants(arg.body), *_constants(arg.orelse)]
    return [arg.value] if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else []


def _literal_sites():
    return [(f"{p}:{line}", family, value) for p, line, family, arg in _sites() for value in _constants(arg)]


def test_the_scan_finds_the_sites_it_is_meant_to():
    found = {(family, name) for _, family, name in _literal_sites()}
    for expected in [
        ("drop", "not_selected"),
        ("quarantine", "too_deep"),
        ("verdict", "tests_failed"),
        ("drop", "duplicate_row"),
        ("verdict", "judge_unparsable"),
        ("verdict", "well_formed"),
        ("verdict", "no_think_block"),
    ]:
        assert expected in found
    assert len(found) > 40


@pytest.mark.parametrize("where,family,name", _literal_sites())
def test_every_literal_reason_is_listed(where, family, name):
    assert reasons.explain(family, name), f"{where}: {family} reason {name!r} has no meaning"


def test_every_built_reason_is_a_listed_family():
    """f"generation_failed_{x}", f"contaminated_{bench}", f"score_below_{n}": the fixed head of each
    built reason is the head of a listed family."""
    built = []
    for p, line, family, arg in _sites():
        if isinstance(arg, ast.JoinedStr) and isinstance(arg.values[0], ast.Constant):
            built.append((f"{p}:{line}", family, arg.values[0].value))
    assert len(built) >= 3
    table = reasons.FAMILIES[family]
    for where, family, head in built:
        table = reasons.FAMILIES[family]
        assert any(p.startswith(head) and "{" in p for p in table), f"{where}: {head}… is no family"


def test_families_resolve_through_their_vocabulary():
    assert "not equivalent" in reasons.explain("drop", "fail_not_equivalent")
    assert "sandbox itself" in reasons.explain("drop", "unknown_sandbox_error")
    assert "HTTP" in reasons.explain("drop", "generation_failed_http_503")
    assert "benchmark (math_500)" in reasons.explain("drop", "contaminated_math_500")
    assert reasons.explain("drop", "fail_") is None
    assert reasons.explain("drop", "fail_made_up") is None
    assert reasons.explain("drop", "readability_made_up") is None


def test_strict_mode_refuses_an_unlisted_reason(monkeypatch):
    from datatrove.data import Document

    from r1data.core.step import R1Step

    step = R1Step()
    doc = Document(text="q", id="1", metadata={"id": "1", "completions": [{"text": "a"}]})
    monkeypatch.setenv("R1DATA_STRICT_REASONS", "1")
    with pytest.raises(reasons.UnlistedReason, match="made_up_reason"):
        step.drop_record(doc, "made_up_reason")
    step.drop_record(doc, "no_correct")
    assert step.stats["records_dropped_no_correct"].total == 1
    monkeypatch.setenv("R1DATA_STRICT_REASONS", "0")
    step.drop_record(doc, "made_up_reason")  # a user's run is never stopped by the registry
    assert step.stats["records_dropped_made_up_reason"].total == 1
