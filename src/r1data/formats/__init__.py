from r1data.formats.steps import R1_TEMPLATE, FormatR1, ParseTraces
from r1data.formats.traces import Trace, split_trace

__all__ = ["R1_TEMPLATE", "FormatR1", "ParseTraces", "Trace", "split_trace"]
