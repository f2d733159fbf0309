"""Remote input files are cached by version: a file that changed on the server is read afresh,
the cache is per-user and private, and --no-input-cache turns reuse off (issue 17, point 3).

The server is Python's own http.server on loopback, as a web server or object store would be."""

from __future__ import annotations

import functools
import http.server
import json
import os
import stat
import subprocess
import sys
import threading
from collections import Counter

import pytest

import daskprs
from daskprs import private
from daskprs.data import input_cache
from tests.helpers.files import read_text
from tests.helpers.jobs import JobFolder


class _Handler(http.server.SimpleHTTPRequestHandler):
    counts: Counter = Counter()
    versions = True  # send Last-Modified (http.server's own) and an ETag

    def log_message(self, *args):  # quiet
        pass

    def do_GET(self):
        self.counts["GET", self.path] += 1
        super().do_GET()

    def do_HEAD(self):
        self.counts["HEAD", self.path] += 1
        super().do_HEAD()

    def send_header(self, keyword, value):
        if keyword == "Last-Modified" and not self.versions:
            return
        super().send_header(keyword, value)
        if keyword == "Last-Modified":
            st = os.stat(self.translate_path(self.path))
            super().send_header("ETag", f'"{st.st_mtime_ns:x}-{st.st_size:x}"')


@pytest.fixture
def server(tmp_path, monkeypatch):
    """(root folder, base URL, request counts); the cache goes to a temp dir of this test."""
    root = tmp_path / "www"
    root.mkdir()
    cache_tmp = tmp_path / "tmp"
    cache_tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(cache_tmp))  # for the entry processes
    monkeypatch.setattr(private.tempfile, "gettempdir", lambda: str(cache_tmp))
    monkeypatch.setattr(private, "_fallback", {})
    handler = type("H", (_Handler,), {"counts": Counter(), "versions": True})
    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(root))
    )
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{httpd.server_address[1]}", handler
    httpd.shutdown()
    httpd.server_close()


def write(path, text: str, mtime: float) -> None:
    path.write_text(text)
    os.utime(path, (mtime, mtime))


def test_a_changed_file_is_downloaded_again(server):
    root, url, handler = server
    write(root / "data.txt", "version one\n", 1_700_000_000)
    first = input_cache.local_copy(f"{url}/data.txt")
    assert read_text(first) == "version one\n"
    again = input_cache.local_copy(f"{url}/data.txt")
    assert again == first and handler.counts["GET", "/data.txt"] == 1  # reused
    write(root / "data.txt", "version two\n", 1_700_000_100)  # same size, newer
    changed = input_cache.local_copy(f"{url}/data.txt")
    assert read_text(changed) == "version two\n"
    assert handler.counts["GET", "/data.txt"] == 2


def test_the_cache_is_private(server, tmp_path):
    root, url, _ = server
    write(root / "data.txt", "x\n", 1_700_000_000)
    copy = input_cache.local_copy(f"{url}/data.txt")
    cache = tmp_path / "tmp" / f"daskprs-input-cache-{os.getuid()}"
    assert copy.startswith(str(cache) + os.sep)
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700


def test_a_server_without_versions_gets_no_reuse(server):
    root, url, handler = server
    handler.versions = False
    write(root / "data.txt", "one\n", 1_700_000_000)
    assert read_text(input_cache.local_copy(f"{url}/data.txt")) == "one\n"
    write(root / "data.txt", "two\n", 1_700_000_000)  # same size, same time
    assert read_text(input_cache.local_copy(f"{url}/data.txt")) == "two\n"
    assert handler.counts["GET", "/data.txt"] == 2


def test_reuse_can_be_turned_off(server, monkeypatch):
    root, url, handler = server
    write(root / "data.txt", "one\n", 1_700_000_000)
    input_cache.local_copy(f"{url}/data.txt")
    monkeypatch.setenv(input_cache.ENV, "0")
    input_cache.local_copy(f"{url}/data.txt")
    assert handler.counts["GET", "/data.txt"] == 2


def test_stale_versions_are_pruned(server, monkeypatch):
    root, url, _ = server
    write(root / "data.txt", "one\n", 1_700_000_000)
    old = os.path.dirname(input_cache.local_copy(f"{url}/data.txt"))
    os.utime(old, (1, 1))  # unused for ages
    write(root / "data.txt", "two\n", 1_700_000_100)
    new = os.path.dirname(input_cache.local_copy(f"{url}/data.txt"))
    assert os.listdir(os.path.dirname(new)) == [os.path.basename(new)]


def _job(tmp_path, url) -> JobFolder:
    jf = JobFolder(tmp_path / "job")
    jf.script("def run(mini_batch):\n    return [open(p).read().strip() for p in mini_batch]\n")
    jf.parallel_yaml(
        {"type": "uri_file", "path": f"{url}/data.txt"}, instance_count=1, mini_batch_size="1"
    )
    return jf


def _output(result) -> str:
    with open(result.outputs["job.result"]) as fh:
        return fh.read().strip()


def _copies(tmp_path) -> dict[str, int]:
    """The cached copies (path -> inode: a new download is a new inode)."""
    cache = tmp_path / "tmp" / f"daskprs-input-cache-{os.getuid()}"
    return {str(p): p.stat().st_ino for p in cache.rglob("data.txt")}


def test_a_job_reads_the_changed_file(server, tmp_path, client):  # noqa: F811
    """The issue's case: after the HTTP file changed, the next job still read the old one."""
    root, url, _ = server
    write(root / "data.txt", "version one", 1_700_000_000)
    job = daskprs.load_job(_job(tmp_path, url).root / "job.yml")
    first = daskprs.run(job, client=client, run_dir=str(tmp_path / "a"), progress=False)
    assert _output(first) == "version one"
    write(root / "data.txt", "version two", 1_700_000_100)
    second = daskprs.run(job, client=client, run_dir=str(tmp_path / "b"), progress=False)
    assert _output(second) == "version two"
    copies = _copies(tmp_path)
    third = daskprs.run(job, client=client, run_dir=str(tmp_path / "c"), progress=False)
    assert _output(third) == "version two" and _copies(tmp_path) == copies  # reused
    off = daskprs.run(
        job, client=client, run_dir=str(tmp_path / "d"), progress=False, input_cache=False
    )
    assert _output(off) == "version two"
    assert _copies(tmp_path).keys() == copies.keys() and _copies(tmp_path) != copies


def test_no_input_cache_flag(server, tmp_path):
    root, url, _ = server
    write(root / "data.txt", "v", 1_700_000_000)
    yml = _job(tmp_path, url).root / "job.yml"
    seen = []
    for run, flags in (("a", []), ("b", []), ("c", ["--no-input-cache"])):
        proc = subprocess.run(
            [sys.executable, "-m", "daskprs", "job", "create", "-q", "--file", str(yml)]
            + ["--run-dir", str(tmp_path / run), *flags],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout)["status"] == "Completed"
        seen.append(_copies(tmp_path))
    assert len(seen[0]) == 1
    assert seen[1] == seen[0]  # b reused a's copy
    assert seen[2].keys() == seen[0].keys() and seen[2] != seen[0]  # c downloaded again
