"""Reading an MLTable document through the data layer (``daskprs.data``): one implementation.

The document's transformations up to the first step the data layer does not have
(``select_partitions``, ``sample`` from ``random_split``) become a ``daskprs.data`` MLTable,
planned with :func:`~daskprs.data.plan_mini_batches` and read with
:func:`~daskprs.data.load_piece`, exactly as a job reads its mini batches. mltable's partitions
are our mini batches at the reader's ``partition_size`` (20 MiB unless the file says otherwise),
which for CSV and JSON lines cut the files at the same records. The steps after that are applied
here to the frame: ``select_partitions`` picks mini batches, ``sample`` keeps rows by the data
layer's ``take_random_sample`` hash, the other steps are the data layer's
:func:`~daskprs.data.transforms.apply_step`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import yaml

from daskprs.data import load_piece, plan_mini_batches
from daskprs.data.mltable_spec import parse_mltable, parse_transformations
from daskprs.data.model import MLTable as DataTable
from daskprs.data.model import Transform
from daskprs.errors import MLTableError
from daskprs.mltable._document import (
    DEFAULT_PARTITION_SIZE,
    POST_STEPS,
    parser_step,
    step_name,
)
from daskprs.mltable._errors import MLTableNotImplementedError

PATH_COLUMN = "Path"  # the column of a file-list table's frame, as mltable names it


@dataclass(frozen=True)
class Step:
    """A step after the data layer's table: ``name`` with its arguments or parsed transform."""

    index: int
    name: str
    args: Any = None
    transform: Transform | None = None


@dataclass(frozen=True)
class ReadPlan:
    table: DataTable
    size: int
    tail: tuple[Step, ...]


def read_plan(doc: dict[str, Any], source: str, storage_options: dict[str, Any] | None) -> ReadPlan:
    """The data layer's table for ``doc`` (paths checked here) and the steps after it."""
    steps = list(doc.get("transformations") or [])
    cut = next((i for i, s in enumerate(steps) if step_name(s) in POST_STEPS), len(steps))
    head = [parser_step(s, f"transformations[{i}]", source) for i, s in enumerate(steps[:cut])]
    tail: list[Step] = []
    for i, s in enumerate(steps[cut:], start=cut):
        name = step_name(s) or ""
        if name == "extract_columns_from_partition_format":  # per file, wherever it is written
            head.append(parser_step(s, f"transformations[{i}]", source))
        elif name in POST_STEPS:
            tail.append(Step(i, name, args=s[name]))
        else:
            tail.append(Step(i, name, transform=_parse_step(s, i, source)))
    text = yaml.safe_dump({"paths": doc["paths"], "transformations": head})
    table = parse_mltable(text, source, storage_options)
    size = DEFAULT_PARTITION_SIZE
    for s in steps:
        args = s.get(step_name(s)) if isinstance(s, dict) else None
        if isinstance(args, dict) and isinstance(args.get("partition_size"), int):
            size = max(1, args["partition_size"])
    return ReadPlan(table, size, tuple(tail))


def _parse_step(step: Any, index: int, source: str) -> Transform:
    key = f"transformations[{index}]"
    try:
        _, transforms = parse_transformations([parser_step(step, key, source)], source)
    except MLTableError as exc:
        raise MLTableError(
            exc.message, file=source, key=(exc.key or "").replace("transformations[0]", key, 1)
        ) from None
    t = transforms[0]
    return replace(t, key=t.key.replace("transformations[0]", key, 1))


# ---------------------------------------------------------------------------- partitions


def partitions(plan: ReadPlan) -> list[Any]:
    """The table's partitions (mini batches at the reader's partition size), as mltable counts
    them: a ``take`` ends the table at the partition where it has its rows."""
    if not plan.table.is_tabular:
        return [None]  # a file list is one partition
    pieces = plan_mini_batches(plan.table, plan.size)
    k = 0
    for t in plan.table.transforms:
        if t.name not in ("take", "skip", "take_random_sample"):
            continue
        if t.name == "take":
            kept = [p for p in pieces if not p.offsets or p.offsets[k] < t.count]
            pieces = kept or pieces[:1]
        k += 1
    return pieces


def _selected(plan: ReadPlan) -> tuple[list[Any], tuple[Step, ...]]:
    pieces = partitions(plan)
    tail = plan.tail
    if tail and tail[0].name == "select_partitions":
        step, tail = tail[0], tail[1:]
        wanted = sorted(set(step.args))
        bad = [i for i in wanted if i >= len(pieces)]
        if bad:
            raise MLTableError(
                f"partition index {bad[0]} is out of range: the table has {len(pieces)} "
                f"partition(s), 0..{len(pieces) - 1}",
                file=plan.table.source_file,
                key=f"transformations[{step.index}].select_partitions",
            )
        pieces = [pieces[i] for i in wanted]
    for step in tail:
        if step.name == "select_partitions":
            raise MLTableNotImplementedError(
                "select_partitions() after random_split() or after another select_partitions()"
            )
    return pieces, tail


# ---------------------------------------------------------------------------- frames


def to_frame(plan: ReadPlan) -> Any:
    """The whole table as one pandas DataFrame (mltable's ``to_pandas_dataframe()``)."""
    import pandas as pd

    from daskprs.data.planning import table_files
    from daskprs.data.transforms import apply_transforms

    pieces, tail = _selected(plan)
    if not plan.table.is_tabular:
        files = [e.path for e in table_files(plan.table)]
        df = apply_transforms(plan.table, pd.DataFrame({PATH_COLUMN: files}, dtype=object))
    else:
        frames = [load_piece(p) for p in pieces]
        df = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    return apply_tail(plan, df, tail)


def apply_tail(plan: ReadPlan, df: Any, tail: tuple[Step, ...]) -> Any:
    from daskprs.data.transforms import apply_step, sample_mask

    for step in tail:
        if step.name == "sample":
            args = step.args["sampler_arguments"]
            low, high = args.get("probability_lower_bound", 0.0), args.get("probability", 1.0)
            seed = args.get("seed", 0)
            keep = sample_mask(seed, high, 0, len(df)) & ~sample_mask(seed, low, 0, len(df))
            df = df[keep]
        else:
            assert step.transform is not None
            df = apply_step(plan.table, step.transform, df, 0)
        df = df.reset_index(drop=True)
    return df


def to_dask(plan: ReadPlan) -> Any:
    """The table as a Dask DataFrame, one partition per mini batch (as ``read_mltable``)."""
    import dask
    import dask.dataframe as dd

    from daskprs.data.pieces import meta_frame

    pieces, tail = _selected(plan)
    if tail:
        raise MLTableNotImplementedError(
            f"to_dask_dataframe() after {tail[0].name} (a random_split() or a transformation "
            "after select_partitions())"
        )
    with dask.config.set({"dataframe.convert-string": False}):
        if not plan.table.is_tabular:
            return dd.from_pandas(to_frame(plan), npartitions=1)
        first = pieces[0]
        meta = meta_frame(first.table or plan.table, first.schema)
        return dd.from_map(load_piece, pieces, meta=meta, enforce_metadata=False, label="mltable")
