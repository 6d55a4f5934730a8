"""The bottom layer: imports nothing else of r1data (and not datatrove's executors), so that verifiers,
filters, formats and trainers can import it cheaply. Step base and drop API, counter names, completion
accessors, trace splitting, paths and templates."""

from r1data.core.lazy import lazy_exports

_EXPORTS = {
    "R1Step": "r1data.core.step",
    "RecordStream": "r1data.core.step",
    "Trace": "r1data.core.traces",
    "split_trace": "r1data.core.traces",
    "trace_of": "r1data.core.completion",
    "reasoning": "r1data.core.completion",
    "summary": "r1data.core.completion",
    "cot": "r1data.core.completion",
    "r1_problem": "r1data.core.completion",
    "resolve_path": "r1data.core.paths",
    "load_template": "r1data.core.paths",
    "fill_template": "r1data.core.paths",
}
__all__ = sorted(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)
