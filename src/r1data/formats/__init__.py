from r1data.core.lazy import lazy_exports

_EXPORTS = {
    "R1_TEMPLATE": "r1data.formats.steps",
    "FormatR1": "r1data.formats.steps",
    "ParseTraces": "r1data.formats.steps",
    "FromSFT": "r1data.formats.steps",
    "assistant_content": "r1data.formats.steps",
}
__all__ = sorted(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)
