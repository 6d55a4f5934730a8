"""Typed configs, written once: a step's (or command's) parameters are one pydantic model whose fields
carry their type, default, bounds and help. Everything else is derived from it, so nothing can drift:
recipe validation (types, ranges, choices, unknown fields — one line naming the field), command-line
flags, the inverse of parsing (a command that runs another), the card's parameter list and the docs
reference.

A field's help is its ``description``; ``json_schema_extra`` may hold ``flag`` (the command-line
spelling, default ``--field-name``; ``None`` for a recipe-only field). :func:`option` writes both.

>>> import argparse
>>> class C(Config):
...     top_p: float = option(0.95, "nucleus sampling", gt=0, le=1)
...     tags: list[str] | None = option(None, "labels", flag="--tag")
>>> p = argparse.ArgumentParser(); _ = add_config_arguments(p, C)
>>> vars(p.parse_args(["--top-p", "0.5", "--tag", "a", "--tag", "b"]))
{'top_p': 0.5, 'tags': ['a', 'b']}
>>> validate(C, {"top_p": "high"}, "step 'x'")
Traceback (most recent call last):
...
r1data.core.configs.ConfigError: step 'x', field 'top_p': 'high' is not a float (expected: float in (0, 1])
"""

from __future__ import annotations

import argparse
import types
import typing
from typing import Any, ClassVar, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, ValidationError

_DEFAULT_FLAG: Any = object()


class Config(BaseModel):
    """Base of every typed config: unknown fields are refused, defaults are valid by construction."""

    model_config = ConfigDict(extra="forbid", validate_default=True, protected_namespaces=())
    positional: ClassVar[tuple[str, ...] | None] = (
        None  # the order positional arguments fill (default: fields)
    )

    def __init__(self, *args: Any, **values: Any):
        """Positional arguments fill the fields in the order of ``positional`` (else of the fields),
        as a dataclass's would."""
        if args:
            order = type(self).positional or tuple(type(self).model_fields)
            if len(args) > len(order):
                raise TypeError(f"{type(self).__name__} takes at most {len(order)} positional arguments")
            twice = set(order[: len(args)]) & set(values)
            if twice:
                raise TypeError(f"{type(self).__name__} got {sorted(twice)} twice")
            values = {**dict(zip(order, args, strict=False)), **values}
        super().__init__(**values)

    @classmethod
    def build(cls, args: tuple = (), params: dict[str, Any] | None = None, where: str | None = None):
        """``cls(*args, **params)``, or a :class:`ConfigError` in one line naming ``where``."""
        try:
            return cls(*args, **(params or {}))
        except ValidationError as exc:
            raise ConfigError(describe_error(cls, exc, where or cls.__name__)) from None

    def set_values(self) -> dict[str, Any]:
        """The fields a recipe (or caller) set, as plain values (what the card lists)."""
        return self.model_dump(exclude_unset=True, mode="json")


class ConfigError(ValueError):
    """A config value that does not fit its field, in one line."""


def option(
    default: Any = None,
    help: str = "",
    *,
    flag: Any = _DEFAULT_FLAG,
    nargs: str | None = None,
    **constraints: Any,
) -> Any:
    """A config field: its default, help text, command-line spelling and bounds (``ge``, ``le`` …);
    ``nargs="+"``: a list flag that takes several values at once (``--max-tokens 16384 32768``)."""
    extra = ({} if flag is _DEFAULT_FLAG else {"flag": flag}) | ({"nargs": nargs} if nargs else {})
    return Field(default, description=help, json_schema_extra=extra or None, **constraints)


class ConfigField(NamedTuple):
    name: str
    info: Any  # pydantic FieldInfo

    @property
    def flag(self) -> str:
        extra = self.info.json_schema_extra or {}
        return extra.get("flag") or "--" + self.name.replace("_", "-")

    @property
    def help(self) -> str:
        return self.info.description or ""


def _flag_of(info) -> Any:
    return (info.json_schema_extra or {}).get("flag", _DEFAULT_FLAG)


def cli_fields(cls) -> list[ConfigField]:
    """The fields of ``cls`` that have a command-line flag."""
    return [ConfigField(n, f) for n, f in cls.model_fields.items() if _flag_of(f) is not None]


