"""The call chains of the differential tests: each runs against the real ``mltable`` (inside
``.venv-oracle``, ``oracle_api_runner.py``) and against ``daskprs.mltable``; the results are
compared result for result (``test_oracle_api.py``).

Imported on both sides, so it uses only the standard library. A chain is an expression over
the helpers of :func:`namespace` (``mltable``, ``DataType``, the data files) whose value is an
MLTable (compared: its document, its frame), a tuple of MLTables, a DataFrame or a plain value.
``compare``: ``rows`` (columns in order, dtype families, rows in order), ``sorted`` (rows as a
set: the library lists folders in file-system order, we sort), ``schema`` (columns and dtype
families: random sampling), ``paths`` (rows only: a file list's ``Path`` column holds mltable's ``StreamInfo`` objects,
ours plain path strings), ``value``, ``error`` (both raise; ours an MLTableError naming
``key``). ``save``: the MLTable is also saved by each side and loaded by the other.
``known``: a strict xfail with the reason (tests/oracle_data/KNOWN_DIFFERENCES.md).
"""

from __future__ import annotations

import os
from typing import Any

PARQUET_PARTITIONS = (
    "mltable counts parquet partitions by row group; daskprs's partitions are its mini batches "
    "at 20 MiB, which merge small row groups (docs/mltable.md)"
)


def files(data: str) -> dict[str, str | bytes]:
    """The data files of the chains, relative to ``data`` (written once by the test)."""
    return {
        "a.csv": "a,b,c\n1,x,true\n2,y,false\n3,,true\n",
        "b.csv": "a,b,c\n4,z,false\n5,w,true\n",
        "csvs/one.csv": "k,v\n1,10\n2,20\n",
        "csvs/two.csv": "k,v\n3,30\n",
        "semi.txt": "1;alpha;2.5\n2;beta;3.5\n",
        "dates.csv": "id,when,flag\n1,2021-03-04,yes\n2,2022-12-31,no\n3,,maybe\n",
        "part/S1/B1/data.csv": "v,w\n1,a\n2,b\n",
        "part/S1/B2/data.csv": "v,w\n3,c\n",
        "part/S2/B1/data.csv": "v,w\n4,d\n5,e\n",
        "d.jsonl": '{"a": 1, "b": "x"}\n{"a": 2, "b": "y"}\n{"a": 3, "b": null}\n',
        "bad.jsonl": '{"a": 1}\nnot json\n{"a": 3}\n',
        "latin1.csv": "name,n\ncaf\xe9,1\nna\xefve,2\n".encode("latin-1"),
        "broken/MLTable": "paths: [{file: ./x.csv}\ntransformations: [",
        "unknown_step/MLTable": "paths:\n  - file: ../a.csv\ntransformations:\n"
        "  - read_delimited: {}\n  - bogus_step: 1\n",
        "bad_option/MLTable": "paths:\n  - file: ../a.csv\ntransformations:\n"
        "  - read_delimited:\n      header: sometimes\n",
    }


def namespace(mltable: Any, data: str, cases: str) -> dict[str, Any]:
    """The names a chain can use, bound to the given ``mltable`` implementation."""
    D = data

    def f(name: str) -> dict[str, str]:
        return {"file": os.path.join(D, name)}

    def csv(**kw: Any) -> Any:
        return mltable.from_delimited_files([f("a.csv")], **kw)

    def csv2(**kw: Any) -> Any:
        return mltable.from_delimited_files([f("a.csv"), f("b.csv")], **kw)

    def part(**kw: Any) -> Any:
        return mltable.from_delimited_files(
            [{"pattern": os.path.join(D, "part", "**", "*.csv")}], **kw
        )

    def pq(**kw: Any) -> Any:
        return mltable.from_parquet_files([f("d.parquet")], **kw)

    def jl(**kw: Any) -> Any:
        return mltable.from_json_lines_files([f("d.jsonl")], **kw)

    def case(name: str) -> Any:
        return mltable.load(os.path.join(cases, name))

    return {
        "mltable": mltable,
        "DataType": mltable.DataType,
        "MLTableHeaders": mltable.MLTableHeaders,
        "MLTableFileEncoding": mltable.MLTableFileEncoding,
        "D": D,
        "f": f,
        "csv": csv,
        "csv2": csv2,
        "part": part,
        "pq": pq,
        "jl": jl,
        "case": case,
    }


