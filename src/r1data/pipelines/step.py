"""The r1data step: a datatrove ``PipelineStep`` with funnel accounting.

Every completion that leaves the funnel goes through :meth:`R1Step.drop_completions` with a reason, and
every prompt record that leaves it through :meth:`R1Step.drop_record`; the counters
(``completions_dropped_<reason>``, ``records_dropped_<reason>``) are what the funnel in stats.json and
the data card are built from. Dropped records can also go to an exclusion writer.
"""

from __future__ import annotations

from datatrove.data import Document
from datatrove.pipeline.base import PipelineStep
from datatrove.pipeline.writers.disk_base import DiskWriter


class R1Step(PipelineStep):
    type = "🧠 - R1DATA"

    def __init__(self, exclusion_writer: DiskWriter | None = None):
        super().__init__()
        self.exclusion_writer = exclusion_writer
        self._rank = 0

    def drop_completions(self, reason: str, n: int = 1) -> None:
        if n:
            self.stat_update("completions_dropped", f"completions_dropped_{reason}", value=n)

    def drop_record(self, doc: Document, reason: str) -> None:
        """Drop a prompt record; its remaining completions are dropped with the same reason."""
        self.drop_completions(reason, len(doc.metadata.get("completions", ())))
        self.stat_update("records_dropped", f"records_dropped_{reason}")
        if self.exclusion_writer is not None:
            doc.metadata["dropped_reason"] = reason
            self.exclusion_writer.write(doc, self._rank)

    def run(self, data, rank: int = 0, world_size: int = 1):
        self._rank = rank
        if self.exclusion_writer is None:
            yield from self.process(data)
            return
        with self.exclusion_writer:
            yield from self.process(data)

    def process(self, data):
        raise NotImplementedError


class RecordStream:
    """Hand a step's documents to record-level code (``Iterable[dict]`` in, same dicts out, in order)
    and get each document back from its record:

    >>> stream = RecordStream(iter([Document(text="q", id="1", metadata={"id": "1"})]))
    >>> [stream.document(r).id for r in stream.records()]
    ['1']
    """

    def __init__(self, data):
        self._data = data
        self._docs: dict[int, Document] = {}

    def records(self):
        for doc in self._data:
            self._docs[id(doc.metadata)] = doc
            yield doc.metadata

    def document(self, record: dict) -> Document:
        return self._docs.pop(id(record))
