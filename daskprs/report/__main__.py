"""``python -m daskprs.report RUN_DIR [RUN_DIR ...]``: (re)write each run's report.html."""

from __future__ import annotations

import sys

from daskprs.report import write_report


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or any(a in ("-h", "--help") for a in args):
        print("usage: python -m daskprs.report RUN_DIR [RUN_DIR ...]", file=sys.stderr)
        return 2
    for run_dir in args:
        print(write_report(run_dir))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
