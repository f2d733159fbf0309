"""Step environments (docs/environments.md): the first build, the cached lookup, and a whole
job's wall time with ``--environments build`` (cached) against ``current``, in one run.

    .venv/bin/python -m benchmarks.bench_envs [--repeat 5]

Builds use a fresh env dir (the installers' own download caches stay warm: the figure is the
build, not the download). The lookup runs in a fresh interpreter each time, as a second
``daskprs job create`` pays it: read the marker, check the interpreter, hash daskprs's source
for the runtime copy.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LOOKUP = """\
import json, sys, time
t0 = time.monotonic()
from daskprs.envs import build
from daskprs.envs.conda import read_conda_file
from daskprs.envs.request import make_request
t1 = time.monotonic()
req = make_request(read_conda_file(sys.argv[1]), "bench", "k")
built = build.ensure(req, sys.argv[2])
t2 = time.monotonic()
print(json.dumps({"import": t1 - t0, "lookup": t2 - t1, "built": built.built}))
"""


def _build(conda: Path, env_dir: Path, builder: str) -> dict:
    env = {**os.environ, "DASKPRS_ENV_BUILDER": builder}
    out = subprocess.run(
        [sys.executable, "-c", LOOKUP, str(conda), str(env_dir)],
        capture_output=True, text=True, env=env, check=True,
    )  # fmt: skip
    return json.loads(out.stdout)


def _job(root: Path, mode: str, env_dir: Path, run: str) -> float:
    t0 = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "daskprs", "job", "create", "--file", str(root / "pipeline.yml"),
         "-q", "--environments", mode, "--env-dir", str(env_dir), "--run-dir", str(root / run)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return time.monotonic() - t0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    from tests.envs.conftest import pipeline

    with tempfile.TemporaryDirectory(prefix="daskprs-bench-envs-") as tmp:
        root = Path(tmp)
        yml = pipeline(root / "job", ["cloudpickle==2.2.1"])
        conda = yml.parent / "env.yml"
        rows = []
        for builder in ("uv", "pip"):
            first = _build(conda, root / f"envs-{builder}", builder)
            assert first["built"], first
            rows.append((f"first build ({builder})", first["lookup"]))
        lookups = [_build(conda, root / "envs-uv", "uv") for _ in range(args.repeat)]
        assert not any(r["built"] for r in lookups)
        rows.append(
            (
                "cached lookup, fresh interpreter (median)",
                statistics.median(r["lookup"] for r in lookups),
            )
        )
        rows.append(("  daskprs.envs import", statistics.median(r["import"] for r in lookups)))
        current, cached = [], []
        for i in range(args.repeat):
            current.append(_job(root / "job", "current", root / "envs-uv", f"c{i}"))
            cached.append(_job(root / "job", "build", root / "envs-uv", f"b{i}"))
        c, b = statistics.median(current), statistics.median(cached)
        rows.append(("job, --environments current (median)", c))
        rows.append(("job, --environments build, cached (median)", b))
        for name, value in rows:
            print(f"| {name} | {value:.4f} s |")
        print(f"| build/current job wall ratio | {b / c:.2f}x |")


if __name__ == "__main__":
    main()
