"""A live W&B-protocol server for the online tests, a recording proxy in front of it, and a
reader of what the client sent.

The server is openwandb, a test tool under a non-commercial licence: ``make test`` installs
it into a venv of its own (``.venv-server``), never into the package's environment. Its
own view of a run is incomplete (every run "finished", nested summary values dropped), so
the tests read what wandb's client sent: every request passes through ``Proxy``, which
records it and can answer with faults instead (an outage, a share of 503s or 429s, a slow
server). ``sent_runs`` turns the recorded file_stream and GraphQL bodies into one
``SentRun`` per run id: history rows by offset (a line sent again on a retry counts once),
the last summary, the exit code, the console output, the config and the tags.
"""

from __future__ import annotations

import http.client
import http.server
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.parse
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import attrs

#: The key openwandb accepts out of the box.
SERVER_KEY = "local" + "0" * 40
#: Where ``make test`` installs the server (override with TUNE_WANDB_SERVER).
SERVER_BIN = Path(__file__).resolve().parent.parent / ".venv-server" / "bin" / "openwandb"
#: The proxy's own path: a trial asks for a fault at a moment of its choosing.
CONTROL = "/_proxy/fault"
#: The proxy's own path: whether a run's rows have reached the server yet.
SEEN = "/_proxy/seen"
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade"}


def ask_for_fault(proxy_url: str, **fault: float) -> None:
    """From anywhere (a trial's process): make the proxy at ``proxy_url`` answer with a fault.

    ``status`` (502), ``every`` (1: every request), ``seconds`` (0: until told
    otherwise), ``retry_after`` (a Retry-After header).
    """
    import urllib.request

    query = urllib.parse.urlencode(fault)
    urllib.request.urlopen(
        urllib.request.Request(f"{proxy_url}{CONTROL}?{query}", method="POST"), timeout=10
    ).close()


def wait_until_sent(proxy_url: str, run_id: str, timeout: float = 120.0) -> None:
    """From anywhere (a trial's process): wait until rows of ``run_id`` reached the server."""
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with urllib.request.urlopen(f"{proxy_url}{SEEN}?run={run_id}", timeout=10) as answer:
            if answer.read() == b"1":
                return
        time.sleep(0.2)
    raise TimeoutError(f"no row of run {run_id!r} reached the server in {timeout} s")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _cheapen_auth(binary: Path, database: Path) -> None:
    """Re-hash the server's default key with bcrypt's cheapest cost.

    openwandb checks the key of every request with bcrypt at its default cost: 95% of
    its CPU under a Tune experiment (py-spy: ``verify_api_key``), about a fifth of a
    CPU-second per request. A W&B server does not spend that on this machine's CPUs;
    at bcrypt's lowest cost the same check is 256 times cheaper.
    """
    python = binary.with_name("python")
    code = (
        "import bcrypt, sqlite3, sys\n"
        "key = sys.argv[2]\n"
        "db = sqlite3.connect(sys.argv[1], timeout=30)\n"
        "hashed = bcrypt.hashpw(key.encode(), bcrypt.gensalt(4)).decode()\n"
        "db.execute('UPDATE api_keys SET key_hash = ? WHERE key_prefix = ?', (hashed, key[:8]))\n"
        "db.commit()\n"
    )
    if python.exists() and database.exists():
        subprocess.run([str(python), "-c", code, str(database), SERVER_KEY], check=True)


