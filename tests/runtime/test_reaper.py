"""What counts as an entry process's leftovers (synthetic process tables; the real thing is in
tests/integration/test_integrity.py)."""

from __future__ import annotations

import os
import subprocess
import sys

from daskprs.runtime import reaper
from daskprs.runtime.reaper import ProcInfo

ENTRY = 100
MARKS = {"DASKPRS_RUN_ID": "r1", "DASKPRS_NODE": "node000", "DASKPRS_PROCESS_NAME": "process000"}


def test_leftovers_are_the_group_the_session_and_the_marked():
    procs = [
        ProcInfo(ENTRY, 50, ENTRY, ENTRY, dict(MARKS)),  # the entry process itself
        ProcInfo(101, ENTRY, ENTRY, ENTRY),  # same group
        ProcInfo(102, 1, 102, ENTRY),  # own group, same session
        ProcInfo(103, 1, 103, 103, dict(MARKS)),  # setsid + exec: its marks
        ProcInfo(104, 1, 104, 104, {**MARKS, "DASKPRS_PROCESS_NAME": "process001"}),  # a sibling's
        ProcInfo(105, 1, 105, 105),  # unrelated
    ]
    left = reaper.leftovers_of_entry(procs, ENTRY, "r1", "node000", "process000")
    assert sorted(left) == [101, 102, 103]


def test_snapshot_reads_marks_from_the_environment():
    env = {**os.environ, "DASKPRS_RUN_ID": "test-reaper-mark"}
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"], env=env)
    try:
        assert child.pid in reaper.marked(reaper.snapshot(), "DASKPRS_RUN_ID", "test-reaper-mark")
        assert reaper.kill_marked("DASKPRS_RUN_ID", "test-reaper-mark") == 1
        assert child.wait(timeout=10) == -9
    finally:
        if child.poll() is None:
            child.kill()
