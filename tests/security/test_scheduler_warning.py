"""--scheduler tcp:// to a host that is not this machine prints one warning line recommending
tls:// with the certificate flags (issue 17, point 7). The addresses are parsed, never reached
(192.0.2.0/24 and 2001:db8::/32 are documentation ranges)."""

from __future__ import annotations

import dask
import pytest

from daskprs.cli import main
from daskprs.engine.cluster import insecure_scheduler_warning
from tests.helpers.jobs import JobFolder


@pytest.mark.parametrize(
    "address",
    [
        "tcp://192.0.2.10:8786",
        "192.0.2.10:8786",  # no scheme: Dask's default is tcp
        "192.0.2.10",
        "tcp://[2001:db8::1]:8786",
        "ws://192.0.2.10:8786",
        "tcp://no-such-host.invalid:8786",  # does not resolve: not known to be loopback
    ],
)
def test_unencrypted_remote_addresses_warn(address):
    warning = insecure_scheduler_warning(address)
    assert warning is not None and "\n" not in warning
    assert warning.startswith(f"{address} is not encrypted")
    assert "Use tls://" in warning and "--tls-ca-file, --tls-cert and --tls-key" in warning


@pytest.mark.parametrize(
    "address",
    [
        "tcp://127.0.0.1:8786",
        "tcp://127.8.9.10:8786",
        "tcp://localhost:8786",
        "tcp://[::1]:8786",
        "localhost:8786",
        "tls://192.0.2.10:8786",
        "wss://192.0.2.10:8786",
        "inproc://192.0.2.10/1/2",
    ],
)
def test_loopback_or_encrypted_addresses_do_not(address):
    assert insecure_scheduler_warning(address) is None


def test_job_create_prints_the_warning_once(tmp_path, capsys):
    jf = JobFolder(tmp_path / "job")
    jf.table(rows=10)
    jf.script("def run(mini_batch):\n    return mini_batch\n")
    yml = jf.parallel_yaml({"type": "mltable", "path": "./table"})
    argv = ["job", "create", "-q", "--file", str(yml), "--run-dir", str(tmp_path / "run")]
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        code = main([*argv, "--scheduler", "tcp://192.0.2.10:8786"])
    assert code == 1  # nobody listens there: the warning comes first, then the failure
    err = capsys.readouterr().err
    assert "Timed out trying to connect" in err
    lines = [line for line in err.splitlines() if line.startswith("daskprs: warning:")]
    assert lines == [
        "daskprs: warning: " + str(insecure_scheduler_warning("tcp://192.0.2.10:8786"))
    ]
