"""``r1data view DIR [--port P] [--host H]``: browse a run, mix or eval folder in a browser, offline."""

from __future__ import annotations

import argparse


def register(sub, common) -> None:
    view = sub.add_parser(
        "view",
        parents=[common],
        help="browse every prompt, sample, verdict and drop reason of a folder in a local web app",
        description="Serve a local web app over a run, mix or eval folder: the funnel with each reason a "
        "link, every sample filterable by reason, stage, verdict, domain, pass rate, language ratio and "
        "length, each prompt with all its samples (kept and dropped) and their verdicts; the same as JSON "
        "under /api. Binds 127.0.0.1 unless told otherwise; nothing is fetched from the internet.",
    )
    view.add_argument("folder", help="an r1data run, mix or eval folder")
    view.add_argument("--port", type=int, default=8765, help="port (default 8765; 0: any free one)")
    view.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)"
    )
    view.set_defaults(run=main)


def main(args: argparse.Namespace) -> int:
    import os

    from r1data.view.server import make_server

    if not os.path.isdir(args.folder):
        raise FileNotFoundError(f"no such folder: {args.folder}")
    server, viewer = make_server(args.folder, args.host, args.port)
    host, port = server.server_address[:2]
    print(f"r1data view: {viewer.kind} folder {args.folder}")
    print(
        f"open http://{host}:{port}/  (Ctrl-C to stop; the index builds in the background: {viewer.index.path})"
    )
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        print("stopped")
    finally:
        server.server_close()
    return 0
