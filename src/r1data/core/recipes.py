"""Recipe files, for every kind of recipe (runs, mixes, BOND): YAML read as written (``on``/``off`` keys
stay names), ``${VAR}`` expanded from the environment (never a secret's), and the result validated
against its model — whole, before anything runs — or one line saying where and what is wrong.

>>> import tempfile, os
>>> from r1data.core.configs import Config, option
>>> class R(Config):
...     name: str = option(...)
...     k: int = option(1, ge=1)
>>> path = os.path.join(tempfile.mkdtemp(), "r.yaml")
>>> _ = open(path, "w").write("name: x\\nk: two\\n")
>>> try:
...     load_model(path, R)
... except RecipeError as exc:
...     print(str(exc).split("r.yaml")[1])
, field 'k': 'two' is not an int (expected: int ≥ 1)
"""

from __future__ import annotations

import os
import re
from typing import Any

import yaml
from pydantic import ValidationError

from r1data.core.configs import describe_error


class RecipeError(ValueError):
    """A recipe that cannot be read or does not fit its model, in one line."""


_SECRET_NAME = re.compile(
    r"(?:^|_)(?:TOKEN|KEY|APIKEY|SECRET|PASSWORD|PASSWD|CREDENTIALS?)(?:_|$)", re.IGNORECASE
)
_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def expand_env(text: str, source: str = "recipe") -> str:
    """``${VAR}`` and ``${VAR:-default}`` → the environment's value (endpoints, model names and paths
    that differ between machines). A ``${VAR}`` without default that is not set is an error, and so is
    a variable whose name looks like a secret (``*TOKEN*``, ``*KEY*`` …): steps read API keys from the
    variable named by ``api_key_env``."""

    def one(match: re.Match) -> str:
        name, default = match.group(1), match.group(2)
        if _SECRET_NAME.search(name):
            # the expanded recipe is written to recipe.json and summarised in the card
            raise ValueError(
                f"{source}: ${{{name}}} looks like a secret; recipes are published with the data. "
                "Steps read keys themselves from the variable named by `api_key_env`."
            )
        value = os.environ.get(name)
        if value is None:
            if default is None:
                raise ValueError(f"{source}: environment variable {name} is not set and has no default")
            return default
        return value

    return _ENV.sub(one, text)


class RecipeYAMLLoader(yaml.SafeLoader):
    """YAML 1.1 reads the keys ``on``, ``off``, ``yes``, ``no`` as booleans (``on: [unknown, fail]``
    would become ``{True: …}``): keys are kept as written. Other non-string keys are refused."""

    def construct_mapping(self, node, deep=False):
        mapping = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, bool) and isinstance(key_node, yaml.ScalarNode):
                key = key_node.value
            if not isinstance(key, str):
                raise yaml.constructor.ConstructorError(
                    None, None, f"recipe keys are names: {key_node.value!r} is not", key_node.start_mark
                )
            mapping[key] = self.construct_object(value_node, deep=deep)
        return mapping


RecipeYAMLLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, RecipeYAMLLoader.construct_mapping
)


def read_yaml(path: str, expand: bool = True) -> Any:
    """A YAML file read with :class:`RecipeYAMLLoader` (and ``${VAR}`` expanded)."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        raise FileNotFoundError(f"no such recipe file: {path}") from None
    try:
        return yaml.load(expand_env(text, path) if expand else text, Loader=RecipeYAMLLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise RecipeError(f"{path}: not valid YAML{where}: {problem}") from None


def load_model(path: str, model, prepare=None):
    """``model`` validated from the YAML mapping at ``path`` (``prepare(data)`` first, when given)."""
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise RecipeError(f"{path}: a recipe is a YAML mapping")
    if prepare is not None:
        data = prepare(data)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise RecipeError(validation_line(model, exc, path)) from None


def validation_line(model, exc: ValidationError, where: str) -> str:
    """The first error of validating a (nested) recipe model, in one line with its location."""
    error = exc.errors(include_url=False)[0]
    loc = [p for p in error["loc"]]
    if len(loc) <= 1:
        return describe_error(model, exc, where)
    path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "value_error":  # a check that names its own location (steps' parameters …)
        return f"{where}: {message}"
    if error["type"] == "extra_forbidden":
        return f"{where}: unknown field {path}"
    if error["type"] == "missing":
        return f"{where}: {path} is required"
    return f"{where}: {path}: {error.get('input')!r}: {message}"
