"""``r1data publish DIR REPO_ID``: push a run's or a mix's dataset to the Hub (:mod:`r1data.io.hub`)."""

from __future__ import annotations

import argparse
import sys


def register(sub, common) -> None:
    pub = sub.add_parser(
        "publish",
        parents=[common],
        help="push a run's dataset (README.md + data/) to the Hugging Face Hub",
        description="Upload the card and data/ of a run or mix folder (never work/, logs/, quarantine/) "
        "to a Hub dataset repo. Refuses a folder whose funnel does not add up or whose card does not "
        "validate. The token comes from HF_TOKEN or the login cache and is never printed.",
    )
    pub.add_argument("output_dir", help="a folder written by `r1data run` or `r1data mix`")
    pub.add_argument("repo_id", help="ORG/NAME of the dataset repo (created when missing)")
    pub.add_argument("--private", action="store_true", help="create the repo private")
    pub.add_argument("--revision", help="branch to commit to (created when missing)")
    pub.add_argument("--create-pr", action="store_true", help="open a pull request instead of committing")
    pub.add_argument(
        "--dry-run", action="store_true", help="list the files that would be uploaded; send nothing"
    )
    pub.add_argument("--endpoint", help="Hub endpoint (default: HF_ENDPOINT or https://huggingface.co)")
    pub.set_defaults(run=main)


def main(args: argparse.Namespace) -> int:
    from r1data.io.hub import PublishError, publish

    try:
        result = publish(args.output_dir, args.repo_id, args.private, args.revision, args.create_pr,
                         args.dry_run, args.endpoint)  # fmt: skip
    except PublishError as exc:
        print(f"r1data publish: error: {exc}", file=sys.stderr)
        return 2
    sizes = result["sizes"]
    if args.dry_run:
        print(f"would upload {len(result['files'])} file(s) to {args.repo_id} (dry run, nothing sent):")
    else:
        print(f"uploaded {len(result['files'])} file(s): {result['url']}")
        if args.create_pr and result["commit"]:
            print(f"pull request: {result['commit']}")
    width = max((len(f) for f in result["files"]), default=0)
    print("\n".join(f"  {f:<{width}}  {_size(sizes[f]):>10}" for f in result["files"]))
    print(f"  {'total':<{width}}  {_size(sum(sizes.values())):>10}")
    return 0


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:,} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1024
    return f"{n:,.1f} TB"
