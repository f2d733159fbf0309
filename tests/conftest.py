"""Root fixtures: the session mark and the process-leak check that every test runs under."""

from __future__ import annotations

import os
import uuid

import pytest
from distributed import Client, LocalCluster

from tests.helpers.jobs import JobFolder
from tests.helpers.leaks import SESSION_MARK, new_processes, session_processes

# every process the tests start inherits this mark, wherever it ends up in the process tree
os.environ.setdefault(SESSION_MARK, uuid.uuid4().hex)


@pytest.fixture(autouse=True)
def no_process_left_behind(request):
    """Fails a test that leaves any process it started running (a zygote excepted)."""
    if request.node.get_closest_marker("allow_leftover_processes"):
        yield
        return
    mark = os.environ[SESSION_MARK]
    before = session_processes(mark)
    yield
    left = new_processes(before, mark)
    if left:
        import psutil

        for p in left:  # do not let one test's leak fail the next ones
            try:
                psutil.Process(p.pid).kill()
            except psutil.Error:
                pass
        pytest.fail("processes left behind:\n" + "\n".join(f"  {p}" for p in left))


@pytest.fixture(scope="session")
def client():
    """The one in-process Dask cluster the tests share (2 workers x 2 threads, no dashboard)."""
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=2, processes=False, dashboard_address=None
        ) as cluster,
        Client(cluster) as c,
    ):
        yield c


@pytest.fixture
def job_folder(tmp_path) -> JobFolder:
    return JobFolder(tmp_path / "job")
