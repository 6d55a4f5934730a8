from r1data.io.mapping import ColumnMapping, MappingError
from r1data.io.quarantine import QuarantineSink
from r1data.io.readers import HFDatasetReader, RecordReader, make_reader
from r1data.io.writers import HubShardWriter, RecordWriter, finalize_shards

__all__ = [
    "ColumnMapping",
    "HFDatasetReader",
    "HubShardWriter",
    "MappingError",
    "QuarantineSink",
    "RecordReader",
    "RecordWriter",
    "finalize_shards",
    "make_reader",
]