def field_names(cls) -> tuple[str, ...]:
    return tuple(cls.model_fields)


def _unwrap(hint: Any) -> tuple[Any, bool]:
    """``int | None`` → (int, True); ``Literal[...]`` and containers unchanged."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        return (args[0] if len(args) == 1 else hint), len(args) < len(typing.get_args(hint))
    return hint, False


def _kind(hint: Any) -> Any:
    base, _ = _unwrap(hint)
    return typing.get_origin(base) or base


def _choices(hint: Any) -> tuple | None:
    base, _ = _unwrap(hint)
    if typing.get_origin(base) is Literal:
        return typing.get_args(base)
    if typing.get_origin(base) in (list, tuple):
        (item, *_) = typing.get_args(base) or (None,)
        if typing.get_origin(item) is Literal:
            return typing.get_args(item)
    return None


def _name(hint: Any) -> str:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return " or ".join(_name(a) for a in typing.get_args(hint))
    if typing.get_origin(hint) is dict:
        return "mapping"
    if typing.get_origin(hint) in (list, tuple):
        return "list"
    return getattr(hint, "__name__", str(hint)).replace("typing.", "")


def type_text(info) -> str:
    """What a field expects, for people: ``int ≥ 1``, ``one of: all, first``, ``list of str``."""
    base, optional = _unwrap(info.annotation)
    origin = typing.get_origin(base)
    if origin is Literal:
        text = "one of: " + ", ".join(str(c) for c in typing.get_args(base))
    elif origin in (list, tuple, set):
        args = [a for a in typing.get_args(base) if a is not Ellipsis]
        item = args[0] if args else Any
        text = "list of " + (
            "one of: " + ", ".join(map(str, typing.get_args(item)))
            if typing.get_origin(item) is Literal
            else _name(item)
        )
    elif origin is dict:
        text = "mapping"
    else:
        text = _name(base)
    bounds = {type(m).__name__: m for m in info.metadata}
    low = bounds.get("Ge") or bounds.get("Gt")
    high = bounds.get("Le") or bounds.get("Lt")
    if low is not None and high is not None:
        left = "[" if "Ge" in bounds else "("
        right = "]" if "Le" in bounds else ")"
        lo = getattr(low, "ge", getattr(low, "gt", None))
        hi = getattr(high, "le", getattr(high, "lt", None))
        text += f" in {left}{lo}, {hi}{right}"
    elif low is not None:
        text += f" {'≥' if 'Ge' in bounds else '>'} {getattr(low, 'ge', getattr(low, 'gt', None))}"
    elif high is not None:
        text += f" {'≤' if 'Le' in bounds else '<'} {getattr(high, 'le', getattr(high, 'lt', None))}"
    return text + (" or null" if optional else "")


def _is_kind(kind: Any) -> str:
    return {
        int: "an int",
        float: "a float",
        str: "a string",
        bool: "a boolean",
        list: "a list",
        dict: "a mapping",
    }.get(kind, "valid")


def validate(cls, values: dict[str, Any], where: str):
    """``cls(**values)``, or a :class:`ConfigError` in one line: where, which field, the value, and
    what the field expects."""
    try:
        return cls.model_validate(values)
    except ValidationError as exc:
        raise ConfigError(describe_error(cls, exc, where)) from None


def describe_error(cls, exc: ValidationError, where: str) -> str:
    """The first error of a pydantic validation of ``cls`` as one line."""
    errors = exc.errors(include_url=False)
    extras = sorted(str(e["loc"][0]) for e in errors if e["type"] == "extra_forbidden" and len(e["loc"]) == 1)
    if extras:
        return f"{where}: unknown parameters {extras} (known: {', '.join(cls.model_fields)})"
    error = errors[0]
    loc = [str(p) for p in error["loc"]]
    name = loc[0] if loc else ""
    field = cls.model_fields.get(name)
    if error["type"] == "extra_forbidden":  # inside a nested config
        return f"{where}, field {name!r}: unknown parameter {'.'.join(loc[1:])!r}"
    if field is None:  # a check across fields (a model validator)
        return f"{where}: {error['msg'].removeprefix('Value error, ')}"
    value = error.get("input")
    inner = f"[{']['.join(loc[1:])}]" if len(loc) > 1 else ""
    if error["type"] == "missing":
        return f"{where}: field {name!r} is required (expected: {type_text(field)})"
    if error["type"].endswith(("_parsing", "_type")):
        said = f"is not {_is_kind(_kind(field.annotation))}"
    else:
        said = "is not valid: " + error["msg"].removeprefix("Value error, ")
    return f"{where}, field {name!r}{inner}: {value!r} {said} (expected: {type_text(field)})"


def add_config_arguments(parser, cls, group: str | None = None) -> argparse.ArgumentParser:
    """Add one flag per field of ``cls`` that has one (defaults and help from the fields)."""
    target = parser.add_argument_group(group) if group else parser
    for f in cli_fields(cls):
        kind = _kind(f.info.annotation)
        default = f.info.get_default(call_default_factory=True)
        kwargs: dict[str, Any] = {"dest": f.name, "help": f.help}
        flag = f.flag
        if kind is bool:
            if default:
                flag = (f.info.json_schema_extra or {}).get("flag") or "--no-" + f.name.replace("_", "-")
                kwargs.update(action="store_false", default=True)
            else:
                kwargs.update(action="store_true", default=False)
        elif kind in (list, tuple):
            kwargs.update(action="append", default=None)
            nargs = (f.info.json_schema_extra or {}).get("nargs")
            if nargs:  # several values after one flag (and the flag repeated), typed as the items
                (item, *_) = typing.get_args(_unwrap(f.info.annotation)[0]) or (str,)
                kwargs.update(action="extend", nargs=nargs, type=item if item in (int, float) else str)
            if _choices(f.info.annotation):
                kwargs["choices"] = _choices(f.info.annotation)
        else:
            kwargs.update(type=kind if kind in (int, float) else str, default=default)
            if _choices(f.info.annotation):
                kwargs["choices"] = _choices(f.info.annotation)
            if default is not None and f.help:
                kwargs["help"] = f"{f.help} (default: %(default)s)"
        target.add_argument(flag, **kwargs)
    return parser


def config_from_args(cls, args: argparse.Namespace, **overrides: Any):
    """Build ``cls`` from parsed arguments (fields without a flag keep their default or ``overrides``)."""
    values = {f.name: getattr(args, f.name) for f in cli_fields(cls) if hasattr(args, f.name)}
    values = {k: v for k, v in values.items() if v is not None or k in overrides}
    return validate(cls, {**values, **overrides}, "the command line")


def config_argv(cls, values: dict[str, Any]) -> list[str]:
    """The flags that give ``values`` (field → value) to a parser built by :func:`add_config_arguments`:
    the inverse of parsing, for a command that runs another r1data command.

    >>> class C(Config):
    ...     top_p: float = option(0.95)
    ...     keep: bool = option(True)
    >>> config_argv(C, {"top_p": 0.5, "keep": False})
    ['--top-p', '0.5', '--no-keep']
    """
    by_name = {f.name: f for f in cli_fields(cls)}
    unknown = sorted(set(values) - set(by_name))
    if unknown:
        raise ValueError(f"unknown {cls.__name__} field(s) {unknown}; known: {sorted(by_name)}")
    argv: list[str] = []
    for name, value in values.items():
        f = by_name[name]
        kind = _kind(f.info.annotation)
        if kind is bool:
            default = bool(f.info.get_default(call_default_factory=True))
            if bool(value) != default:
                argv.append(
                    (f.info.json_schema_extra or {}).get("flag")
                    or ("--no-" if default else "--") + name.replace("_", "-")
                )
        elif kind in (list, tuple):
            for item in value if isinstance(value, list | tuple) else [value]:
                argv += [f.flag, str(item)]
        elif value is not None:
            argv += [f.flag, str(value)]
    return argv


def reference(cls) -> list[dict[str, Any]]:
    """Every field as the docs reference shows it: name, type, default, flag and help."""
    rows = []
    for name, info in cls.model_fields.items():
        default = None if info.is_required() else info.get_default(call_default_factory=True)
        flag = _flag_of(info)
        rows.append(
            {
                "name": name,
                "type": type_text(info),
                "default": "required" if info.is_required() else default,
                "flag": None
                if flag is None
                else (flag if flag is not _DEFAULT_FLAG else "--" + name.replace("_", "-")),
                "help": info.description or "",
            }
        )
    return rows