def chain(name: str, expr: str, compare: str = "rows", **options: Any) -> dict[str, Any]:
    return {"name": name, "expr": expr, "compare": compare, **options}


CHAINS: list[dict[str, Any]] = [
    # ---- CSV: the reader's options
    chain("csv_default", "csv()", save=True),
    chain("csv_two_files", "csv2()"),
    chain(
        "csv_no_header_semicolon",
        'mltable.from_delimited_files([f("semi.txt")], header="no_header", delimiter=";")',
    ),
    chain("csv_header_enum", "csv(header=MLTableHeaders.from_first_file)"),
    chain("csv_no_inference", "csv(infer_column_types=False)"),
    chain(
        "csv_type_overrides",
        'csv(infer_column_types={"sample_size": 2, "column_type_overrides": {"a": "float", ("c",): DataType.to_string()}})',
        save=True,
    ),
    chain("csv_include_path", "csv(include_path_column=True)"),
    chain("csv_empty_as_string", "csv(empty_as_string=True)"),
    chain("csv_latin1", 'mltable.from_delimited_files([f("latin1.csv")], encoding="latin-1")'),
    chain("csv_folder", 'mltable.from_delimited_files([{"folder": D + "/csvs"}])', "sorted"),
    chain(
        "csv_pattern", 'mltable.from_delimited_files([{"pattern": D + "/csvs/*.csv"}])', "sorted"
    ),
    chain("csv_path_list", 'mltable.from_delimited_files([f("csvs/two.csv"), f("csvs/one.csv")])'),
    # ---- transformations
    chain("take", "csv2().take(2)"),
    chain("take_default", "csv2().take()"),
    chain("skip", "csv2().skip(1)"),
    chain("skip_take", "csv2().skip(1).take(3)", save=True),
    chain("filter_number", "csv2().filter('col(\"a\") > 2')"),
    chain("filter_string", 'csv2().filter(\'col("b") == "y"\')'),
    chain("filter_and_take", "csv2().filter('col(\"c\") == True').take(2)"),
    chain("keep_columns", 'csv().keep_columns(["c", "a"])'),
    chain("keep_column", 'csv().keep_columns("b")'),
    chain("drop_columns", 'csv().drop_columns(["b"])'),
    chain("convert_float", 'csv().convert_column_types({"a": DataType.to_float()})'),
    chain("convert_string_group", 'csv().convert_column_types({("a", "c"): DataType.to_string()})'),
    chain(
        "convert_int_by_name", 'csv(infer_column_types=False).convert_column_types({"a": "int"})'
    ),
    chain(
        "convert_bool_values",
        'mltable.from_delimited_files([f("dates.csv")]).convert_column_types({"flag": DataType.to_bool(["yes"], ["no"], "false")})',
        save=True,
    ),
    chain(
        "convert_datetime",
        'mltable.from_delimited_files([f("dates.csv")], infer_column_types=False).convert_column_types({"when": DataType.to_datetime("%Y-%m-%d")})',
    ),
    chain("show", "csv2().show(2)"),
    chain("take_random_sample", "csv2().take_random_sample(0.5, 7)", "schema"),
    chain("random_split", "csv2().random_split(0.4, 3)", "schema"),
    # ---- partitions
    chain("partition_count", "csv2().get_partition_count()", "value"),
    chain("partition_count_after_take", "csv2().take(4).get_partition_count()", "value"),
    chain("select_partition", "csv2().select_partitions(1)"),
    chain("select_partitions_after_skip", "csv2().skip(2).select_partitions([1, 0])"),
    chain("take_then_select", "csv2().take(4).select_partitions(1)"),
    chain("select_then_take", "csv2().select_partitions(1).take(1)"),
    # ---- partition formats
    chain(
        "partition_format",
        'part(include_path_column=True).extract_columns_from_partition_format("{Store}/{Brand}/data.csv")',
        "sorted",
    ),
    chain(
        "partition_format_no_path",
        'part().extract_columns_from_partition_format("{Store}/{Brand}/data.csv").drop_columns("w")',
        "sorted",
    ),
    chain(
        "partition_keys",
        'part().extract_columns_from_partition_format("{Store}/{Brand}/{name}.csv").partition_keys',
        "value",
    ),
    chain("partition_format_loaded", 'case("partition_format")', "sorted", save=True),
    # ---- parquet, JSON lines, file lists, files loaded
    chain("parquet", "pq()", save=True),
    chain("parquet_path_column", "pq(include_path_column=True)"),
    chain("parquet_filter_keep", 'pq().filter(\'col("n") >= 40\').keep_columns(["s", "n"])'),
    chain(
        "parquet_partition_count", "pq().get_partition_count()", "value", known=PARQUET_PARTITIONS
    ),
    chain("jsonl", "jl()", save=True),
    chain("jsonl_take_convert", 'jl().take(2).convert_column_types({"a": DataType.to_string()})'),
    chain(
        "jsonl_drop_invalid",
        'mltable.from_json_lines_files([f("bad.jsonl")], invalid_lines="drop")',
    ),
    chain("file_list", 'mltable.from_paths([f("a.csv"), f("b.csv")])', "paths"),
    chain("file_list_take", 'mltable.from_paths([f("b.csv"), f("a.csv")]).take(1)', "paths"),
    chain("load_case", 'case("csv_basic")'),
    chain("load_case_then_chain", 'case("filter_simple").take(2).keep_columns(["id"])'),
    chain("load_keep_regex", 'case("keep_columns_regex")', save=True),
    chain("paths_as_given", 'mltable.from_delimited_files([{"file": "a.csv"}]).paths', "value"),
    # ---- bad input
    chain("bad_take_zero", "csv().take(0)", "error", key="take(count)"),
    chain(
        "bad_missing_file",
        'mltable.from_delimited_files([f("nope.csv")])',
        "error",
        key="paths[0].file",
    ),
    chain(
        "bad_filter_syntax",
        "csv().filter('col(\"a\") >>> 2')",
        "error",
        key="transformations[1].filter",
    ),
    chain("bad_header", 'csv(header="sometimes")', "error", key="from_delimited_files(header)"),
    chain("bad_encoding", 'csv(encoding="klingon")', "error", key="from_delimited_files(encoding)"),
    chain(
        "bad_path_kind",
        'mltable.from_delimited_files([{"fil": D + "/a.csv"}])',
        "error",
        key="from_delimited_files(paths)[0]",
    ),
    chain(
        "bad_load_missing_folder", 'mltable.load(D + "/nowhere")', "error", key=None, file="nowhere"
    ),
    chain(
        "bad_load_malformed",
        'mltable.load(D + "/broken")',
        "error",
        key=None,
        file="broken/MLTable",
    ),
    chain(
        "bad_load_unknown_step",
        'mltable.load(D + "/unknown_step")',
        "error",
        key="transformations[1].bogus_step",
    ),
    chain(
        "bad_load_option",
        'mltable.load(D + "/bad_option")',
        "error",
        key="transformations[0].read_delimited.header",
    ),
    chain(
        "bad_column_type",
        'csv().convert_column_types({"a": "decimal"})',
        "error",
        key="convert_column_types(column_types)",
    ),
    chain(
        "bad_bool_overlap",
        'DataType.to_bool(["x"], ["x"])',
        "error",
        key="DataType.to_bool(true_values, false_values)",
    ),
    chain(
        "bad_partition_index",
        "csv2().select_partitions(5)",
        "error",
        key="transformations[1].select_partitions",
    ),
    chain("bad_split_percent", "csv().random_split(1.5)", "error", key="random_split(percent)"),
    chain(
        "bad_sample_probability",
        "csv().take_random_sample(2.0)",
        "error",
        key="take_random_sample(probability)",
    ),
    chain(
        "bad_invalid_lines",
        'jl(invalid_lines="ignore")',
        "error",
        key="from_json_lines_files(invalid_lines)",
    ),
    chain(
        "bad_delta_both",
        'mltable.from_delta_lake(D, timestamp_as_of="2022-10-01T00:00:00Z", version_as_of=1)',
        "error",
        key="from_delta_lake(timestamp_as_of, version_as_of)",
    ),
    chain(
        "bad_keep_duplicate", 'csv().keep_columns(["a", "a"])', "error", key="keep_columns(columns)"
    ),
]
