"""Lazy package exports: ``from r1data.verifiers import Verify`` works, but importing a package does not
import every module in it (verifier workers start faster without datatrove and pydantic)."""

from __future__ import annotations

import importlib
from typing import Any


def lazy_exports(package: str, exports: dict[str, str]):
    """Return a module ``__getattr__`` resolving ``name`` from ``exports[name]`` (a module path)."""

    def __getattr__(name: str) -> Any:
        if name in exports:
            return getattr(importlib.import_module(exports[name]), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
