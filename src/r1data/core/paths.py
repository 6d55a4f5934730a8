"""Paths and templates: ``package://`` paths into the installed package, template files that a user
may replace by a path of their own, and filling their ``{fields}``."""

from __future__ import annotations

import os
import re
from importlib import resources

PACKAGE_PREFIX = "package://"


def resolve_path(path: str) -> str:
    """``package://r1data/sample/x.jsonl`` → the file shipped inside the installed package; other paths
    are returned unchanged (``~`` expanded; relative ones are relative to the working directory)."""
    if path.startswith(PACKAGE_PREFIX):
        package, _, rel = path[len(PACKAGE_PREFIX) :].partition("/")
        return str(resources.files(package).joinpath(rel))
    return os.path.expanduser(path)


def load_template(name_or_path: str, package: str = "r1data.generators") -> str:
    """A template shipped in ``package``'s ``templates/`` folder by file name (``reformat.txt``), or any
    file by path (``package://`` too): a user replaces a template by giving a path instead of a name."""
    if "/" in name_or_path or os.path.isfile(name_or_path):
        with open(resolve_path(name_or_path), encoding="utf-8") as f:
            return f.read()
    return resources.files(package).joinpath("templates", name_or_path).read_text("utf-8")


_FIELD = re.compile(r"\{(\w+)\}")


def fill_template(template: str, **values: str) -> str:
    """Put values into ``{name}`` fields in one pass (a value that contains ``{other}`` stays as is);
    other braces are left alone.

    >>> fill_template("Q: {question} {x} {}", question="1+{x}?")
    'Q: 1+{x}? {x} {}'
    """
    return _FIELD.sub(lambda m: values[m.group(1)] if m.group(1) in values else m.group(0), template)