@attrs.define
class WandbServer:
    """openwandb serving on 127.0.0.1, started niced (it stands in for a remote server).

    The benchmarks start it with ``idle=True``, in Linux's idle scheduling class: it
    gets a CPU only when nothing else wants one, so it takes no CPU from Tune, as a
    remote server would not; and with ``cheap_auth=True`` (see ``_cheapen_auth``).
    The tests keep the server's own key check.
    """

    url: str
    process: subprocess.Popen[bytes]
    log: Path

    @classmethod
    def start(
        cls, data_dir: Path, timeout: float = 60.0, *, idle: bool = False, cheap_auth: bool = False
    ) -> WandbServer:
        binary = Path(os.environ.get("TUNE_WANDB_SERVER", SERVER_BIN))
        if not binary.exists():
            raise RuntimeError(
                f"no W&B-protocol server at {binary}: run `make test` (it installs one)"
            )
        port = free_port()
        data_dir.mkdir(parents=True, exist_ok=True)
        log = data_dir / "server.log"
        lower = ["chrt", "--idle", "0"] if idle and shutil.which("chrt") else ["nice", "-n", "10"]
        with log.open("wb") as out:
            process = subprocess.Popen(
                [
                    *lower,
                    str(binary),
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--data-dir",
                    str(data_dir),
                    "--log-level",
                    "warning",
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        server = cls(url=f"http://127.0.0.1:{port}", process=process, log=log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"the W&B server exited: {log.read_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    pass
            except OSError:
                time.sleep(0.2)
            else:
                if cheap_auth:
                    _cheapen_auth(binary, data_dir / "openwandb.db")
                return server
        server.stop()
        raise RuntimeError(f"the W&B server did not listen within {timeout} s")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


@attrs.frozen
class Request:
    """One request the client sent and the server answered (faults are not recorded here)."""

    method: str
    path: str
    status: int
    body: bytes
    #: The server's answer (GraphQL only: file bodies are not kept).
    answer: bytes = b""

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@attrs.define
class Fault:
    """How the proxy answers instead of the server. ``every``: one request in N."""

    status: int = 502
    every: int = 1
    retry_after: float | None = None


class Proxy:
    """An HTTP proxy on 127.0.0.1 that records what reaches the server and injects faults."""

    def __init__(self, upstream: str) -> None:
        parsed = urllib.parse.urlsplit(upstream)
        self.upstream = (parsed.hostname or "127.0.0.1", parsed.port or 80)
        self.requests: list[Request] = []
        #: Requests answered by a fault instead of the server.
        self.refused = 0
        self.fault: Fault | None = None
        #: Seconds every request waits before it is passed on.
        self.delay = 0.0
        self._count = 0
        self._lock = threading.Lock()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _any(self) -> None:
                proxy._handle(self)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _any

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = _QuietServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def complete(self, run_ids: Collection[str], timeout: float = 90.0) -> dict[str, SentRun]:
        """The sent runs once each of ``run_ids`` was sent complete (a hand-off may be late)."""
        deadline = time.monotonic() + timeout
        while True:
            runs = sent_runs(self.requests)
            if all(i in runs and runs[i].complete for i in run_ids):
                return runs
            if time.monotonic() > deadline:
                return runs
            time.sleep(0.5)

    @contextmanager
    def faulty(self, fault: Fault) -> Iterator[None]:
        """Answer with ``fault`` while the block runs."""
        self.fault = fault
        try:
            yield
        finally:
            self.fault = None

    def _control(self, handler: http.server.BaseHTTPRequestHandler) -> None:
        """``POST /_proxy/fault?status=502&seconds=10``: a fault from a trial, for a while."""
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(handler.path).query)
        value = {k: v[0] for k, v in query.items()}
        retry_after = float(value["retry_after"]) if "retry_after" in value else None
        fault = Fault(int(value.get("status", 502)), int(value.get("every", 1)), retry_after)
        self.fault = fault
        seconds = float(value.get("seconds", 0))
        if seconds:
            threading.Timer(seconds, self._clear, args=(fault,)).start()
        handler.send_response(200)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    def _clear(self, fault: Fault) -> None:
        if self.fault is fault:
            self.fault = None

    def _refuse(self) -> Fault | None:
        with self._lock:
            self._count += 1
            fault = self.fault
            if fault is not None and self._count % fault.every == 0:
                self.refused += 1
                return fault
        return None

    def _handle(self, handler: http.server.BaseHTTPRequestHandler) -> None:
        body = _read_body(handler)
        if handler.path.startswith(CONTROL):
            self._control(handler)
            return
        if handler.path.startswith(SEEN):
            run_id = urllib.parse.parse_qs(urllib.parse.urlsplit(handler.path).query)["run"][0]
            seen = b"1" if sent_runs(list(self.requests)).get(run_id, SentRun("")).rows else b"0"
            handler.send_response(200)
            handler.send_header("Content-Length", "1")
            handler.end_headers()
            handler.wfile.write(seen)
            return
        if self.delay:
            time.sleep(self.delay)
        fault = self._refuse()
        if fault is not None:
            payload = b'{"error": "injected by the test proxy"}'
            handler.send_response(fault.status)
            if fault.retry_after is not None:
                handler.send_header("Retry-After", f"{fault.retry_after:g}")
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(payload)))
            handler.end_headers()
            handler.wfile.write(payload)
            return
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in _HOP_BY_HOP}
        headers["Content-Length"] = str(len(body))
        connection = http.client.HTTPConnection(*self.upstream, timeout=120)
        try:
            connection.request(handler.command, handler.path, body=body, headers=headers)
            response = connection.getresponse()
            payload = response.read()
        except OSError:
            handler.send_error(502)
            return
        finally:
            connection.close()
        with self._lock:
            answer = payload if handler.path.startswith("/graphql") else b""
            self.requests.append(
                Request(handler.command, handler.path, response.status, body, answer)
            )
        handler.send_response(response.status)
        for key, value in response.getheaders():
            if key.lower() not in _HOP_BY_HOP and key.lower() != "content-length":
                handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        if handler.command != "HEAD":
            handler.wfile.write(payload)


