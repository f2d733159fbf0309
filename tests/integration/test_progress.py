"""Progress as a person sees it: a live bar on a terminal, plain lines when stderr is a file."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios

TABLE = {"type": "mltable", "path": "./table", "mode": "direct"}


def _job(job_folder):
    job_folder.table(rows=300)
    job_folder.script("def run(mini_batch):\n    return mini_batch\n")
    return job_folder.parallel_yaml(TABLE, mini_batch_size="1kb")


def test_terminal_gets_a_live_progress_bar(job_folder, tmp_path):
    yml = _job(job_folder)
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 120, 0, 0))  # 30 x 120
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "daskprs",
            "job",
            "create",
            "--file",
            str(yml),
            "--run-dir",
            str(tmp_path / "r"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=slave,
    )
    os.close(slave)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    proc.wait(timeout=120)
    os.close(master)
    assert proc.returncode == 0
    screen = seen.decode("utf-8", "replace")
    assert "\r" in screen  # redrawn in place
    assert "job:" in screen and "100%" in screen
    assert "failed=0" in screen and "items=" in screen
    assert "Dask dashboard: http://127.0.0.1:" in screen


def test_plain_lines_when_stderr_is_not_a_terminal(job_folder, tmp_path):
    yml = _job(job_folder)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "daskprs",
            "job",
            "create",
            "--file",
            str(yml),
            "--run-dir",
            str(tmp_path / "r"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.splitlines()
    assert "\r" not in proc.stderr
    assert any(line.startswith("[job] ") and "mini batches planned" in line for line in lines)
    final = [line for line in lines if line.startswith("[job] ") and " 0 failed" in line]
    assert final and "ETA 0s" in final[-1]
