"""Installed package versions, for stats, cards and metrics (so a result can be re-run)."""

from __future__ import annotations

CURATION = ("r1data", "datatrove", "math-verify", "latex2sympy2_extended", "datasets", "pyarrow")


def package_versions(names: tuple[str, ...] = CURATION) -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in names:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out
