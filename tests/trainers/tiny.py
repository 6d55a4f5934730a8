"""The tiny offline chat models of the training tests: r1data's own (``r1data.trainers.tiny``, the one
the training how-to tells users to make), re-exported for the tests."""

from r1data.trainers.tiny import SPECIALS, byte_tokenizer, chat_template, tiny_model

CHAT_TEMPLATE = chat_template()
THINK_TOKENS = ["<think>", "</think>"]

__all__ = ["CHAT_TEMPLATE", "SPECIALS", "THINK_TOKENS", "byte_tokenizer", "tiny_model"]
