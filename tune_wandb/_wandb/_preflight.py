"""A quick, bounded check that the W&B server answers and takes the key.

``wandb.init`` against a server that is down can block well past its own
``init_timeout`` (seen with wandb 0.31: retried logins, then the run id stays
"in use" in wandb's service). One small request first, bounded by our
``init_timeout``, lets a run go offline at once instead. Answers are cached
per process for a short while, so the logger's many runs ask once.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
import urllib.error
import urllib.request
from typing import Final

_CACHE_SECONDS: Final = 30.0
#: How long a server that answers "busy" (a 5xx: there, but not serving this
#: request) is asked again before the run goes offline; bounded by ``init_timeout``.
_BUSY_RETRY_SECONDS: Final = 5.0
#: Statuses that say the server is there but busy; wandb itself retries them.
_BUSY: Final = frozenset({500, 502, 503, 504})
_cache: dict[tuple[str, str], tuple[float, str | None]] = {}
_lock = threading.Lock()


def check_server(base_url: str, api_key: str, timeout: float) -> str | None:
    """``None`` when ``base_url`` answers and accepts ``api_key``; otherwise why not."""
    key = (base_url, hashlib.sha256(api_key.encode()).hexdigest())
    now = time.monotonic()
    with _lock:
        cached = _cache.get(key)
        if cached is not None and now - cached[0] < _CACHE_SECONDS:
            return cached[1]
    reason = _ask(base_url, api_key, timeout)
    with _lock:
        _cache[key] = (time.monotonic(), reason)
    return reason


def _ask(base_url: str, api_key: str, timeout: float) -> str | None:
    """Ask once; a busy answer is asked again, with backoff, for a few seconds.

    One 503 from a server that answers most requests must not send a run offline
    for good (an offline run reaches W&B only when the user syncs it).
    """
    deadline = time.monotonic() + min(timeout, _BUSY_RETRY_SECONDS)
    pause = 0.2
    while True:
        reason, busy = _ask_once(base_url, api_key, timeout)
        if not busy or time.monotonic() + pause > deadline:
            return reason
        time.sleep(pause)
        pause = min(pause * 2, 1.0)


def _ask_once(base_url: str, api_key: str, timeout: float) -> tuple[str | None, bool]:
    """Why the server is not usable (or ``None``), and whether it only answered busy."""
    token = base64.b64encode(f"api:{api_key}".encode()).decode()
    request = urllib.request.Request(
        base_url.rstrip("/") + "/graphql",
        data=json.dumps({"query": "query { viewer { id } }"}).encode(),
        headers={"Authorization": f"Basic {token}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read(1024)
    except urllib.error.HTTPError as error:
        if error.code in (401, 403):
            return f"the W&B server at {base_url} refused the API key (HTTP {error.code})", False
        if error.code >= 500:
            return f"the W&B server at {base_url} answered HTTP {error.code}", error.code in _BUSY
        # The server is up (a 429 included: wandb itself waits those out).
        return None, False
    except (OSError, ValueError) as error:
        return f"cannot reach the W&B server at {base_url} ({type(error).__name__})", False
    return None, False
