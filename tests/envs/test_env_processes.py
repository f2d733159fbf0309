"""Entry processes of a step environment are forked from a zygote running the environment's
interpreter: pre-imported, and what an entry script double-forks there is adopted by the
zygote's subreaper and killed with the step, as in the worker's own interpreter."""

from __future__ import annotations

import os
import time

import psutil

from tests.helpers.envs import PINS, cli, pipeline

# the grandchild leaves the entry process's group, session and environment: only the
# zygote's subreaper can find it (its own parent exits at once)
ESCAPER = """\
import os
import sys


def init():
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            os.execve("/bin/sleep", ["sleep", "{seconds}"], {{}})
        os._exit(0)


def run(mini_batch):
    with open(f"/proc/{{os.getppid()}}/cmdline", "rb") as fh:
        parent = fh.read().replace(b"\\0", b" ").decode()
    return [f"{{sys.executable}}|{{parent}}"] * len(mini_batch)
"""


def _sleepers(seconds: str) -> list[psutil.Process]:
    found = []
    for p in psutil.process_iter(["cmdline"]):
        if p.info["cmdline"] == ["sleep", seconds]:
            found.append(p)
    return found


def test_step_environment_processes_fork_from_its_zygote_and_leave_nothing(tmp_path, env_dir):
    seconds = str(400 + os.getpid() % 500)  # names this test's escapers
    yml = pipeline(tmp_path / "job", PINS)
    (tmp_path / "job" / "code" / "score.py").write_text(ESCAPER.format(seconds=seconds))
    run_dir = tmp_path / "run"
    proc = cli(
        "job", "create", "--file", str(yml), "-q", "--environments", "build",
        "--env-dir", str(env_dir), "--run-dir", str(run_dir),
    )  # fmt: skip
    try:
        assert proc.returncode == 0, proc.stderr
        lines = (run_dir / "probe" / "outputs" / "result").read_text().splitlines()
        assert len(lines) == 40
        pythons = {line.split("|")[0] for line in lines}
        parents = {line.split("|")[1] for line in lines}
        (python,) = pythons
        assert python.startswith(str(env_dir))  # the environment's interpreter
        assert all("daskprs.runtime.zygote" in p and p.startswith(python) for p in parents)
        deadline = time.monotonic() + 10
        while _sleepers(seconds) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _sleepers(seconds) == []
    finally:
        for p in _sleepers(seconds):
            p.kill()
