"""Shared fixtures: one real local Ray instance per session, wandb offline with no account."""

from __future__ import annotations

import http.server
import os
import socket
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Before Ray starts, so every worker inherits it: offline W&B, no key, no netrc.
_HOME = tempfile.mkdtemp(prefix="tune-wandb-tests-")
os.environ.update(
    WANDB_MODE="offline",
    WANDB_SILENT="true",
    NETRC=str(Path(_HOME, "netrc")),
    WANDB_CONFIG_DIR=str(Path(_HOME, "wandb-config")),
    WANDB_CACHE_DIR=str(Path(_HOME, "wandb-cache")),
    WANDB_DATA_DIR=str(Path(_HOME, "wandb-data")),
    RAY_AUTH_MODE="disabled",
    RAY_USAGE_STATS_ENABLED="0",
    RAY_AIR_NEW_OUTPUT="0",
)
for name in ("WANDB_API_KEY", "WANDB_PROJECT", "WANDB_BASE_URL", "WANDB_ENTITY"):
    os.environ.pop(name, None)


@pytest.fixture(scope="session")
def ray_session() -> Iterator[None]:
    """A real local Ray instance with 2 CPUs, shared by every test that needs Ray."""
    import ray

    ray.init(address="local", num_cpus=2, include_dashboard=False, configure_logging=False)
    yield
    ray.shutdown()


@pytest.fixture
def results(tmp_path: Path) -> Path:
    """A fresh Tune storage path for one test."""
    path = tmp_path / "ray_results"
    path.mkdir()
    return path


@pytest.fixture
def tune_run(ray_session: None, results: Path) -> Any:
    """``tune.run`` into this test's storage path, quietly; returns the analysis."""
    from ray import tune

    def run(trainable: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("storage_path", str(results))
        kwargs.setdefault("name", "exp")
        kwargs.setdefault("verbose", 0)
        return tune.run(trainable, **kwargs)

    return run


class HttpServers:
    """Real HTTP servers on 127.0.0.1, each answering every request with one status."""

    def __init__(self) -> None:
        self.servers: list[http.server.ThreadingHTTPServer] = []
        #: Requests each server received, by its URL.
        self.hits: dict[str, int] = {}

    def __call__(self, status: int) -> str:
        hits = self.hits

        class Answer(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                hits[url] += 1
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b'{"errors": ["unauthorized"]}' if status == 401 else b"{}")

            do_GET = do_POST

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Answer)
        url = f"http://127.0.0.1:{server.server_address[1]}"
        hits[url] = 0
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.servers.append(server)
        return url


@pytest.fixture
def http_server() -> Iterator[HttpServers]:
    """Start real HTTP servers answering with a given status: ``url = http_server(401)``."""
    servers = HttpServers()
    yield servers
    for server in servers.servers:
        server.shutdown()


@pytest.fixture
def refusing_server(http_server: HttpServers) -> str:
    """A real HTTP server on 127.0.0.1 that answers 401 to everything (a bad key)."""
    return http_server(401)


@pytest.fixture
def stalling_server() -> Iterator[str]:
    """A real TCP listener on 127.0.0.1 that accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    listener.close()
