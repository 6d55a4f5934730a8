"""A FAKE chat-completions server on 127.0.0.1 for tests and benchmarks (not a model). It stands in
where a real one cannot: fault injection, a server of known capacity for the throughput benchmark, and
the judge (a strong judge model cannot run here; the tiny model of tests/engine cannot judge). It answers deterministically from the request and can inject faults: HTTP 500/429,
a delay past the client's timeout, a connection reset, malformed JSON. Capacity can be bounded
(``max_concurrent``) with a fixed ``latency_s`` per request, for throughput benchmarks. A ``reply``
function ``prompt -> (status, text)`` scripts the answers instead (the judge tests; ``text`` may be a
whole choice, ``{"message": {...}, "finish_reason": ...}``, for replies of other shapes); every request is
logged in ``log`` (path, Authorization header, model, prompt — the last message —, the user message,
max_tokens, seed, the continued prefix). A
``writer`` function ``(prompt, seed) -> text`` makes it a server that honours ``max_tokens`` as a model
does: the answer is the writer's text cut after ``max_tokens`` tokens (a token: a word with the space
before it), ``finish_reason: length`` when cut; with ``continue_final_message`` the last (assistant)
message is the start of the answer and the rest of the writer's text follows it (a start the writer
would not write — a forced ``</think>`` — gets the writer's summary)."""

from __future__ import annotations

import json
import random
import re
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeChatServer:
    def __init__(
        self,
        fault_rate: float = 0.0,
        faults=("500", "429", "timeout", "reset", "malformed"),
        seed: int = 0,
        latency_s: float = 0.0,
        max_concurrent: int | None = None,
        stall_s: float = 3.0,
        always_fail: str | None = None,
        reply=None,
        writer=None,
    ):
        self.fault_rate, self.faults, self.latency_s, self.stall_s = fault_rate, faults, latency_s, stall_s
        self.always_fail, self.reply, self.writer = always_fail, reply, writer
        self.log: list[dict] = []
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.served = 0  # successful answers
        self.requests = 0
        self.slots = threading.Semaphore(max_concurrent) if max_concurrent else None
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                prompt = body["messages"][-1]["content"]
                continued = body["messages"][-1]["content"] if body.get("continue_final_message") else ""
                user = next((m["content"] for m in reversed(body["messages"]) if m["role"] == "user"), prompt)
                with server.lock:
                    server.requests += 1
                    server.log.append(
                        {
                            "path": self.path,
                            "auth": self.headers.get("Authorization"),
                            "model": body.get("model"),
                            "prompt": prompt,
                            "user": user,
                            "max_tokens": body.get("max_tokens"),
                            "seed": body.get("seed"),
                            "continued": continued,
                        }
                    )
                    fault = (
                        server.rng.choice(server.faults) if server.rng.random() < server.fault_rate else None
                    )
                if server.writer is not None:
                    self._write(server.writer(user, body.get("seed", 0)), continued, body, user)
                    return
                if server.reply is not None:  # scripted answers
                    status, text = server.reply(prompt)
                    if status != 200:
                        self._send(status, text.encode())
                    elif isinstance(text, dict):  # a whole choice: message fields, finish_reason
                        self._answer(None, prompt, choice=text)
                    else:
                        self._answer(text, prompt)
                    return
                if server.always_fail and server.always_fail in prompt:
                    fault = "500"
                if fault == "timeout":
                    time.sleep(server.stall_s)
                    return
                if fault == "reset":
                    self.connection.setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
                    )
                    self.connection.close()
                    return
                if fault in ("500", "429"):
                    self._send(int(fault), b'{"error": "injected"}')
                    return
                if server.slots:
                    server.slots.acquire()
                try:
                    time.sleep(server.latency_s)
                finally:
                    if server.slots:
                        server.slots.release()
                if fault == "malformed":
                    self._send(200, b'{"choices": [')
                    return
                seed = body.get("seed", 0)
                self._answer(
                    f"<think>\nthinking about: {prompt[:40]}\n</think>\n\nanswer #{seed} $\\boxed{{4}}$",
                    prompt,
                )

            def _write(self, full, continued, body, prompt):
                if full.startswith(continued):
                    rest = full[len(continued) :]
                else:  # a start it would not write (a forced </think>): its summary
                    rest = full.split("</think>", 1)[-1].lstrip("\n")
                tokens = re.findall(r"\s*\S+", rest)
                budget = body.get("max_tokens") or len(tokens)
                text = "".join(tokens[:budget])
                finish = "length" if len(tokens) > budget else "stop"
                payload = {
                    "choices": [{"message": {"role": "assistant", "content": text}, "finish_reason": finish}],
                    "usage": {
                        "prompt_tokens": len(prompt.split()),
                        "completion_tokens": min(budget, len(tokens)),
                    },
                }
                with server.lock:
                    server.served += 1
                self._send(200, json.dumps(payload).encode())

            def _answer(self, text, prompt, choice=None):
                choice = choice or {
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": "stop",
                }
                words = len(str(choice["message"].get("content") or "").split())
                payload = {
                    "choices": [choice],
                    "usage": {"prompt_tokens": len(prompt.split()), "completion_tokens": words},
                }
                with server.lock:
                    server.served += 1
                self._send(200, json.dumps(payload).encode())

            def _send(self, status, data):
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        class Server(ThreadingHTTPServer):
            request_queue_size = 256  # the default backlog (5) drops connections under load

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
