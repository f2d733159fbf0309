"""``read_delta_lake`` through the ``deltalake`` package (an optional extra).

The Delta log names the parquet files of the requested version; planning resolves the table
to ``read_parquet`` over those files (:meth:`DeltaLake.resolve`), planned and read like any
parquet input (row groups merged up to the size).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from daskprs.data.formats.parquet import Parquet
from daskprs.data.mltable_options import MLTableContext, bool_option
from daskprs.data.model import MLTable, PathSpec, Reader
from daskprs.errors import MLTableError


def _deltalake() -> Any:
    try:
        import deltalake
    except ImportError:
        raise ImportError(
            "read_delta_lake needs the 'deltalake' package: pip install deltalake "
            "(or pip install 'daskprs[delta]')"
        ) from None
    return deltalake


def delta_files(table: MLTable) -> list[str]:
    """The parquet files of the Delta table version the MLTable asks for."""
    reader = table.reader
    assert reader is not None
    try:
        deltalake = _deltalake()
    except ImportError as exc:
        raise MLTableError(str(exc), file=table.source_file, key=reader.key) from None
    if len(table.paths) != 1 or table.paths[0].kind != "folder":
        raise MLTableError(
            "read_delta_lake needs exactly one 'folder' path: the Delta table's folder",
            file=table.source_file,
            key="paths",
        )
    uri = table.paths[0].value
    try:
        dt = deltalake.DeltaTable(uri, storage_options=table.storage_options or None)
        if reader.version_as_of is not None:
            dt.load_as_version(reader.version_as_of)
        elif reader.timestamp_as_of is not None:
            dt.load_as_version(reader.timestamp_as_of)
        uris = list(dt.file_uris())
    except Exception as exc:  # deltalake raises its own hierarchy (TableNotFoundError, ...)
        raise MLTableError(
            f"cannot read the Delta table at {uri!r}: {exc}", file=table.source_file, key=reader.key
        ) from None
    return [u[len("file://") :] if u.startswith("file://") else u for u in uris]


class DeltaLake(Parquet):
    """A Delta table: resolved to its parquet files; never read as itself."""

    name = "read_delta_lake"

    def options(self, ctx: MLTableContext, raw: Any, key: str) -> Reader:
        opts = ctx.options(raw, key, ("version_as_of", "timestamp_as_of", "include_path_column"))
        version = opts.get("version_as_of")
        if version is not None and (
            not isinstance(version, int) or isinstance(version, bool) or version < 0
        ):
            raise ctx.error(
                f"{key}.version_as_of", f"expected a non-negative integer, got {version!r}"
            )
        ts = opts.get("timestamp_as_of")
        if ts is not None and not isinstance(ts, str):
            raise ctx.error(
                f"{key}.timestamp_as_of", f"expected an RFC 3339 timestamp string, got {ts!r}"
            )
        if version is not None and ts is not None:
            raise ctx.error(key, "give version_as_of or timestamp_as_of, not both")
        return Reader(
            name=self.name,
            key=key,
            version_as_of=version,
            timestamp_as_of=ts,
            include_path_column=bool_option(ctx, opts, "include_path_column", key, False),
        )

    def resolve(self, table: MLTable) -> MLTable:
        reader = table.reader
        assert reader is not None
        files = delta_files(table)
        if not files:
            raise MLTableError(
                "the Delta table has no data files", file=table.source_file, key=reader.key
            )
        include = reader.include_path_column
        return replace(
            table,
            paths=tuple(PathSpec("file", f, f, "paths[0].folder") for f in files),
            reader=Reader(Parquet.name, reader.key, include_path_column=include),
        )


DELTA_LAKE = DeltaLake()
