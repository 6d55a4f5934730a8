"""Test doubles and evaluation harnesses, kept apart from the library: a FAKE OpenAI-compatible chat
server (scripted replies, fault injection) for tests and benches, and mixed-language traces built from
real sentences for measuring the language filter. Nothing in the library imports this package."""
