"""NOT library code: a FAKE Hugging Face Hub on 127.0.0.1 for tests (no Hub is reachable here, and no
pip-installable Hub server exists). It implements the few endpoints ``huggingface_hub`` and ``datasets``
call to create a dataset repo, upload a folder in one commit (every file sent inline, "regular" mode),
and read it back: repo info, the file tree, ``paths-info``, ``resolve`` downloads. Repos live in memory;
every commit is logged (``commits``: the files it added, its branch, whether it was a PR, the
Authorization header) so a test can check exactly what was uploaded.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlparse


class FakeHub:
    def __init__(self):
        self.repos: dict[str, dict[str, dict[str, bytes]]] = {}  # repo id → branch → path → bytes
        self.commits: list[dict] = []
        self.requests: list[tuple[str, str, str | None]] = []  # (method, path, Authorization)
        self.private: dict[str, bool] = {}
        self.shas: dict[str, str] = {}  # commit sha → branch
        self.fail_commits_with: str | None = None  # answer commits 500 with this text (error-path tests)
        hub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _send(
                self, status: int, body: bytes | dict | list = b"", headers: dict | None = None, head=False
            ):
                data = json.dumps(body).encode() if isinstance(body, dict | list) else body
                self.send_response(status)
                self.send_header(
                    "Content-Type",
                    "application/json" if isinstance(body, dict | list) else "application/octet-stream",
                )
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                if not head:
                    self.wfile.write(data)

            def _body(self) -> bytes:
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def _record(self):
                hub.requests.append((self.command, self.path, self.headers.get("Authorization")))

            def _authorised(self) -> bool:
                auth = self.headers.get("Authorization") or ""
                if not auth.startswith("Bearer ") or len(auth) < 12:
                    self._send(401, {"error": "Invalid credentials in Authorization header"})
                    return False
                return True

            def do_POST(self):
                self._record()
                url = urlparse(self.path)
                parts = [unquote(p) for p in url.path.strip("/").split("/")]
                body = self._body()
                if url.path == "/api/validate-yaml":  # the Hub's check, reduced to: the front matter parses
                    import yaml

                    content = json.loads(body).get("content", "")
                    try:
                        meta = yaml.safe_load(content.split("---")[1]) if content.startswith("---") else {}
                        if not isinstance(meta, dict):
                            raise ValueError("metadata is not a mapping")
                    except Exception as exc:
                        return self._send(400, f"Invalid metadata in README.md: {exc}".encode())
                    return self._send(200, {"errors": [], "warnings": []})
                if not self._authorised():
                    return None
                if url.path == "/api/repos/create":
                    spec = json.loads(body)
                    repo = (
                        f"{spec['organization']}/{spec['name']}" if spec.get("organization") else spec["name"]
                    )
                    if repo in hub.repos:
                        return self._send(
                            409,
                            {
                                "error": "You already created this dataset repo",
                                "url": f"{hub.url}/datasets/{repo}",
                            },
                        )
                    hub.repos[repo] = {"main": {}}
                    hub.private[repo] = bool(spec.get("private")) or spec.get("visibility") == "private"
                    return self._send(200, {"url": f"{hub.url}/datasets/{repo}", "name": repo})
                # /api/datasets/{org}/{name}/{action}/{revision…}
                if len(parts) >= 5 and parts[:2] == ["api", "datasets"]:
                    repo, action, rev = f"{parts[2]}/{parts[3]}", parts[4], "/".join(parts[5:]) or "main"
                    if repo not in hub.repos:
                        return self._send(
                            404, {"error": "Repository not found"}, {"X-Error-Code": "RepoNotFound"}
                        )
                    if action == "preupload":
                        files = json.loads(body).get("files", [])
                        return self._send(
                            200,
                            {
                                "files": [
                                    {"path": f["path"], "uploadMode": "regular", "shouldIgnore": False}
                                    for f in files
                                ]
                            },
                        )
                    if action == "commit":
                        if hub.fail_commits_with is not None:
                            return self._send(500, {"error": hub.fail_commits_with})
                        return self._commit(repo, rev, body, parse_qs(url.query))
                    if action == "paths-info":
                        form = parse_qs(body.decode()) if body and not body.startswith(b"{") else {}
                        paths = form.get("paths") or json.loads(body or b"{}").get("paths", [])
                        files = hub.files(repo, rev) or {}
                        return self._send(200, [hub._entry(p, files[p]) for p in paths if p in files])
                    if action == "branch":
                        hub.repos[repo].setdefault(rev, dict(hub.repos[repo]["main"]))
                        return self._send(200, {})
                return self._send(404, {"error": f"fake Hub: no POST {url.path}"})

            def _commit(self, repo, rev, body, query):
                header, added, deleted = None, {}, []
                for line in body.splitlines():
                    if not line.strip():
                        continue
                    item = json.loads(line)
                    if item["key"] == "header":
                        header = item["value"]
                    elif item["key"] == "file":
                        value = item["value"]
                        added[value["path"]] = (
                            base64.b64decode(value["content"])
                            if value.get("encoding") == "base64"
                            else value["content"].encode()
                        )
                    elif item["key"] == "deletedFile":
                        deleted.append(item["value"]["path"])
                    else:  # lfsFile, deletedFolder…: not used by the uploads under test
                        return self._send(
                            400, {"error": f"fake Hub: unsupported commit operation {item['key']}"}
                        )
                pr = query.get("create_pr", ["0"])[0] in ("1", "true", "True")
                target = (
                    rev if not pr else f"refs/pr/{sum(c['pr'] for c in hub.commits if c['repo'] == repo) + 1}"
                )
                branch = hub.repos[repo].setdefault(target, dict(hub.repos[repo].get(rev, {})))
                for path in deleted:
                    branch.pop(path, None)
                branch.update(added)
                oid = hashlib.sha1(f"{repo}{target}{len(hub.commits)}".encode()).hexdigest()
                hub.commits.append({"repo": repo, "revision": target, "pr": pr, "files": sorted(added), "deleted": sorted(deleted),
                                    "summary": (header or {}).get("summary"), "auth": self.headers.get("Authorization")})  # fmt: skip
                return self._send(200, {"commitUrl": f"{hub.url}/datasets/{repo}/commit/{oid}", "commitOid": oid,
                                        "pullRequestUrl": f"{hub.url}/datasets/{repo}/discussions/1" if pr else None})  # fmt: skip

            def do_HEAD(self):
                self.do_GET(head=True)

            def do_GET(self, head=False):
                self._record()
                url = urlparse(self.path)
                parts = [unquote(p) for p in url.path.strip("/").split("/")]
                # /datasets/{org}/{name}/resolve/{rev}/{path}
                if len(parts) >= 5 and parts[0] == "datasets" and parts[3] == "resolve":
                    repo, rev, path = f"{parts[1]}/{parts[2]}", parts[4], "/".join(parts[5:])
                    files = hub.files(repo, rev)
                    if files is None or path not in files:
                        return self._send(
                            404, {"error": "Entry not found"}, {"X-Error-Code": "EntryNotFound"}, head
                        )
                    data = files[path]
                    etag = hashlib.sha1(data).hexdigest()
                    return self._send(
                        200,
                        data,
                        {"ETag": f'"{etag}"', "X-Repo-Commit": hub._sha(repo, rev), "Accept-Ranges": "bytes"},
                        head,
                    )
                if len(parts) >= 4 and parts[:2] == ["api", "datasets"]:
                    repo = f"{parts[2]}/{parts[3]}"
                    if repo not in hub.repos:
                        return self._send(
                            404, {"error": "Repository not found"}, {"X-Error-Code": "RepoNotFound"}, head
                        )
                    rest = parts[4:]
                    if not rest or rest[0] == "revision":
                        rev = "/".join(rest[1:]) or "main"
                        files = hub.files(repo, rev)
                        if files is None:
                            return self._send(404, {"error": "Revision not found"}, {"X-Error-Code": "RevisionNotFound"}, head)  # fmt: skip
                        rev = hub.shas.get(rev, rev)
                        return self._send(200, {"id": repo, "_id": repo, "sha": hub._sha(repo, rev), "private": hub.private.get(repo, False),
                                                "siblings": [{"rfilename": p, "size": len(b)} for p, b in sorted(files.items())],
                                                "cardData": {}, "tags": [], "downloads": 0, "likes": 0,
                                                "lastModified": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())}, head=head)  # fmt: skip
                    if rest[0] == "tree":
                        rev, prefix = rest[1], "/".join(rest[2:])
                        files = hub.files(repo, rev) or {}
                        recursive = parse_qs(url.query).get("recursive", ["false"])[0].lower() == "true"
                        return self._send(200, hub._tree(files, prefix, recursive), head=head)
                return self._send(404, {"error": f"fake Hub: no GET {url.path}"}, head=head)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def _sha(self, repo: str, rev: str) -> str:
        n = sum(1 for c in self.commits if c["repo"] == repo and c["revision"] == rev)
        sha = hashlib.sha1(f"{repo}@{rev}#{n}".encode()).hexdigest()
        self.shas[sha] = rev
        return sha

    def files(self, repo: str, rev: str) -> dict[str, bytes] | None:
        """The files of ``repo`` at a branch name or at a commit sha this server handed out."""
        branches = self.repos.get(repo, {})
        rev = unquote(rev)
        return branches.get(rev, branches.get(self.shas.get(rev, "")))

    @staticmethod
    def _entry(path: str, data: bytes) -> dict:
        return {"type": "file", "path": path, "size": len(data), "oid": hashlib.sha1(data).hexdigest()}

    def _tree(self, files: dict[str, bytes], prefix: str, recursive: bool) -> list[dict]:
        prefix = prefix.strip("/")
        out, dirs = [], set()
        for path, data in sorted(files.items()):
            if prefix and not path.startswith(prefix + "/"):
                continue
            rel = path[len(prefix) + 1 :] if prefix else path
            if "/" in rel and not recursive:
                dirs.add((prefix + "/" if prefix else "") + rel.split("/")[0])
                continue
            if recursive:
                for i in range(1, rel.count("/") + 1):
                    dirs.add((prefix + "/" if prefix else "") + "/".join(rel.split("/")[:i]))
            out.append(self._entry(path, data))
        return [
            {"type": "directory", "path": d, "oid": hashlib.sha1(d.encode()).hexdigest()}
            for d in sorted(dirs)
        ] + out

    def __enter__(self) -> FakeHub:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
