"""The writer process's loop: operations carried out in order, confirmed, records sent back."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from tests.helpers import logger_start
from tests.wandb_reader import read_runs
from tune_wandb._logger import _child, _spawn
from tune_wandb._logger._ops import Close, Finish, Log, Op
from tune_wandb._logger._wire import dumps, frame


def test_a_burst_is_confirmed_once_and_each_finish_sends_its_record(tmp_path: Path) -> None:
    """One message of operations gets one confirmation; a finished run's record follows."""
    conn, process = _spawn.spawn()
    try:
        ops: list[Op] = [
            logger_start(tmp_path, "c_00000"),
            *(Log("c_00000", {"i": i, "training_iteration": i}) for i in range(1, 4)),
            Finish("c_00000", 0, "completed"),
        ]
        conn.send_bytes(b"".join(frame(seq, dumps(op)) for seq, op in enumerate(ops, 1)))
        replies: list[tuple[str, Any]] = []
        # The run finishes in a thread of its own, so its record may come before or
        # after the burst's confirmation: wait for both.
        while len(replies) < 2:
            reply = conn.recv()
            if isinstance(reply, tuple):
                replies.append(reply)
        (record_reply,) = [reply for reply in replies if reply[0] == "records"]
        assert record_reply[1]["c_00000"].rows == 3
        assert [reply for reply in replies if reply[0] == "done"] == [("done", 5)]
        assert os.getpriority(os.PRIO_PROCESS, process.pid) == _child.NICENESS
        conn.send_bytes(frame(6, dumps(Close())))
        while (reply := conn.recv()) != ("closed", 6):
            pass
        assert process.wait(60) == 0
    finally:
        if process.poll() is None:
            process.kill()
    (run,) = read_runs(tmp_path).values()
    assert (run.column("i"), run.exit_code) == ([1, 2, 3], 0)


def test_a_driver_that_disappears_leaves_the_runs_finished(tmp_path: Path) -> None:
    """When the driver's end closes, the child finishes what is open (as failed) and exits."""
    conn, process = _spawn.spawn()
    ops: list[Op] = [
        logger_start(tmp_path, "c_00001"),
        Log("c_00001", {"i": 1, "training_iteration": 1}),
    ]
    conn.send_bytes(b"".join(frame(seq, dumps(op)) for seq, op in enumerate(ops, 1)))
    while conn.recv() != ("done", 2):
        pass
    conn.close()
    assert process.wait(60) == 0
    (run,) = read_runs(tmp_path).values()
    assert (run.column("i"), run.exit_code) == ([1], 1)
