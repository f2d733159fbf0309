"""B0 fixed costs: embedded cluster start, interpreter imports, entry-script process start-up,
and a cold ``daskprs job create`` of a one-mini-batch job.

Each cold figure runs in a fresh interpreter (``python -c``), so imports are cold in the
Python sense (the OS page cache is warm after the first run).

    .venv/bin/python -m benchmarks.b0_cluster [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
from pathlib import Path
from typing import Any

from benchmarks import common
from benchmarks.common import Row, log

BENCH = "B0"

# Times, in a fresh interpreter: imports, then the embedded cluster as daskprs.engine.cluster
# starts it (the same call, for a 1 x 2 job), then its close.
_CLUSTER_PROBE = """
import json, time
t0 = time.perf_counter()
import daskprs, daskprs.api, daskprs.engine.step  # what `daskprs job create` imports
import distributed
t1 = time.perf_counter()
t2 = time.perf_counter()
with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                              dashboard_address=DASHBOARD) as lc, distributed.Client(lc) as c:
    c.run(lambda: None)
    t3 = time.perf_counter()
t4 = time.perf_counter()
with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                              dashboard_address=DASHBOARD) as lc, distributed.Client(lc) as c:
    c.run(lambda: None)
    t5 = time.perf_counter()
print(json.dumps({"imports": t1 - t0, "start": t3 - t2, "close": t4 - t3, "restart": t5 - t4}))
"""

# One entry-script process (the engine's own class): spawn -> init() done, then the first
# mini batch of a tiny CSV (which pays the child's pandas/pyarrow imports), then the next ones.
_PROCESS_PROBE = """
import json, os, sys, time, tempfile
from daskprs.data import load_mltable, plan_mini_batches
from daskprs.runtime.process import EntryProcess
from daskprs.runtime.protocol import ProcessConfig
root = sys.argv[1]
pieces = plan_mini_batches(load_mltable(os.path.join(root, "table")), 64)
logs = os.path.join(root, "logs"); parts = os.path.join(root, "parts")
os.makedirs(parts, exist_ok=True)
cfg = ProcessConfig(run_id="probe", step_name="probe", code_dir=os.path.join(root, "code"),
    entry_script="score.py", argv=(), environment={}, logs_dir=logs, parts_dir=parts,
    output_dir=os.path.join(root, "out"), append_row=True)
out = {}
t0 = time.perf_counter()
p = EntryProcess(cfg, "node000", "process000")
p.start()
assert p.wait_ready() == ""
t1 = time.perf_counter()
r = p.run(pieces[0], 1)
t2 = time.perf_counter()
assert r.status == "RUN_DONE", r
times = []
for piece in pieces[1:]:
    t = time.perf_counter(); p.run(piece, 1); times.append(time.perf_counter() - t)
import psutil
rss = psutil.Process(p.proc.pid).memory_info().rss
p.shutdown()
out = {"ready": t1 - t0, "first": t2 - t1, "next": sorted(times)[len(times) // 2], "rss": rss}
print(json.dumps(out))
"""

SCRIPT = """\
def init():
    pass


def run(mini_batch):
    return mini_batch
"""


def entry_process_probe(root: Path) -> dict[str, Any]:
    """Start one entry process on a tiny CSV job folder under ``root``; its timings and RSS."""
    table = root / "table"
    table.mkdir(parents=True, exist_ok=True)
    with open(table / "data.csv", "w") as fh:
        fh.write("a,b\n" + "".join(f"{i},{i * 0.5}\n" for i in range(200)))
    common.write_mltable(table)
    common.write_script(root, SCRIPT)
    return _probe(_PROCESS_PROBE, str(root))


def _probe(code: str, *argv: str) -> dict[str, Any]:
    proc = subprocess.run(
        [common.PYTHON, "-c", code, *argv], capture_output=True, text=True, cwd=common.REPO
    )
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-2000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _dashboard() -> str:
    import importlib.util

    # as daskprs.engine.cluster.open_client: a dashboard only when bokeh is installed
    return repr("127.0.0.1:0") if importlib.util.find_spec("bokeh") else "None"


def _median_row(metric: str, values: list[float], **kw: Any) -> Row:
    med = statistics.median(values)
    log(f"{BENCH} {metric}: median {med:.3f} s of {', '.join(f'{v:.3f}' for v in values)}")
    return Row(BENCH, metric, med, "s", samples=[round(v, 4) for v in values], **kw)


def run(args: argparse.Namespace) -> list[Row]:
    rows: list[Row] = []
    code = _CLUSTER_PROBE.replace("DASHBOARD", _dashboard())
    probes = [_probe(code) for _ in range(args.cold_repeat)]
    start = _median_row(
        "embedded cluster start (1x2, processes=False)",
        [p["start"] for p in probes],
        target="<= 1.5 s",
        note="LocalCluster + Client until a worker answers",
    )
    start.met = start.value <= 1.5
    rows.append(start)
    rows.append(_median_row("  same, second start in the process", [p["restart"] for p in probes]))
    if _dashboard() != "None":  # bokeh is installed: what the dashboard costs
        bare = _CLUSTER_PROBE.replace("DASHBOARD", "None")
        plain = [_probe(bare) for _ in range(args.cold_repeat)]
        rows.append(
            _median_row(
                "  same without the dashboard (dashboard_address=None)",
                [p["start"] for p in plain],
                note="the dashboard imports bokeh on the first start",
            )
        )
    rows.append(_median_row("  cluster close", [p["close"] for p in probes]))
    rows.append(
        _median_row(
            "import daskprs + distributed (cold interpreter)", [p["imports"] for p in probes]
        )
    )
    with common.workdir("b0", keep=args.keep) as root:
        procs = [entry_process_probe(root / f"probe{i}") for i in range(args.cold_repeat)]
        rows.append(
            _median_row(
                "entry process spawn -> init() done",
                [p["ready"] for p in procs],
                note="EntryProcess.start + wait_ready, trivial script",
            )
        )
        rows.append(
            _median_row(
                "  its first mini batch (tiny CSV)",
                [p["first"] for p in procs],
                note="pays the child's pandas/pyarrow imports",
            )
        )
        rows.append(
            Row(
                BENCH,
                "  its next mini batches (tiny CSV), per mini batch",
                statistics.median(p["next"] for p in procs) * 1000,
                "ms",
                note="pipe round trip + load + run + rows written",
            )
        )
        rows.append(Row(BENCH, "  its RSS after those mini batches", procs[0]["rss"] / 2**20, "MB"))
        job = common.parallel_yaml(
            root / "probe0",
            {"type": "mltable", "path": "./table"},
            name="b0",
            mini_batch_size="1mb",
        )
        cold, _ = common.timed_row(
            BENCH,
            "cold `daskprs job create`, 1 tiny mini batch",
            lambda i: common.run_cli(job, root / f"cli{i}"),
            args.cold_repeat,
            note="interpreter + imports + cluster + processes + run + close",
        )
        rows.append(cold)
    return rows


def add_args(parser: argparse.ArgumentParser) -> None:
    pass


def configure(args: argparse.Namespace) -> None:
    pass


def main() -> None:
    from benchmarks.run_all import cli_main

    cli_main([run], add_args, configure)


if __name__ == "__main__":
    main()
