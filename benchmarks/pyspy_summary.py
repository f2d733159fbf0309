"""Summarise a py-spy ``--format raw`` profile: per process, the functions with the most samples
(inclusive and self), and the driver's samples sorted into daskprs / Dask categories.

    py-spy record -p PID --gil -r 250 -f raw -o driver.raw -d 30 --nonblocking
    py-spy record -p PID --subprocesses -r 100 -f raw -o all.raw -d 60 --nonblocking
    .venv/bin/python -m benchmarks.pyspy_summary driver.raw --rate 250 --mini-batches 3000

``--gil`` samples only the thread holding the GIL, so in the driver process (scheduler, worker
threads and engine share one interpreter) the counts are the GIL time each part takes.
"""

from __future__ import annotations

import argparse
import collections
import re

# first match wins; checked against the whole stack
CATEGORIES = [
    ("report (write_report)", ["write_report ("]),
    ("worker thread: run_group (pipe I/O to entry processes)", ["run_group ("]),
    ("engine: on_event (Dask event -> queue)", ["_Run.on_event"]),
    ("engine: ledger append", ["Ledger.append"]),
    ("engine: ledger flush", ["Ledger.flush"]),
    ("engine: attempt CSV / logs", ["StepLogs."]),
    ("engine: handle / accounting", ["_Run.handle", "Accounts."]),
    ("engine: submit (pickling pieces)", ["_Run.submit"]),
    ("engine: planning", ["plan_step", "plan_mini_batches"]),
    ("engine: assemble output", ["assemble ("]),
    ("engine: other", ["run_parallel_step", "run_job ("]),
    ("dask: scheduler / worker / client / comms", ["distributed/"]),
    ("event loop (asyncio / tornado)", ["asyncio/", "tornado/"]),
]


def _split(line: str) -> tuple[str, list[str], int]:
    stack, n = line.rstrip().rsplit(" ", 1)
    frames = stack.split(";")
    procs = [i for i, f in enumerate(frames) if f.startswith("process ")]
    proc = re.sub(r"process \d+:", "", frames[procs[-1]])[:70] if procs else "main"
    return proc, frames[procs[-1] + 1 :] if procs else frames, int(n)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("raw", help="py-spy --format raw output")
    p.add_argument("--rate", type=float, default=100, help="the -r used (samples per second)")
    p.add_argument("--mini-batches", type=int, default=0, help="to print ms per mini batch")
    p.add_argument("--top", type=int, default=25)
    p.add_argument("--exclude", action="append", default=[], help="drop stacks containing this")
    args = p.parse_args()
    per_proc: collections.Counter[str] = collections.Counter()
    incl: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    own: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    cats: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    with open(args.raw) as fh:
        for line in fh:
            if any(x in line for x in args.exclude):
                continue
            proc, frames, n = _split(line)
            per_proc[proc] += n
            for f in dict.fromkeys(frames):
                incl[proc][f[:140]] += n
            if frames:
                own[proc][frames[-1][:140]] += n
            stack = ";".join(frames)
            name = next((c for c, keys in CATEGORIES if any(k in stack for k in keys)), "other")
            cats[proc][name] += n
    for proc, total in per_proc.most_common():
        if total < 10:
            continue
        print(f"== {proc}: {total} samples = {total / args.rate:.2f} s")
        for name, n in cats[proc].most_common():
            per = (
                f" {n / args.rate / args.mini_batches * 1000:7.3f} ms/mini batch"
                if args.mini_batches
                else ""
            )
            print(f"   {n / args.rate:7.2f} s{per}  {name}")
        print("  inclusive:")
        for f, n in incl[proc].most_common(args.top):
            print(f"   {n:6d} {f}")
        print("  self:")
        for f, n in own[proc].most_common(args.top // 2):
            print(f"   {n:6d} {f}")


if __name__ == "__main__":
    main()
