"""The one registry of built-in benchmarks, for evaluation (``r1data eval --benchmark``), decontamination
(``decontaminate: {benchmarks: [...]}``, ``mix``) and the CLI alike: the name, where the file is (a local
copy under a folder laid out like ``../shared/data``, else the Hub id), which fields hold the problem and
the answer, and the prompt template (R1's advice: reason step by step, final answer in ``\\boxed{}``; no
system prompt). Decontamination reads ``problems`` — every problem the benchmark ever published, which
for MBPP is the full 974-problem file rather than the sanitized test set evaluation scores. Any other set
is evaluated through a file of records or a mapping, and decontaminated against through a spec.

>>> sorted(BENCHMARKS)
['aime2024', 'aime2025', 'amc2023', 'gsm8k', 'humaneval', 'math500', 'mbpp']
>>> canonical("gsm8k_test")
'gsm8k'
"""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field

MATH_TEMPLATE = "{problem}\nPlease reason step by step, and put your final answer within \\boxed{{}}."
CODE_TEMPLATE = (
    "{problem}\n\nWrite the complete Python solution in one ```python code block after your reasoning."
)


@dataclass(frozen=True)
class Benchmark:
    name: str
    local: str  # path under the shared data folder (tests; a user passes --benchmark-path)
    hub: str  # where users get it
    domain: str = "math"
    problem: str = "problem"
    answer: str = "answer"
    id: str = "id"
    extra: tuple[str, ...] = ()  # fields kept for per-group figures (subject, level)
    n: int = 4  # default samples per problem (open-r1: 4 for MATH-500, 64 for AIME)
    template: str = MATH_TEMPLATE
    kind: str = "plain"  # plain | gsm8k | humaneval | mbpp
    notes: list[str] = field(default_factory=list)
    problems: tuple[str, str] | None = None  # decontamination's (file, column); default: (local, problem)

    @property
    def problem_file(self) -> tuple[str, str]:
        return self.problems or (self.local, self.problem)


BENCHMARKS = {
    b.name: b
    for b in (
        Benchmark("math500", "math/math500_test.jsonl", "HuggingFaceH4/MATH-500", id="unique_id", extra=("subject", "level")),
        Benchmark("aime2024", "math/aime2024_test.jsonl", "HuggingFaceH4/aime_2024", n=64),
        Benchmark("aime2025", "math/aime2025_test.jsonl", "yentinglin/aime_2025", n=64),
        Benchmark("amc2023", "math/amc2023_test.jsonl", "math-ai/amc23", n=64),
        Benchmark("gsm8k", "math/gsm8k_test.jsonl", "openai/gsm8k", problem="question", kind="gsm8k", n=1),
        Benchmark("humaneval", "code/HumanEval.jsonl.gz", "openai/openai_humaneval", domain="code", problem="prompt", id="task_id", kind="humaneval", n=1, template=CODE_TEMPLATE),
        Benchmark("mbpp", "code/sanitized-mbpp.json", "google-research-datasets/mbpp", domain="code", problem="prompt", id="task_id", kind="mbpp", n=1, template=CODE_TEMPLATE, problems=("code/mbpp.jsonl", "text")),
    )
}  # fmt: skip
# other spellings, read as the registry's names: an earlier recipe name (a recipe's hits keep it) and
# the short forms evaluation tools put in file names (SkyThought's `…--aime24.jsonl`)
ALIASES = {
    "gsm8k_test": "gsm8k",
    "aime24": "aime2024",
    "aime25": "aime2025",
    "amc23": "amc2023",
    "math_500": "math500",
    "math-500": "math500",
    "human_eval": "humaneval",
}


def canonical(name: str) -> str:
    """The registry's name of a benchmark (aliases resolved); unknown names unchanged."""
    return ALIASES.get(name, name)


def rows(path: str) -> Iterator[dict]:
    """A benchmark file's rows: JSON lines (``.gz`` too) or one JSON array (``.json``)."""
    if path.endswith(".json"):
        with open(path, encoding="utf-8") as f:
            yield from json.load(f)
        return
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def _answer(bench: Benchmark, row: dict) -> str:
    value = row[bench.answer]
    if bench.kind == "gsm8k":  # the reference reasoning ends in "#### N"
        value = str(value).rsplit("####", 1)[-1].strip().replace(",", "")
    if isinstance(value, float) and value.is_integer():  # AMC's "27.0"
        value = int(value)
    return str(value)


def benchmark_records(name: str, path: str | None = None, data_root: str | None = None) -> list[dict]:
    """The benchmark's problems as prompt records (the ``r1data verify`` shape, without completions)."""
    if canonical(name) not in BENCHMARKS:
        raise ValueError(f"unknown benchmark {name!r}; built in: {', '.join(BENCHMARKS)}")
    bench = BENCHMARKS[canonical(name)]
    if path is None:
        root = data_root or os.environ.get("R1DATA_SHARED_DATA", "")
        path = os.path.join(root, bench.local) if root else ""
        if not path or not os.path.exists(path):
            raise FileNotFoundError(
                f"benchmark {name}: no local copy (set --benchmark-path FILE, or R1DATA_SHARED_DATA to a "
                f"folder holding {bench.local}); the set is on the Hub as {bench.hub}"
            )
    records = []
    for i, row in enumerate(rows(path)):
        rid = f"{name}/{row.get(bench.id, i)}"
        prompt = bench.template.format(problem=row[bench.problem])
        record = {"id": rid, "domain": bench.domain, "prompt": prompt, "benchmark": name}
        if bench.kind == "humaneval":
            record["reference"] = {
                "tests": {
                    "kind": "functional",
                    "test": row["test"],
                    "entry_point": row["entry_point"],
                    "prefix": row["prompt"],
                }
            }
        elif bench.kind == "mbpp":
            record["reference"] = {
                "tests": {
                    "kind": "functional",
                    "test": "\n".join(row["test_list"]),
                    "setup": "\n".join(row.get("test_imports", [])),
                }
            }
        else:
            record["reference"] = {"answer": _answer(bench, row)}
        for key in bench.extra:
            if key in row:
                record[key] = row[key]
        records.append(record)
    return records
