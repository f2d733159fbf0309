"""Getting a Dask client: the embedded LocalCluster, or an existing cluster by address."""

from __future__ import annotations

import contextlib
import importlib.util
import ipaddress
import os
import socket
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from distributed import Client, LocalCluster

from daskprs.spec.model import ParallelStep, PipelineJob


@dataclass
class ClusterInfo:
    kind: str  # "embedded" | "external" | "client"
    address: str = ""
    dashboard: str = ""
    workers: int = 0
    threads_per_worker: int = 0
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "address": self.address,
            "dashboard": self.dashboard,
            "workers": self.workers,
            "threads_per_worker": self.threads_per_worker,
            "notes": self.notes,
        }


def embedded_size(job: PipelineJob) -> tuple[int, int, list[str]]:
    """(workers, threads per worker) for the embedded cluster, capped on a small machine."""
    parallel = [s for s in job.steps.values() if isinstance(s, ParallelStep)]
    instances = max((s.instance_count for s in parallel), default=1)
    concurrency = max((s.max_concurrency_per_instance for s in parallel), default=1)
    notes: list[str] = []
    cap = max(2, 4 * (os.cpu_count() or 1))  # entry-script processes this machine can take
    if instances * concurrency > cap:
        new_instances = max(1, cap // concurrency)
        new_concurrency = min(concurrency, cap)
        notes.append(
            f"instance_count x max_concurrency_per_instance = {instances}x{concurrency} is more "
            f"than this machine's cap of {cap} processes; using {new_instances}x{new_concurrency}"
        )
        instances, concurrency = new_instances, new_concurrency
    return instances, concurrency, notes


@contextlib.contextmanager
def open_client(
    job: PipelineJob,
    client: Client | None = None,
    scheduler: str | None = None,
    security: Any = None,
) -> Iterator[tuple[Client, ClusterInfo]]:
    if client is not None:
        yield client, _info("client", client)
        return
    if scheduler:
        warning = insecure_scheduler_warning(scheduler)
        if warning:  # printed even with --quiet: it is about the user's data
            print(f"daskprs: warning: {warning}", file=sys.stderr)
        with Client(scheduler, security=security) as external:
            info = _info("external", external)
            info.notes.extend([warning] if warning else [])
            yield external, info
        return
    workers, threads, notes = embedded_size(job)
    dashboard = "127.0.0.1:0" if importlib.util.find_spec("bokeh") else None
    with (
        LocalCluster(
            n_workers=workers,
            threads_per_worker=threads,
            processes=False,  # entry scripts run in their own processes (daskprs.runtime)
            dashboard_address=dashboard,
            worker_dashboard_address="127.0.0.1:0",  # workers' HTTP servers: loopback only
        ) as cluster,
        Client(cluster) as local,
    ):
        info = _info("embedded", local)
        port = local.scheduler_info().get("services", {}).get("dashboard")
        if dashboard and port:  # it listens on loopback only
            info.dashboard = f"http://127.0.0.1:{port}/status"
        info.notes.extend(notes)
        yield local, info


_UNENCRYPTED = ("tcp", "ws")


def insecure_scheduler_warning(address: str) -> str | None:
    """One line when ``address`` is an unencrypted (``tcp://``, ``ws://`` or scheme-less)
    address of a host that is not this machine's loopback; None otherwise.

    A host name counts as loopback only when every address it resolves to is loopback."""
    from distributed.comm.addressing import parse_address, parse_host_port

    try:
        scheme, location = parse_address(address)
        host, port = parse_host_port(location, 8786)
    except ValueError:
        return None  # Client reports a malformed address itself
    if scheme not in _UNENCRYPTED or _is_loopback(host):
        return None
    return (
        f"{address} is not encrypted: the code, data and environment_variables this job "
        f"sends travel in clear text, and anyone who can reach {host}:{port} can run code on "
        f"the cluster. Use tls://{host}:{port} with --tls-ca-file, --tls-cert and --tls-key"
    )


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        pass
    try:
        found = {str(ai[4][0]) for ai in socket.getaddrinfo(host, None)}
    except OSError:
        return False
    return bool(found) and all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in found)


def _info(kind: str, client: Client) -> ClusterInfo:
    workers = client.scheduler_info(n_workers=-1).get("workers", {})
    threads = max((w.get("nthreads", 1) for w in workers.values()), default=0)
    dashboard = ""
    if importlib.util.find_spec("bokeh"):  # the dashboard needs bokeh
        with contextlib.suppress(Exception):
            dashboard = client.dashboard_link or ""
    return ClusterInfo(kind, str(client.scheduler.address), dashboard, len(workers), threads)
