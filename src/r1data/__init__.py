"""r1data: build, verify, filter and publish DeepSeek-R1-style reasoning datasets."""

__version__ = "0.1.0"
