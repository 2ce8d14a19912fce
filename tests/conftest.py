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
    # Train V2 is Ray's default from 2.51; the oldest Ray we support (2.50) needs it asked for.
    RAY_TRAIN_V2_ENABLED="1",
    # A script that calls tune.run without ray.init (README blocks, drop-in scripts)
    # starts its own Ray, never joining another test's (pytest -n 2 runs two).
    RAY_ADDRESS="local",
)
for name in ("WANDB_API_KEY", "WANDB_PROJECT", "WANDB_BASE_URL", "WANDB_ENTITY"):
    os.environ.pop(name, None)


#: What ``make test-oldest`` runs on the oldest declared versions (Ray 2.50, wandb 0.23):
#: every test of the files named, and the tests named, at least one per part of Ray or
#: wandb whose behaviour or internals differ across the range. The whole suite there
#: takes about 20 minutes with two workers (wandb 0.23 alone imports in 2-3 s, 0.31 in
#: 0.8 s), too long to run beside the newest within CI's 30 minutes on 2 CPUs.
OLDEST = (
    # The core (settings, identity, plan, results, ...): pure, and cheap.
    "tests/unit/",
    # Every use of Ray's and wandb's private parts, on both ends of the range.
    "tests/test_ray_compat.py",
    "tests/test_wandb_compat.py",
    "tests/test_identity.py",
    "tests/test_preflight.py",
    "tests/test_init.py",
    "tests/test_moved.py",  # pickles of 0.1.0's layout
    "tests/test_cluster_store.py",  # Ray's internal KV
    "tests/test_plan.py",  # overrides reaching wandb.init
    "tests/test_session.py",
    "tests/test_run.py",  # the offline fallback, wandb's service releasing a failed id
    "tests/test_writer.py::test_rows_lost_to_a_dead_service_are_counted",
    "tests/test_dropin.py",  # the Ray 1 page's script and Ray 2's callback script
    "tests/test_lineage.py",  # PBT's _exploit, wrapped
    "tests/test_console.py::test_each_trials_lines_are_in_its_own_run",  # output records
    "tests/test_system_metrics.py::test_the_loggers_runs_sample_the_trials_process",  # x_stats_pid
    # One run of each entry point: wandb.init(reinit=...), Tune's trial lifecycle.
    "tests/test_logger.py::TestRuns::test_one_run_per_trial_with_every_row",
    "tests/test_mixin.py::TestDecorator::test_seed_example_gives_one_correct_run_per_trial",
    "tests/test_mixin.py::TestClassMixin::test_runs_rows_and_identity",
    # The experiment read from ray.tune.tune.run's frame; stop reasons; the trials table.
    "tests/test_experiment_run.py::TestSearch",
    # Ray Train V2's internals: its train context, thread runner and controller callbacks.
    "tests/test_setup.py::TestInRayTrain::test_rank_zero_logs_one_run_and_other_ranks_start_nothing",
    "tests/test_train_callback.py::test_rank_zero_metrics_in_one_finished_run",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tests ``make test-oldest`` runs (``-m oldest``)."""
    for item in items:
        if item.nodeid.startswith(OLDEST):
            item.add_marker(pytest.mark.oldest)


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
    """Real HTTP servers on 127.0.0.1, each answering every request with one status.

    ``http_server(200, first=503)`` answers its first request with 503 instead.
    """

    def __init__(self) -> None:
        self.servers: list[http.server.ThreadingHTTPServer] = []
        #: Requests each server received, by its URL.
        self.hits: dict[str, int] = {}

    def __call__(self, status: int, *, first: int | None = None) -> str:
        hits = self.hits

        class Answer(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                hits[url] += 1
                code = first if first is not None and hits[url] == 1 else status
                self.send_response(code)
                self.end_headers()
                self.wfile.write(b'{"errors": ["unauthorized"]}' if code == 401 else b"{}")

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
def key_file(tmp_path: Path) -> Path:
    """A file holding the tests' (fake) API key."""
    from tests.helpers import KEY

    path = tmp_path / "wandb.key"
    path.write_text(KEY)
    return path


@pytest.fixture
def stalling_server() -> Iterator[str]:
    """A real TCP listener on 127.0.0.1 that accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    listener.close()


@pytest.fixture(scope="session")
def wandb_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A live W&B-protocol server (openwandb) on 127.0.0.1, one per pytest worker: its URL."""
    from tests.wire import WandbServer

    server = WandbServer.start(tmp_path_factory.mktemp("wandb-server"))
    yield server.url
    server.stop()


@pytest.fixture
def wire(wandb_server: str) -> Iterator[Any]:
    """A recording, fault-injecting proxy in front of the server, fresh for each test."""
    from tests.wire import Proxy

    proxy = Proxy(wandb_server)
    yield proxy
    proxy.stop()


@pytest.fixture
def server_key_file(tmp_path: Path) -> Path:
    """A file holding the key the test server accepts."""
    from tests.wire import SERVER_KEY

    path = tmp_path / "server.key"
    path.write_text(SERVER_KEY)
    return path
