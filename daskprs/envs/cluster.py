"""Cluster mode: every worker host builds (or reuses) a step's environment in its own env dir,
with the hash the driver computed, when the step starts.

One task per worker, pinned to it, runs :func:`daskprs.envs.build.ensure` in the worker's
thread pool (never its event loop: a build takes minutes). Workers of one host share the env
dir and its file lock, so the host builds once. A build failure fails the step with the
worker's own message.
"""

from __future__ import annotations

import os
import socket
from typing import Any

from daskprs.envs import build, overlay
from daskprs.envs.request import EnvRequest


class WorkerBuildError(RuntimeError):
    """A worker could not build the environment; the message names the worker and the cause."""


def build_here(req: EnvRequest, env_dir: str) -> dict[str, Any]:
    """Run on a worker: ensure the environment; paths as given (``~`` unexpanded) and as
    found on this host."""
    try:
        built = build.ensure(req, env_dir)
    except build.EnvBuildError as exc:
        raise WorkerBuildError(
            f"on {socket.gethostname()}: the environment of {req.conda_file} cannot be built; "
            f"the installer said:\n{exc.resolver}\n(build log on that host: {exc.log})"
        ) from None
    return {
        **built.as_dict(),
        "host": socket.gethostname(),
        "python_raw": os.path.join(env_dir, req.key, "bin", "python"),
        "pythonpath_raw": os.path.join(env_dir, ".runtime", overlay.fingerprint()),
    }


def ensure_on_workers(
    client: Any, req: EnvRequest, env_dir: str, workers: list[str] | None = None
) -> tuple[tuple[str, str], dict[str, dict[str, Any]]]:
    """Build or reuse ``req`` on ``workers`` (default: every worker now). Returns the
    (interpreter, PYTHONPATH) for entry processes and each worker's result; raises
    WorkerBuildError naming the worker that failed."""
    addresses = workers or sorted(client.scheduler_info(n_workers=-1)["workers"])
    futures = {
        addr: client.submit(
            build_here,
            req,
            env_dir,
            workers=[addr],
            allow_other_workers=False,
            pure=False,
            key=f"daskprs-env-{req.key}-{addr}",
        )
        for addr in addresses
    }
    results: dict[str, dict[str, Any]] = {}
    for addr, fut in futures.items():
        try:
            results[addr] = fut.result()
        except Exception as exc:  # noqa: BLE001 - the worker's own error, named
            for other in futures.values():
                other.cancel()
            raise WorkerBuildError(f"worker {addr} {exc}") from None
    pairs = {(r["python_raw"], r["pythonpath_raw"]) for r in results.values()}
    if not pairs:  # no worker yet: the ones that join find it built, or fail to start it
        python = os.path.join(env_dir, req.key, "bin", "python")
        pairs.add((python, os.path.join(env_dir, ".runtime", overlay.fingerprint())))
    if len(pairs) > 1:
        raise WorkerBuildError(
            "the workers run different daskprs sources (their runtime copies differ: "
            f"{sorted(p for _, p in pairs)}); install the same daskprs on every worker"
        )
    return pairs.pop(), results