class _QuietServer(http.server.ThreadingHTTPServer):
    """A client that hangs up (wandb-core at exit) is not an error worth printing."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass


def _read_body(handler: http.server.BaseHTTPRequestHandler) -> bytes:
    if handler.headers.get("Transfer-Encoding", "").lower() == "chunked":
        chunks: list[bytes] = []
        while True:
            size = int(handler.rfile.readline().strip().split(b";")[0], 16)
            if size == 0:
                handler.rfile.readline()
                return b"".join(chunks)
            chunks.append(handler.rfile.read(size))
            handler.rfile.readline()
    return handler.rfile.read(int(handler.headers.get("Content-Length") or 0))


@attrs.define
class SentRun:
    """What the client sent for one run id, across every request that reached the server."""

    run_id: str
    project: str = ""
    rows_by_offset: dict[int, dict[str, Any]] = attrs.field(factory=dict)
    summary: dict[str, Any] = attrs.field(factory=dict)
    output: dict[int, str] = attrs.field(factory=dict)
    exit_code: int | None = None
    complete: bool = False
    config: dict[str, Any] = attrs.field(factory=dict)
    tags: list[str] = attrs.field(factory=list)
    name: str | None = None
    group: str | None = None
    #: Artifact names declared for this run (createArtifact).
    artifacts: list[str] = attrs.field(factory=list)
    #: System metrics samples (wandb-events.jsonl), from every writer of the run, as sent.
    stats: list[dict[str, Any]] = attrs.field(factory=list)
    #: Console lines from every writer of the run, as sent (writers of a shared run
    #: each number their lines from 0, so :attr:`output` keeps one writer's).
    lines: list[str] = attrs.field(factory=list)

    @property
    def rows(self) -> list[dict[str, Any]]:
        return [self.rows_by_offset[k] for k in sorted(self.rows_by_offset)]

    @property
    def steps(self) -> list[int]:
        return [row["_step"] for row in self.rows]

    def column(self, key: str) -> list[Any]:
        return [row[key] for row in self.rows if key in row]

    @property
    def output_text(self) -> str:
        return "\n".join(self.output[k] for k in sorted(self.output))


def sent_runs(requests: list[Request], project: str | None = None) -> dict[str, SentRun]:
    """Every run the client sent (to ``project``, if given), by run id."""
    runs: dict[tuple[str, str], SentRun] = {}

    def run(project: str, run_id: str) -> SentRun:
        return runs.setdefault((project, run_id), SentRun(run_id, project))

    for request in requests:
        if request.status >= 300:
            continue
        parts = request.path.split("?")[0].strip("/").split("/")
        if len(parts) == 5 and parts[0] == "files" and parts[4] == "file_stream":
            _read_stream(run(parts[2], parts[3]), request.json() or {})
        elif parts == ["graphql"]:
            _read_graphql(run, request.json() or {})
    return {run_id: sent for (p, run_id), sent in runs.items() if project is None or p == project}


def _read_stream(run: SentRun, body: dict[str, Any]) -> None:
    for name, chunk in (body.get("files") or {}).items():
        offset, lines = chunk.get("offset", 0), chunk.get("content", [])
        if name == "wandb-history.jsonl":
            for i, line in enumerate(lines):
                run.rows_by_offset[offset + i] = json.loads(line)
        elif name == "wandb-summary.json" and lines:
            summary = json.loads(lines[-1])
            # A labelled writer of a shared run (x_primary=False) sends only its runtime.
            if not run.summary or any(not key.startswith("_") for key in summary):
                run.summary = summary
        elif name == "wandb-events.jsonl":
            run.stats.extend(json.loads(line) for line in lines)
        elif name == "output.log":
            for i, line in enumerate(lines):
                run.output[offset + i] = line
            run.lines.extend(lines)
    if "exitcode" in body and body["exitcode"] is not None:
        run.exit_code = body["exitcode"]
    if body.get("complete"):
        run.complete = True


def operation(body: dict[str, Any]) -> str:
    """A GraphQL request's operation name ("UpsertBucket", "CreateArtifact", ...)."""
    found = re.match(r"\s*(?:mutation|query)\s+(\w+)", body.get("query") or "")
    return found.group(1) if found else ""


