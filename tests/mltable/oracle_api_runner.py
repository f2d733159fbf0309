"""Runs the call chains of ``chains.py`` against an ``mltable`` implementation; results as JSON.

Inside .venv-oracle (the real library): ``python oracle_api_runner.py DATA CASES OUT [SAVED]``.
The test runs the same function with daskprs.mltable (:func:`run_chains`). Frames are made
comparable by ``tests/data/oracle_frames.py`` (the helper of the data layer's differential
tests). ``SAVED``: a folder holding, per chain with ``save``, the MLTable the other side saved;
each is loaded and read here, and this side saves its own into ``SAVED/<this side>/``.
Errors are recorded, never raised.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
import warnings
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "data"))

from chains import CHAINS, namespace  # noqa: E402
from oracle_frames import frame  # noqa: E402


def short(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return " ".join(text.split())[:600]


def describe(value: Any) -> dict[str, Any]:
    """A chain's value as comparable JSON (a table: document and frame; read errors kept)."""
    if hasattr(value, "_to_yaml_dict") and hasattr(value, "to_pandas_dataframe"):
        out: dict[str, Any] = {"doc": value._to_yaml_dict()}
        try:
            out["frame"] = frame(value.to_pandas_dataframe())
        except Exception as exc:  # the library's own failures are data for the comparison
            out["error"], out["error_type"] = short(exc), type(exc).__name__
        return out
    if isinstance(value, tuple) and value and all(hasattr(v, "_to_yaml_dict") for v in value):
        return {"tables": [describe(v) for v in value]}
    if hasattr(value, "itertuples"):
        return {"frame": frame(value)}
    return {"value": json.loads(json.dumps(value, default=str))}


def run_chains(mltable: Any, data: str, cases: str, saved: str | None, side: str) -> dict[str, Any]:
    """Every chain's result; with ``saved``: the saves of this side and the loads of the other."""
    env = namespace(mltable, data, cases)
    other = "ours" if side == "theirs" else "theirs"
    out: dict[str, Any] = {}
    cwd = os.getcwd()
    os.chdir(data)  # relative paths in the chains are relative to the data folder
    try:
        for c in CHAINS:
            try:
                value = eval(c["expr"], dict(env))  # noqa: S307 - the test's own expressions
                result = describe(value)
            except Exception as exc:
                result = {"error": short(exc), "error_type": type(exc).__name__}
            if c.get("save") and saved is not None and "error" not in result:
                result["saved"] = _save(value, os.path.join(saved, side, c["name"]))
                result["loaded_other"] = _load(mltable, os.path.join(saved, other, c["name"]))
            out[c["name"]] = result
    finally:
        os.chdir(cwd)
    return out


def _save(table: Any, folder: str) -> str:
    try:
        table.save(folder)
        return "ok"
    except Exception as exc:
        return short(exc)


def _load(mltable: Any, folder: str) -> dict[str, Any]:
    if not os.path.exists(os.path.join(folder, "MLTable")):
        return {"error": "not saved"}
    try:
        return describe(mltable.load(folder))
    except Exception as exc:
        return {"error": short(exc)}


def main(data: str, cases: str, out_file: str, saved: str | None = None) -> None:
    warnings.simplefilter("ignore")
    import mltable

    result = run_chains(mltable, data, cases, saved, "theirs")
    with open(out_file, "w") as fh:
        json.dump(result, fh)


if __name__ == "__main__":
    try:
        main(*sys.argv[1:])
    except Exception:
        traceback.print_exc()
        sys.exit(1)
