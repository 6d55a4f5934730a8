"""Shared fixtures. Tests that need the real data in ../shared/data skip with a clear message without it."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("R1DATA_SHARED", REPO.parent / "shared")) / "data"
# a drop or quarantine reason the code emits without listing it in r1data.core.reasons fails the test
# that emits it (here and in every process the tests start)
os.environ["R1DATA_STRICT_REASONS"] = "1"


def shared_file(relative: str) -> Path:
    """Path of a real data file in ../shared/data, or skip the test with the reason."""
    path = SHARED_DATA / relative
    if not path.exists():
        pytest.skip(f"real data not available: {path} (the tests expect ../shared/data beside the repo)")
    return path


def write_jsonl(path: Path, rows: list) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        for row in rows:
            f.write((row if isinstance(row, str) else json.dumps(row, ensure_ascii=False)) + "\n")
    return path


def record(
    rid: str, answer: str | None = "4", texts: tuple[str, ...] = ("<think>2+2</think> $\\boxed{4}$",), **extra
) -> dict:
    rec = {
        "id": rid,
        "domain": "math",
        "prompt": f"question {rid}",
        "completions": [{"text": t} for t in texts],
    }
    if answer is not None:
        rec["reference"] = {"answer": answer}
    rec.update(extra)
    return rec


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