def _read_graphql(run: Callable[[str, str], SentRun], body: dict[str, Any]) -> None:
    name = operation(body)
    variables = body.get("variables") or {}
    if name == "UpsertBucket" and variables.get("name"):
        sent = run(variables.get("project") or "", variables["name"])
        if variables.get("config"):
            config = json.loads(variables["config"])
            sent.config.update({k: v.get("value") for k, v in config.items()})
        if variables.get("tags") is not None:
            sent.tags = list(variables["tags"])
        if variables.get("displayName"):
            sent.name = variables["displayName"]
        if variables.get("groupName"):
            sent.group = variables["groupName"]
    elif name == "CreateArtifact" and (variables.get("input") or {}).get("runName"):
        artifact = variables["input"]
        run(artifact["projectName"], artifact["runName"]).artifacts.append(
            artifact["artifactCollectionName"]
        )


def handed_off(root: Path, timeout: float = 90.0) -> list[str]:
    """Wait until every online run under ``root`` finished or its hand-off is done; their logs.

    A run whose trial's process ended before its upload did is uploaded by a watcher
    (``tune_wandb._wandb._handoff``), which writes what it did into the run's folder.
    """
    from tune_wandb._core._records import RECORD_FILE
    from tune_wandb._wandb._handoff import LOG_FILE

    deadline = time.monotonic() + timeout
    while True:
        pending, logs = [], []
        for log in root.rglob("run-*.wandb"):
            folder = log.parent
            record = folder / RECORD_FILE
            finished = record.exists() and json.loads(record.read_text()).get("finished")
            if (folder / LOG_FILE).exists():
                logs.append((folder / LOG_FILE).read_text())
            elif not finished:
                pending.append(folder)
        if not pending or time.monotonic() > deadline:
            return logs
        time.sleep(0.5)
