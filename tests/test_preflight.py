"""The preflight check: a bounded answer on whether the W&B server is up and takes the key."""

from __future__ import annotations

from tests.conftest import HttpServers
from tests.helpers import KEY, UNREACHABLE
from tune_wandb._wandb._preflight import check_server


def test_a_refused_key_names_the_status(refusing_server: str) -> None:
    """HTTP 401 is a refused key, said with the server's address and never the key."""
    reason = check_server(refusing_server, KEY, timeout=3)
    assert reason is not None
    assert "refused the API key (HTTP 401)" in reason
    assert refusing_server in reason
    assert KEY not in reason


def test_a_server_error_is_a_problem(http_server: HttpServers) -> None:
    """HTTP 5xx, answered for the whole retry time, means the run cannot start online now."""
    reason = check_server(http_server(503), KEY, timeout=3)
    assert reason is not None
    assert "HTTP 503" in reason


def test_one_busy_answer_is_asked_again(http_server: HttpServers) -> None:
    """A 503 from a server that then answers is no reason to go offline: asked again."""
    url = http_server(200, first=503)
    assert check_server(url, "b" * 40, timeout=3) is None
    assert http_server.hits[url] == 2


def test_an_answering_server_is_fine(http_server: HttpServers) -> None:
    """200 (and 4xx other than 401/403) leave the rest to wandb itself."""
    assert check_server(http_server(200), KEY, timeout=3) is None
    assert check_server(http_server(404), KEY, timeout=3) is None


def test_nothing_listening() -> None:
    """A closed port is 'cannot reach', at once."""
    reason = check_server(UNREACHABLE, "u" * 40, timeout=3)
    assert reason is not None
    assert "cannot reach the W&B server" in reason


def test_a_stalling_server_is_bounded_by_the_timeout(stalling_server: str) -> None:
    """A server that never answers gives up after the timeout, not wandb's 90 s."""
    reason = check_server(stalling_server, "s" * 40, timeout=1)
    assert reason is not None
    assert "cannot reach the W&B server" in reason


def test_answers_are_cached_per_server_and_key(http_server: HttpServers) -> None:
    """A second check within the cache time asks nothing: the server may be gone by then."""
    url = http_server(401)
    first = check_server(url, "c" * 40, timeout=3)
    assert first is not None
    assert check_server(url, "c" * 40, timeout=3) == first
    assert http_server.hits[url] == 1
    assert check_server(url, "d" * 40, timeout=3) == first  # another key asks again
    assert http_server.hits[url] == 2
