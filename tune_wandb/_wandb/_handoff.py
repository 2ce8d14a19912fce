"""The hand-off: a run written in a trial's process reaches W&B even when Tune ends that process.

Tune gives a stopping trial's actor about ten seconds when the experiment ends,
then kills it, and wandb's uploader (``wandb-core``, the process's child) dies
with it: rows that were still being sent never arrive, although the run's
transaction log on disk holds them all. So before an online run in a trial's
process is finished, :func:`hand_off` starts a watcher that outlives the trial
(started through a short-lived middle process, so that Ray, which ends a
worker's children with it, does not end the watcher). The watcher waits until
either the run's record says it finished (the trial's own upload made it:
nothing to do) or the trial's process is gone without that; then it uploads
the run's folder with W&B's own ``wandb sync --include-online``, which sends
the rows again by their offsets (lines the server already has are replaced,
not doubled), bounded by ``upload_timeout``. What it did is written to
:data:`LOG_FILE` in the run's folder.

Run as a script (``python _handoff.py ...``) it is the watcher: it imports only
the standard library, not the package, so it costs a trial nothing to start.
The API key, when there is one, is passed in the environment, never on the
command line.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Final

if __name__ != "__main__":  # the watcher, run as a script, needs none of the package
    from tune_wandb._wandb._compat import without_service

#: What the watcher did, in the run's own folder.
LOG_FILE: Final = "tune-wandb-handoff.log"
#: How often the watcher looks at the trial's process and the run's record.
_POLL_S: Final = 0.5
#: How long the watcher waits, beyond ``upload_timeout``, for the trial's own finish.
_GRACE_S: Final = 30.0


def hand_off(
    run_dir: str,
    *,
    run: tuple[str, str, str],
    exit_code: int,
    record_file: str,
    timeout: float,
    api_key: str | None,
    base_url: str | None,
) -> None:
    """Start the watcher of the run in ``run_dir`` (this process is the trial's).

    ``run`` is the run's entity, project and id, and ``exit_code`` the one it is
    being finished with: a transaction log cut off before its last record
    uploads as a crashed run, which the watcher then marks finished with it.
    """
    env = without_service(dict(os.environ))  # the watcher's wandb sync starts its own
    env["WANDB_MODE"] = "online"
    env.pop("WANDB_SILENT", None)  # what wandb sync says goes to the watcher's log
    if api_key:
        env["WANDB_API_KEY"] = api_key
    if base_url:
        env["WANDB_BASE_URL"] = base_url
    arguments = [sys.executable, __file__, "--detach", "--pid", str(os.getpid())]
    arguments += ["--run-dir", run_dir, "--record", record_file, "--timeout", f"{timeout:g}"]
    arguments += ["--run", "/".join(run), "--exit-code", str(exit_code)]
    # The middle process starts the watcher in a session of its own and exits: the
    # watcher is then nobody's child here, which is what lets it outlive the worker.
    subprocess.run(
        arguments,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
        timeout=30,
    )


def _finished(record: Path) -> bool:
    try:
        return bool(json.loads(record.read_text()).get("finished"))
    except (OSError, ValueError):
        return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


#: Marks a synced run finished with the exit code its trial meant (wandb's public API).
_MARK_FINISHED = """
import sys, tempfile, wandb
entity, project, run_id = sys.argv[1].split("/", 2)
with tempfile.TemporaryDirectory() as folder:
    settings = wandb.Settings(silent=True, console="off", x_disable_stats=True,
                              x_disable_meta=True, x_save_requirements=False)
    run = wandb.init(entity=entity or None, project=project, id=run_id, resume="allow",
                     dir=folder, settings=settings)
    run.finish(exit_code=int(sys.argv[2]))
"""


def watch(
    pid: int,
    run_dir: Path,
    record: Path,
    timeout: float,
    run: str | None = None,
    exit_code: int | None = None,
) -> str:
    """Wait for the trial's finish or its end; upload the run if it did not make it."""
    deadline = time.monotonic() + timeout + _GRACE_S
    while time.monotonic() < deadline:
        if _finished(record):
            return "the trial's own upload finished"
        if not _alive(pid):
            break
        time.sleep(_POLL_S)
    if _finished(record):
        return "the trial's own upload finished"
    command = [sys.executable, "-m", "wandb", "sync", "--include-online", str(run_dir)]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=max(timeout, 10.0), check=False
        )
    except subprocess.TimeoutExpired:
        return f"not uploaded within {timeout:g} s; {_retry(run_dir)}"
    said = f"{done.stdout}\n{done.stderr}"
    # wandb sync exits 0 also when it read nothing ("No runs to sync") or could not
    # read the log ("ERROR Failed to read"): only its ".synced" mark says it uploaded.
    if done.returncode != 0 or not any(run_dir.glob("*.wandb.synced")):
        tail = " ".join(said.split())[-500:]
        return f"not uploaded ({tail}); {_retry(run_dir)}"
    if run is None or exit_code is None:
        return "uploaded after the trial's process ended"
    try:
        marked = subprocess.run(
            [sys.executable, "-c", _MARK_FINISHED, run, str(exit_code)],
            capture_output=True,
            text=True,
            timeout=max(timeout, 10.0),
            check=False,
        )
    except subprocess.TimeoutExpired:
        marked = None
    if marked is None or marked.returncode != 0:
        tail = " ".join((marked.stderr if marked else "timed out").split())[-300:]
        return f"uploaded after the trial's process ended; its exit code was not set ({tail})"
    return f"uploaded after the trial's process ended, and finished with exit code {exit_code}"


def _retry(run_dir: Path) -> str:
    return f"upload it with: wandb sync --include-online {run_dir}"


def _main(argv: list[str], env: Mapping[str, str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--detach", action="store_true")
    parser.add_argument("--pid", type=int, required=True)
    parser.add_argument("--run-dir", required=True)
    parser.add_argument("--record", required=True)
    parser.add_argument("--timeout", type=float, required=True)
    parser.add_argument("--run")
    parser.add_argument("--exit-code", type=int)
    args = parser.parse_args(argv)
    if args.detach:
        rest = [a for a in argv if a != "--detach"]
        subprocess.Popen(
            [sys.executable, __file__, *rest],
            env=dict(env),
            start_new_session=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        return 0
    run_dir = Path(args.run_dir).resolve()
    # wandb writes its own logs under ./wandb: a folder of the watcher's, not the trial's.
    with tempfile.TemporaryDirectory(prefix="tune-wandb-handoff-") as scratch:
        os.chdir(scratch)
        outcome = watch(
            args.pid, run_dir, run_dir / args.record, args.timeout, args.run, args.exit_code
        )
        os.chdir(run_dir)
    try:
        with (run_dir / LOG_FILE).open("a") as log:
            log.write(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} {outcome}\n")
    except OSError:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:], os.environ))
