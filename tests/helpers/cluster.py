"""A real Dask cluster: `dask scheduler` and `dask worker` processes, started the stock way, in a
working directory other than the driver's."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

from distributed import Client


def _dask(*args: str) -> list[str]:
    return [os.path.join(os.path.dirname(sys.executable), "dask"), *args]


@contextlib.contextmanager
def dask_cluster(workdir: Path, n_workers: int = 2, tls: dict | None = None, nthreads: int = 2):
    workdir.mkdir(parents=True, exist_ok=True)
    sched_file = workdir / "scheduler.json"
    tls_args: list[str] = []
    if tls:
        tls_args = ["--tls-ca-file", tls["ca"], "--tls-cert", tls["cert"], "--tls-key", tls["key"]]
    env = dict(os.environ, DASK_DISTRIBUTED__WORKER__DAEMON="False")
    logs: list[IO[str]] = []  # the processes' stderr files, closed when the cluster stops

    def log(name: str) -> IO[str]:
        logs.append(open(workdir / name, "w"))  # noqa: SIM115 - closed in the finally below
        return logs[-1]

    procs = [
        subprocess.Popen(
            _dask(
                "scheduler",
                "--scheduler-file",
                str(sched_file),
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--dashboard-address",
                ":0",
                *(["--protocol", "tls"] if tls else []),
                *tls_args,
            ),
            cwd=workdir,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log("scheduler.log"),
        )
    ]
    deadline = time.time() + 60
    while not sched_file.exists() and time.time() < deadline:
        time.sleep(0.1)
    assert sched_file.exists(), (workdir / "scheduler.log").read_text()
    time.sleep(0.2)
    for i in range(n_workers):
        wdir = workdir / f"w{i}"
        wdir.mkdir(exist_ok=True)
        procs.append(
            subprocess.Popen(
                _dask(
                    "worker",
                    "--scheduler-file",
                    str(sched_file),
                    "--nthreads",
                    str(nthreads),
                    "--name",
                    f"w{i}",
                    "--host",
                    "127.0.0.1",
                    "--dashboard-address",
                    ":0",
                    *tls_args,
                ),
                cwd=wdir,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=log(f"worker{i}.log"),
            )
        )
    import json

    address = json.loads(sched_file.read_text())["address"]
    try:
        yield address, procs
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        for fh in logs:
            fh.close()


def wait_for_workers(address: str, n: int, security=None) -> None:
    with Client(address, security=security, timeout=30) as c:
        c.wait_for_workers(n, timeout=60)
