"""The module's real cluster (`dask scheduler` + two `dask worker` processes)."""

from __future__ import annotations

import pytest

from tests.helpers.cluster import dask_cluster, wait_for_workers


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("cluster")
    with dask_cluster(workdir) as (address, procs):
        wait_for_workers(address, 2)
        yield address, procs
