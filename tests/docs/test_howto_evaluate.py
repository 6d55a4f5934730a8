"""docs/how-to/evaluate.md runs: its mapping file and its command, as written on the page, score the
shared SkyThought AMC file back to the file's own labels, under the benchmark and label it names."""

from __future__ import annotations

import json
import re
import shlex

from r1data.cli import main as cli
from tests.conftest import REPO, SHARED_DATA, shared_file

PAGE = REPO / "docs" / "how-to" / "evaluate.md"


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", PAGE.read_text(), re.S)


def test_the_pages_mapping_and_command_score_the_shared_file(tmp_path, monkeypatch):
    path = shared_file("model_outputs/Sky-T1-math-corrupt-0.7-32B--amc23.jsonl")
    (mapping,) = _blocks("yaml")
    (tmp_path / "mapping.yaml").write_text(mapping)
    command = next(b for b in _blocks("bash") if "--mapping mapping.yaml" in b)
    argv = shlex.split(command.replace("\\\n", " "))
    assert argv[:2] == ["r1data", "eval"]
    argv = [a.replace("../shared/data", str(SHARED_DATA)) for a in argv[1:]]
    monkeypatch.chdir(tmp_path)
    assert cli([*argv, "-q"]) == 0
    metrics = json.loads((tmp_path / "eval" / "sky-amc" / "metrics.json").read_text())
    assert metrics["benchmark"] == "amc2023" and metrics["model"] == "Sky-T1-32B"
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    labels = [bool(s) for r in rows for s in r["score"]]
    assert metrics["n_samples"] == len(labels)
    assert abs(metrics["pass@1"] - sum(labels) / len(labels)) <= 0.005
    results = [
        json.loads(line)
        for line in (tmp_path / "eval" / "sky-amc" / "results.jsonl").read_text().splitlines()
    ]
    assert results[0]["id"] == str(rows[0]["idx"])
