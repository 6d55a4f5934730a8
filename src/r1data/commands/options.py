"""What several commands share on the command line: the console flags every command takes, and the
vLLM engine flags of ``generate`` and ``eval`` (from :class:`~r1data.generators.config.EngineOptions`)."""

from __future__ import annotations

import argparse

LOG_LEVELS = ["DEBUG", "INFO", "SUCCESS", "WARNING", "ERROR"]


class Parser(argparse.ArgumentParser):
    """A parser whose usage mistakes are one line (``r1data verify: error: … (see r1data verify --help)``),
    exit 2, like every other mistake."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def console_parser() -> argparse.ArgumentParser:
    """``--quiet`` and ``--log-level``: a parent parser of every command."""
    common = argparse.ArgumentParser(add_help=False)
    group = common.add_argument_group("console")
    group.add_argument("--quiet", "-q", action="store_true", help="no progress bars")
    group.add_argument(
        "--log-level",
        default="WARNING",
        type=str.upper,
        choices=LOG_LEVELS,
        help="what reaches stderr (default: %(default)s; INFO shows datatrove's task logs, which always "
        "go to the run's log files; DEBUG shows tracebacks)",
    )
    return common


def add_engine_arguments(parser: argparse.ArgumentParser) -> None:
    from r1data.core.configs import add_config_arguments
    from r1data.generators.config import EngineOptions

    add_config_arguments(parser, EngineOptions, group="vLLM engine (with --vllm-model)")


def engine_options(args: argparse.Namespace) -> dict:
    from r1data.core.configs import config_from_args
    from r1data.generators.config import EngineOptions

    return config_from_args(EngineOptions, args).options()
