"""Runs inside .venv-oracle: the real mltable library over the corpus, results as JSON.

Usage: ``.venv-oracle/bin/python oracle_runner.py cases.json out.json`` where cases.json is a
list of {"name", "path", "partition_sizes"}. Errors are recorded, never raised.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from oracle_frames import frame  # noqa: E402


def short(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return " ".join(text.split())[:400]


def main(cases_file: str, out_file: str) -> None:
    warnings.simplefilter("ignore")
    import mltable

    cases = json.load(open(cases_file))
    out = {}
    for c in cases:
        result: dict = {}
        try:
            table = mltable.load(c["path"])
            result["full"] = frame(table.to_pandas_dataframe())
        except Exception as exc:  # the oracle's own failures are data for the comparison
            result["error"] = short(exc)
            out[c["name"]] = result
            continue
        parts = {}
        for size in c.get("partition_sizes", []):
            try:
                t = table._with_partition_size(size)
                n = t.get_partition_count()
                parts[str(size)] = {
                    "count": n,
                    "frames": [
                        frame(t.select_partitions([i]).to_pandas_dataframe()) for i in range(n)
                    ],
                }
            except Exception as exc:
                parts[str(size)] = {"error": short(exc)}
        result["partitions"] = parts
        out[c["name"]] = result
    json.dump(out, open(out_file, "w"))


if __name__ == "__main__":
    try:
        main(sys.argv[1], sys.argv[2])
    except Exception:
        traceback.print_exc()
        sys.exit(1)
