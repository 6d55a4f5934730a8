"""The file-to-file commands behind `r1data verify`, `filter` and `generate` (the top layer, beside
`cli.py`): each runs its steps through `r1data.pipelines.single`."""
