"""Configs written once: dataclasses whose fields carry their help text; command-line flags, recipe
parameters and step constructors are derived from them (never a hand-written argument list that
repeats a config).

A field's ``metadata`` may hold ``help``, ``flag`` (the command-line spelling, default ``--field-name``;
``None`` for a recipe-only field), ``choices``, and ``negate`` (a boolean that defaults to True is set
off by ``--no-…``).

>>> import argparse, dataclasses
>>> @dataclasses.dataclass
... class C:
...     top_p: float = dataclasses.field(default=0.95, metadata={"help": "nucleus sampling"})
...     tags: list[str] | None = dataclasses.field(default=None, metadata={"flag": "--tag"})
>>> p = argparse.ArgumentParser(); _ = add_config_arguments(p, C)
>>> vars(p.parse_args(["--top-p", "0.5", "--tag", "a", "--tag", "b"]))
{'top_p': 0.5, 'tags': ['a', 'b']}
"""

from __future__ import annotations

import argparse
import dataclasses
import types
import typing
from typing import Any


def _base_type(hint: Any) -> Any:
    """``int | None`` → int; ``list[str] | None`` → list."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        hint = next(a for a in typing.get_args(hint) if a is not type(None))
    return typing.get_origin(hint) or hint


def cli_fields(cls) -> list[dataclasses.Field]:
    """The fields of ``cls`` that have a command-line flag."""
    return [f for f in dataclasses.fields(cls) if f.metadata.get("flag", "") is not None]


def add_config_arguments(parser, cls, group: str | None = None) -> argparse.ArgumentParser:
    """Add one flag per field of the dataclass ``cls`` (defaults and help from the fields)."""
    target = parser.add_argument_group(group) if group else parser
    hints = typing.get_type_hints(cls)
    for f in cli_fields(cls):
        kind = _base_type(hints[f.name])
        flag = f.metadata.get("flag") or "--" + f.name.replace("_", "-")
        default = f.default if f.default is not dataclasses.MISSING else None
        help_text = f.metadata.get("help", "")
        kwargs: dict[str, Any] = {"dest": f.name, "help": help_text}
        if kind is bool:
            if default:
                flag = f.metadata.get("flag") or "--no-" + f.name.replace("_", "-")
                kwargs.update(action="store_false", default=True)
            else:
                kwargs.update(action="store_true", default=False)
        elif kind is list:
            kwargs.update(action="append", default=None)
        else:
            kwargs.update(type=kind if kind in (int, float) else str, default=default)
            if f.metadata.get("choices"):
                kwargs["choices"] = f.metadata["choices"]
            if default is not None and help_text:
                kwargs["help"] = f"{help_text} (default: %(default)s)"
        target.add_argument(flag, **kwargs)
    return parser


def config_from_args(cls, args: argparse.Namespace, **overrides: Any):
    """Build ``cls`` from parsed arguments (fields without a flag keep their default or ``overrides``)."""
    values = {f.name: getattr(args, f.name) for f in cli_fields(cls) if hasattr(args, f.name)}
    return cls(**{**values, **overrides})


def config_argv(cls, values: dict[str, Any]) -> list[str]:
    """The flags that give ``values`` (field → value) to a parser built by :func:`add_config_arguments`:
    the inverse of parsing, for a command that runs another r1data command.

    >>> @dataclasses.dataclass
    ... class C:
    ...     top_p: float = dataclasses.field(default=0.95, metadata={})
    ...     keep: bool = dataclasses.field(default=True, metadata={})
    >>> config_argv(C, {"top_p": 0.5, "keep": False})
    ['--top-p', '0.5', '--no-keep']
    """
    by_name = {f.name: f for f in cli_fields(cls)}
    unknown = sorted(set(values) - set(by_name))
    if unknown:
        raise ValueError(f"unknown {cls.__name__} field(s) {unknown}; known: {sorted(by_name)}")
    hints = typing.get_type_hints(cls)
    argv: list[str] = []
    for name, value in values.items():
        f, kind = by_name[name], _base_type(hints[name])
        flag = f.metadata.get("flag") or "--" + name.replace("_", "-")
        if kind is bool:
            default = f.default if f.default is not dataclasses.MISSING else False
            if bool(value) != bool(default):
                argv.append(f.metadata.get("flag") or ("--no-" if default else "--") + name.replace("_", "-"))
        elif kind is list:
            for item in [value] if isinstance(value, str) else value:
                argv += [flag, str(item)]
        elif value is not None:
            argv += [flag, str(value)]
    return argv


def field_names(cls) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))
