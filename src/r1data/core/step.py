"""The r1data step: a datatrove ``PipelineStep`` with one drop API and funnel accounting.

Whatever leaves the funnel goes through :meth:`R1Step.drop_completions` or :meth:`R1Step.drop_record`
with a reason: each counts it (``completions_dropped_<reason>``, ``records_dropped_<reason>``, the
counters the funnel in stats.json and the data card are built from) *and*, when the step has an
exclusion writer (``exclusions: FOLDER`` in a recipe), writes it there with its reason — so that the
rows in the exclusion files add up to the counters, reason by reason.
"""

from __future__ import annotations

from typing import Any, ClassVar

from datatrove.data import Document
from datatrove.pipeline.base import PipelineStep

from r1data.core import reasons
from r1data.core.configs import Config, option
from r1data.core.counters import COMPLETIONS_DROPPED, RECORDS_DROPPED, named


class NoParameters(Config):
    """A step that takes no parameters."""


class DropConfig(Config):
    """A step that drops what fails a check can instead only annotate it."""

    annotate_only: bool = option(
        False, "record the check's result on each record or completion, drop nothing"
    )


class R1Step(PipelineStep):
    """Base of r1data's steps. Its parameters are one typed config, the class's ``Config``: the recipe
    is validated against it when it is loaded, the step reads ``self.config``, and the card and the docs
    reference list its fields. Positional arguments fill the config's fields in order."""

    type = "🧠 - R1DATA"
    Config: ClassVar[type[Config]] = NoParameters

    def __init__(self, *args: Any, **params: Any):
        super().__init__()
        self.config = self.Config.build(args, params, where=f"step {type(self).__name__}")
        self.exclusion_writer = None  # a datatrove DiskWriter, set by the recipe's `exclusions:`
        self._rank = 0

    def drop_completions(self, doc: Document, completions: list[dict[str, Any]], reason: str) -> None:
        """Drop ``completions`` of ``doc``'s record (the caller removes them from the record); they are
        written, inside a copy of their record, each with its ``excluded_reason``."""
        if not completions:
            return
        reasons.check("drop", reason)
        self.stat_update(COMPLETIONS_DROPPED, named(COMPLETIONS_DROPPED, reason), value=len(completions))
        if self.exclusion_writer is not None:
            record = {**doc.metadata, "completions": [{**c, "excluded_reason": reason} for c in completions]}
            self.exclusion_writer.write(Document(text=doc.text, id=doc.id, metadata=record), self._rank)

    def drop_record(self, doc: Document, reason: str) -> None:
        """Drop a prompt record; the completions it still has are dropped with the same reason. The
        record is written with its ``dropped_reason`` (and its completions with ``excluded_reason``)."""
        reasons.check("drop", reason)
        completions = doc.metadata.get("completions") or []
        self.stat_update(COMPLETIONS_DROPPED, value=len(completions))
        if completions:
            self.stat_update(named(COMPLETIONS_DROPPED, reason), value=len(completions))
        self.stat_update(RECORDS_DROPPED, named(RECORDS_DROPPED, reason))
        if self.exclusion_writer is not None:
            record = {
                **doc.metadata,
                "dropped_reason": reason,
                "completions": [{**c, "excluded_reason": reason} for c in completions],
            }
            self.exclusion_writer.write(Document(text=doc.text, id=doc.id, metadata=record), self._rank)

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
