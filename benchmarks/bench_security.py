"""What the security checks of issue 17 cost, and how fast hostile input is refused.

    .venv/bin/python benchmarks/bench_security.py [--repeat 7]

Each figure is the median of ``--repeat`` timings, with its ratio to a baseline timed in the
same run (one process, no Dask):

- YAML: ``daskprs.safe_yaml.load`` vs ``yaml.safe_load`` on the iris pipeline (2 KB) and
  on a 0.7 MB pipeline; refusing an alias bomb (9 levels of 9 aliases, 0.5 KB), a file over
  10 MB and ``/dev/urandom``, against loading the iris pipeline.
- Code cache: reusing (verifying) an unpacked code folder vs unpacking it, for the iris script
  folder and a 200-file folder of 4 KB modules.
- Remote input cache: a reused copy (one HEAD) vs a download (HEAD + GET), from
  ``http.server`` on loopback, of a 1 MB file.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import os
import shutil
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import yaml

import daskprs.safe_yaml as safe_yaml
from daskprs.data import input_cache
from daskprs.runtime.code import pack, unpack

REPO = Path(__file__).resolve().parent.parent


def timed(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def refused(fn: Callable[[], object]) -> Callable[[], None]:
    def run() -> None:
        try:
            fn()
        except safe_yaml.YamlRefused:
            return
        raise AssertionError("not refused")

    return run


def bomb(levels: int = 9) -> str:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, levels + 1)]
    return "tags:\n" + "".join(f"  {line}\n" for line in lines)


def yaml_rows(tmp: Path, repeat: int) -> list[tuple[str, float, float]]:
    iris = (REPO / "examples" / "iris" / "pipeline.yml").read_text()
    big_doc = {
        "jobs": {
            f"s{i}": {"type": "parallel", "task": {"code": "./src", "entry_script": "a.py"}}
            for i in range(6000)
        }
    }
    big = yaml.safe_dump(big_doc)
    (tmp / "big.yml").write_text("# " + "x" * safe_yaml.MAX_YAML_BYTES + "\n")
    base = timed(lambda: yaml.safe_load(iris), repeat)
    rows = [("iris pipeline: yaml.safe_load (baseline)", base, 1.0)]
    ours = timed(lambda: safe_yaml.load(iris), repeat)
    rows.append(("iris pipeline: safe_yaml.load", ours, ours / base))
    big_base = timed(lambda: yaml.safe_load(big), max(1, repeat // 3))
    big_ours = timed(lambda: safe_yaml.load(big), max(1, repeat // 3))
    rows.append((f"{len(big) / 1e6:.1f} MB pipeline: yaml.safe_load", big_base, big_base / base))
    rows.append((f"{len(big) / 1e6:.1f} MB pipeline: safe_yaml.load", big_ours, big_ours / base))
    for name, fn in [
        ("refuse an alias bomb (9 x 9 levels)", refused(lambda: safe_yaml.load(bomb()))),
        ("refuse a file over 10 MB", refused(lambda: safe_yaml.load_file(str(tmp / "big.yml")))),
        ("refuse /dev/urandom", refused(lambda: safe_yaml.load_file("/dev/urandom"))),
    ]:
        t = timed(fn, repeat)
        rows.append((name, t, t / base))
    return rows


def _code_cache(
    label: str, folder: Path, root: Path, repeat: int
) -> list[tuple[str, float, float]]:
    archive, code_hash = pack(str(folder))
    root.mkdir()

    def first() -> None:
        for p in root.iterdir():
            shutil.rmtree(p)
        unpack(archive, code_hash, str(root))

    t_first = timed(first, repeat)
    t_reuse = timed(lambda: unpack(archive, code_hash, str(root)), repeat)
    return [
        (f"code cache, {label}: unpack", t_first, 1.0),
        (f"code cache, {label}: reuse (verify)", t_reuse, t_reuse / t_first),
    ]


def code_rows(tmp: Path, repeat: int) -> list[tuple[str, float, float]]:
    many = tmp / "many"
    for i in range(200):
        (many / f"pkg{i % 10}").mkdir(parents=True, exist_ok=True)
        (many / f"pkg{i % 10}" / f"m{i}.py").write_text(f"X = {i}\n" + "# pad\n" * 680)
    return [
        *_code_cache(
            "iris script folder", REPO / "examples" / "iris" / "script", tmp / "c1", repeat
        ),
        *_code_cache("200 files, 0.8 MB", many, tmp / "c2", repeat),
    ]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def input_rows(tmp: Path, repeat: int) -> list[tuple[str, float, float]]:
    www = tmp / "www"
    www.mkdir()
    (www / "data.bin").write_bytes(os.urandom(1 << 20))
    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(www))
    )
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}/data.bin"
    try:
        os.environ[input_cache.ENV] = "0"
        t_get = timed(lambda: input_cache.local_copy(url), repeat)
        os.environ[input_cache.ENV] = "1"
        input_cache.local_copy(url)
        t_reuse = timed(lambda: input_cache.local_copy(url), repeat)
    finally:
        os.environ.pop(input_cache.ENV, None)
        httpd.shutdown()
    return [
        ("remote input, 1 MB over http: download", t_get, 1.0),
        ("remote input, 1 MB over http: reuse (HEAD only)", t_reuse, t_reuse / t_get),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="daskprs-bench-security-") as tmp:
        os.environ["TMPDIR"] = tmp  # the caches go here and are deleted with it
        tempfile.tempdir = None
        rows = [
            *yaml_rows(Path(tmp), args.repeat),
            *code_rows(Path(tmp), args.repeat),
            *input_rows(Path(tmp), args.repeat),
        ]
    print(f"| figure | median of {args.repeat} | ratio to its baseline |")
    print("|---|---|---|")
    for name, seconds, ratio in rows:
        print(f"| {name} | {seconds * 1000:.2f} ms | {ratio:.2f}x |")


if __name__ == "__main__":
    main()
