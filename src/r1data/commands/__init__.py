"""One module per CLI command: ``register(subparsers, console)`` adds its parser (flags from the typed
configs where there is one) and sets ``run``; ``main(args) -> int`` does the work. ``cli.py`` only wires
them, in this order."""

COMMANDS = (
    "run",
    "status",
    "verify",
    "filter",
    "generate",
    "eval",
    "mix",
    "publish",
    "report",
    "bond",
    "train",
)
