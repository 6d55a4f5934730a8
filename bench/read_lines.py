"""Reading is linear in the bytes: the record reader over gzip files of blank lines and of 1-byte lines
(each an invalid record, quarantined), at two sizes, in one process. Prints MB/s and the time ratio
of the large file to the small one (10 for linear at a 10× size; the reader before 3.1 was quadratic
in the lines of a buffer: 10 MB of blank lines took 78 s).

    .venv/bin/python bench/read_lines.py [--small-mb 10] [--large-mb 100]
"""

from __future__ import annotations

import argparse
import gzip
import logging
import shutil
import tempfile
import time
from pathlib import Path


def make(folder: Path, name: str, line: bytes, megabytes: int) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    block = line * ((1 << 20) // len(line))
    with gzip.open(path, "wb", compresslevel=1) as f:
        for _ in range(megabytes):
            f.write(block)
    return path


def read(path: Path, quarantine: Path) -> tuple[float, dict]:
    from r1data.io.readers import RecordReader

    reader = RecordReader(str(path.parent), glob_pattern=path.name, quarantine_folder=str(quarantine))
    start = time.perf_counter()
    n = sum(1 for _ in reader.run())
    seconds = time.perf_counter() - start
    stats = {k: v.total for k, v in reader.stats.stats.items()}
    assert n == stats.get("records_ok", 0)
    return seconds, stats


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small-mb", type=int, default=10)
    parser.add_argument("--large-mb", type=int, default=100)
    args = parser.parse_args()
    from loguru import logger

    logger.remove()
    logging.disable(logging.INFO)
    work = Path(tempfile.mkdtemp(prefix="r1data-bench-read-"))
    try:
        for kind, line in (("blank lines", b"\n"), ("1-byte lines", b"x\n")):
            times = {}
            for mb in (args.small_mb, args.large_mb):
                path = make(work / f"{kind[0]}{mb}", "in.jsonl.gz", line, mb)
                seconds, stats = read(path, work / f"q{kind[0]}{mb}")
                times[mb] = seconds
                print(
                    f"{kind:13} {mb:>5} MB: {seconds:7.2f} s  {mb / seconds:7.1f} MB/s  "
                    f"records_in {int(stats.get('records_in', 0)):>10}  quarantined {int(stats.get('quarantined', 0)):>10}"
                )
            ratio = times[args.large_mb] / times[args.small_mb]
            print(
                f"{kind:13} time ratio {args.large_mb}/{args.small_mb} MB: {ratio:.1f} (linear: {args.large_mb / args.small_mb:.0f})"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
