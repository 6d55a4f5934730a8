"""The ``r1data`` command: wires the command modules of :mod:`r1data.commands` (each owns its parser and
its run) and turns what the system or the user got wrong into one line on stderr."""

from __future__ import annotations

import os
import sys

from r1data.commands import make_parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["train"]:  # TRL's parser owns the training flags
        from r1data.commands.train import main as train_main

        return train_main(argv[1:])
    args = make_parser().parse_args(argv)
    from r1data.core.console import configure
    from r1data.core.errors import one_line

    configure(args.log_level, progress=not args.quiet)
    try:
        return args.run(args)
    except BrokenPipeError:  # `r1data … | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:
        line, code = one_line(exc, args)
        if line is None or args.log_level == "DEBUG":
            raise
        print(f"r1data {args.command}: error: {line}", file=sys.stderr)
        return code


if __name__ == "__main__":
    sys.exit(main())
