"""One module per CLI command: ``register(subparsers, console)`` adds its parser (flags from the typed
configs where there is one) and sets ``run``; ``main(args) -> int`` does the work. ``cli.py`` only wires
them, in this order."""

import importlib

COMMANDS = (
    "run",
    "status",
    "verify",
    "filter",
    "generate",
    "eval",
    "calibrate",
    "mix",
    "publish",
    "report",
    "view",
    "bond",
    "train",
)


def make_parser():
    """``r1data``'s parser: every command's, registered in :data:`COMMANDS` order."""
    from r1data import __version__
    from r1data.commands.options import Parser, console_parser

    parser = Parser(
        prog="r1data", description="Build, verify, filter and publish DeepSeek-R1-style reasoning datasets."
    )
    parser.add_argument("--version", action="version", version=f"r1data {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    console = console_parser()
    for name in COMMANDS:
        importlib.import_module(f"r1data.commands.{name}").register(sub, console)
    return parser
