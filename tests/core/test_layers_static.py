"""The layers, checked on the source: every import in ``src/r1data`` — at module level and inside
functions — goes to the same package or one below it in the table of ``docs/architecture.md``, and
no two modules import each other, directly or round about."""

from __future__ import annotations

import ast
import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "r1data"
TABLE = Path(__file__).resolve().parents[2] / "docs" / "architecture.md"


def layers() -> dict[str, int]:
    """Package → layer, from the table in docs/architecture.md (``| 3 | `io` | …``)."""
    found = {}
    for line in TABLE.read_text().splitlines():
        m = re.match(r"\|\s*(\d+)\s*\|([^|]+)\|", line)
        if m:
            for name in re.findall(r"`([\w.]+)`", m.group(2)):
                found[name] = int(m.group(1))
    return found


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> list[tuple[str, int]]:
    """Every r1data module ``path`` imports, wherever the import stands, with its line."""
    tree = ast.parse(path.read_text())
    here = module_name(path)
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = (
                    here.split(".")[: -node.level or None] if path.name != "__init__.py" else here.split(".")
                )
                target = ".".join(
                    [*base[: len(base) - node.level + (path.name == "__init__.py")], node.module or ""]
                )
            else:
                target = node.module or ""
            if target.startswith("r1data"):
                names = [f"{target}.{a.name}" for a in node.names]
                out += [(n if _is_module(n) else target, node.lineno) for n in names]
        elif isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names if a.name.startswith("r1data")]
    return out


def _is_module(name: str) -> bool:
    path = SRC.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "r1data"


def layer_of(module: str, table: dict[str, int]) -> int:
    name = ".".join(module.split(".")[1:]) or "r1data"
    for key in (name, package(module)):
        if key in table:
            return table[key]
    raise AssertionError(f"{module} is in no layer of {TABLE.name}")


def test_the_table_names_every_package():
    table = layers()
    packages = {p.name for p in SRC.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    modules = {p.stem for p in SRC.glob("*.py") if p.stem != "__init__"}
    assert packages | modules | {"r1data"} <= set(table), sorted(packages | modules - set(table))


def test_no_import_reaches_up_a_layer():
    table = layers()
    wrong = []
    for path in sorted(SRC.rglob("*.py")):
        here = module_name(path)
        for target, line in imports(path):
            if package(target) != package(here) and layer_of(target, table) > layer_of(here, table):
                wrong.append(f"{path.relative_to(SRC.parent)}:{line} {here} -> {target}")
    assert not wrong, "imports up a layer:\n" + "\n".join(wrong)


def test_no_import_cycle_between_modules():
    graph = {module_name(p): {t for t, _ in imports(p)} - {module_name(p)} for p in SRC.rglob("*.py")}
    # a package's __init__ re-exporting its modules is not a cycle of theirs
    graph = {m: {t for t in ts if not m.startswith(t + ".")} for m, ts in graph.items()}
    cycles, state = [], {}

    def visit(node, stack):
        state[node] = "open"
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                cycles.append(" -> ".join([*stack[stack.index(nxt) :], nxt]))
            elif nxt not in state:
                visit(nxt, [*stack, nxt])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert not cycles, "import cycles:\n" + "\n".join(cycles)
