from r1data._lazy import lazy_exports

_EXPORTS = {
    "R1_TEMPLATE": "r1data.formats.steps",
    "FormatR1": "r1data.formats.steps",
    "ParseTraces": "r1data.formats.steps",
    "r1_format_problem": "r1data.formats.steps",
    "Trace": "r1data.formats.traces",
    "split_trace": "r1data.formats.traces",
}
__all__ = sorted(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)
