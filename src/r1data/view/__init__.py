"""``r1data view``: browse every prompt, sample, verdict and drop reason of a run, mix or eval folder in a
local web app (:mod:`.server`) over a background-built index (:mod:`.index`)."""
