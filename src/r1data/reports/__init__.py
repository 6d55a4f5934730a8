"""Reports of runs and mixes: the self-contained HTML page (``r1data report``)."""
