"""``r1data report DIR``: one self-contained HTML page of a run or mix folder."""

from __future__ import annotations

import argparse
import os
import sys


def register(sub, common) -> None:
    rep = sub.add_parser(
        "report",
        parents=[common],
        help="one self-contained HTML page of a run or mix folder (charts, drop reasons, sample rows)",
        description="Write DIR/report.html (or --output): the funnel as a chart, drop reasons, pass rates, "
        "reasoning and summary lengths per domain, language consistency, generation cost per kept row and "
        "a sample of kept and dropped rows. No network: everything is inline. `r1data run` writes it too.",
    )
    rep.add_argument("output_dir", help="a folder written by `r1data run` or `r1data mix`")
    rep.add_argument("--output", help="where to write the page (default: DIR/report.html)")
    rep.set_defaults(run=main)


def main(args: argparse.Namespace) -> int:
    from r1data.data_cards.report import write_report

    if not os.path.exists(os.path.join(args.output_dir, "stats.json")):
        print(
            f"r1data report: error: {args.output_dir} has no stats.json (not a finished run or mix)",
            file=sys.stderr,
        )
        return 2
    print(write_report(args.output_dir, args.output))
    return 0
