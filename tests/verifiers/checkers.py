"""Checkers that misbehave on purpose, to test the pool's bounds (imported by worker subprocesses)."""

import os
import time


class Misbehaving:
    name = "misbehaving"
    version = "test"

    def prepare(self, reference):
        return reference

    def check(self, state, item):
        action = item["text"]
        if action == "hang":
            time.sleep(3600)
        elif action == "busy":
            while True:
                pass
        elif action == "crash":
            os._exit(3)
        elif action == "memory":
            bytearray(64 * 2**30)
        elif action == "env":
            return {"label": "pass", "reason": os.environ.get("HF_TOKEN", "no-token"), "verifier": self.name}
        return {"label": "pass", "reason": f"{action}:{state}", "verifier": self.name}
