"""``r1data status DIR``: where a run stands (local, Ray or Slurm; running or ended)."""

from __future__ import annotations

import argparse
import json


def register(sub, common) -> None:
    status = sub.add_parser(
        "status",
        parents=[common],
        help="where a run stands: per stage tasks done/total, records, failures, elapsed time",
        description="Read a run folder (local, Ray or Slurm; running or ended) and print per stage the "
        "tasks done, started and failed, the records the finished tasks read and handed on, and the "
        "elapsed time; for Slurm runs also the run's queued and running jobs.",
    )
    status.add_argument("output", help="the run's output folder")
    status.add_argument("--json", action="store_true", help="print the status as JSON")
    status.set_defaults(run=main)


def main(args: argparse.Namespace) -> int:
    from r1data.pipelines.status import format_status, run_status

    status = run_status(args.output)
    print(json.dumps(status, indent=2) if args.json else format_status(status))
    return 0
