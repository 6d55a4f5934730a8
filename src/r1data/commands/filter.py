"""``r1data filter IN OUT``: language and readability filters over prompt records, streaming, through
the same one-stage pipeline as a recipe (:func:`r1data.pipelines.single.run_file`)."""

from __future__ import annotations

import argparse


def register(sub, common) -> None:
    filt = sub.add_parser(
        "filter",
        parents=[common],
        help="language-mix and readability filters over prompt records (JSONL)",
        description="Annotate every completion with filters.language and filters.readability; without "
        "--annotate-only, drop failing completions (and records left with none) and write them "
        "with their reasons to OUT.excluded.jsonl.",
    )
    filt.add_argument("input", help="prompt records, read as `r1data verify` reads them")
    filt.add_argument("output", help="output JSONL (.gz/.zst by extension)")
    filt.add_argument("--annotate-only", action="store_true", help="record scores, drop nothing")
    filt.add_argument(
        "--target-language",
        help="ISO 639-1 code of the expected reasoning language "
        "(default: the record's `language`, else detected from its prompt)",
    )
    filt.set_defaults(run=main)


def main(args: argparse.Namespace) -> int:
    print(
        filter_file(
            args.input,
            args.output,
            annotate_only=args.annotate_only,
            target_language=args.target_language,
            progress=not args.quiet,
        )
    )
    return 0


def excluded_path_of(output_path: str) -> str:
    base = output_path.rsplit(".", 2)[0] if output_path.endswith((".gz", ".zst")) else output_path
    return base + ".excluded.jsonl"


def filter_file(
    input_path: str,
    output_path: str,
    annotate_only: bool = False,
    target_language: str | None = None,
    quarantine: str | None = None,
    progress: bool = True,
) -> str:
    from r1data.filters.completion_filters import LanguageMixFilter, ReadabilityFilter
    from r1data.pipelines.single import run_file

    excluded = None if annotate_only else excluded_path_of(output_path)
    steps = [
        LanguageMixFilter(target_language=target_language, annotate_only=annotate_only),
        ReadabilityFilter(annotate_only=annotate_only),
    ]
    run = run_file(
        input_path, output_path, steps, quarantine or output_path + ".quarantine.jsonl", excluded, progress
    )
    dropped = sorted(run.dropped().items(), key=lambda kv: (-kv[1], kv[0]))
    n_quarantined = int(run.counters.get("quarantined", 0))
    return (
        f"filtered {int(run.counters.get('completions_in', 0))} completions in {run.seconds:.1f}s: kept "
        f"{run.completions_out} in {run.records_out} records, dropped {sum(v for _, v in dropped)}"
        + (f" ({', '.join(f'{k}: {v}' for k, v in dropped)})" if dropped else "")
        + f"; quarantined {n_quarantined} line(s)\noutput: {output_path}"
        + ("" if annotate_only else f"\nexcluded: {excluded}")
    )
