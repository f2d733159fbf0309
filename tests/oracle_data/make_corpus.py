"""Generate the differential-test corpus: one folder per case with an MLTable and small data.

Run from the repo root: ``.venv/bin/python tests/oracle_data/make_corpus.py`` (idempotent; the
output is committed). Each case folder holds ``MLTable``, its data files and ``oracle.yaml``:

- ``partition_sizes``: byte sizes at which mini batches are compared with mltable's
  ``_with_partition_size(size)`` / ``get_partition_count()`` / ``select_partitions([i])``;
- ``dtype_sizes``: more sizes at which only the dtypes of our mini batches are checked against
  the meta and mltable's whole table (mltable cannot partition tables with
  ``convert_column_types``, ``filter``, ``take``...: "found multiple instances of
  read_delimited");
- ``compare``: ``rows`` (same rows, same order), ``sorted`` (same rows, any order: mltable's
  folder listing order is the file system's), ``schema`` (columns and dtype families only:
  random sampling draws differently), ``files`` (a file-only MLTable: the same files).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).parent / "cases"


def csv_rows(n: int, start: int = 0) -> str:
    lines = ["id,name,score,flag,day,note"]
    for i in range(start, start + n):
        note = "" if i % 7 == 3 else f"note {i}"
        lines.append(
            f"{i},name{i},{i * 1.25},{'true' if i % 3 else 'false'},2021-03-{i % 28 + 1:02d},{note}"
        )
    return "\n".join(lines) + "\n"


def case(name: str, spec: dict[str, Any], files: dict[str, str | bytes], **oracle: Any) -> None:
    folder = ROOT / name
    folder.mkdir(parents=True)
    for rel, content in files.items():
        p = folder / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    (folder / "MLTable").write_text(yaml.safe_dump(spec, sort_keys=False))
    (folder / "oracle.yaml").write_text(
        yaml.safe_dump({"compare": "rows", "partition_sizes": [], **oracle})
    )


def csv(
    path: str = "./data.csv", kind: str = "file", *steps: Any, **options: Any
) -> dict[str, Any]:
    return {"paths": [{kind: path}], "transformations": [{"read_delimited": options}, *steps]}


def parquet_bytes(
    columns: dict[str, Any], row_group_size: int | None = None, write_statistics: bool = True
) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(
        pa.table(columns), buf, row_group_size=row_group_size, write_statistics=write_statistics
    )
    return buf.getvalue()


def pa_array(values: list[Any], type_name: str) -> Any:
    import pyarrow as pa

    return pa.array(values, type=getattr(pa, type_name)())


def jsonl(records: list[Any]) -> str:
    return "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records)


def main() -> None:
    if ROOT.exists():
        shutil.rmtree(ROOT)
    ROOT.mkdir()
    two = {"f1.csv": "a,b\n1,x\n2,y\n", "sub/f2.csv": "a,b\n3,\n,w\n", "sub/f3.csv": "c,a\n5,6\n"}
    pair = {"paths": [{"file": "./f1.csv"}, {"file": "./sub/f2.csv"}]}
    mixed = {"paths": [{"file": "./f1.csv"}, {"file": "./sub/f3.csv"}]}

    # --- read_delimited
    case("csv_basic", csv(), {"data.csv": csv_rows(30)}, partition_sizes=[10, 37, 64, 500, 4096])
    case(
        "csv_small_window",
        csv(),
        {"data.csv": "a,b,c,d\n1,x,1.5,true\n2,,2.5,false\n3,z,,true\n"},
        partition_sizes=[1, 10, 12, 44],
    )
    case(
        "csv_same_headers",
        {**pair, "transformations": [{"read_delimited": {"header": "all_files_same_headers"}}]},
        two,
        partition_sizes=[8],
    )
    case("csv_same_headers_positional", {**mixed, "transformations": ["read_delimited"]}, two)
    case(
        "csv_from_first_file",
        {**pair, "transformations": [{"read_delimited": {"header": "from_first_file"}}]},
        two,
        partition_sizes=[8],
    )
    case(
        "csv_no_header",
        {**pair, "transformations": [{"read_delimited": {"header": "no_header"}}]},
        two,
        partition_sizes=[8],
    )
    case(
        "csv_different_headers",
        {
            **mixed,
            "transformations": [{"read_delimited": {"header": "all_files_different_headers"}}],
        },
        two,
    )
    case(
        "csv_empty_as_string",
        {**pair, "transformations": [{"read_delimited": {"empty_as_string": True}}]},
        two,
    )
    case(
        "csv_include_path",
        {**pair, "transformations": [{"read_delimited": {"include_path_column": True}}]},
        two,
        partition_sizes=[9],
    )
    case(
        "csv_no_inference",
        csv(infer_column_types=False),
        {"data.csv": csv_rows(12)},
        partition_sizes=[100],
    )
    case(
        "csv_type_overrides",
        csv(
            infer_column_types={
                "sample_size": 50,
                "column_type_overrides": [
                    {"columns": ["id"], "column_type": "float"},
                    {"columns": "flag", "column_type": "string"},
                ],
            }
        ),
        {"data.csv": csv_rows(12)},
    )
    # overrides with options: custom true / false words, datetime formats (converted with them)
    worded = [
        {
            "columns": "a",
            "column_type": {
                "boolean": {"true_values": ["yes"], "false_values": ["no"], "mismatch_as": "error"}
            },
        },
        {"columns": "d", "column_type": {"datetime": {"formats": ["%d/%m/%Y"]}}},
    ]
    case(
        "csv_type_overrides_worded",
        csv(infer_column_types={"column_type_overrides": worded}),
        {"data.csv": "a,d,n\nyes,31/12/2021,1\nno,01/02/2020,2\ntrue,2021-01-01,3\n"},
        partition_sizes=[16],
    )
    case(
        "csv_type_overrides_worded_no_nulls",
        csv(infer_column_types={"column_type_overrides": worded}),
        {
            "data.csv": "a,d,n\n"
            + "".join(f"{w},0{i}/02/2020,{i}\n" for i, w in enumerate(["yes", "no"] * 4, 1))
        },
        partition_sizes=[40],
    )
    case(
        "csv_semicolon",
        csv(delimiter=";"),
        {"data.csv": "a;b;c\n1;x,y;2.5\n2;z;3\n"},
        partition_sizes=[7],
    )
    case("csv_tab", csv(delimiter="\t"), {"data.csv": "a\tb\n1\thello world\n2\tbye\n"})
    case(
        "csv_quoted",
        csv(),
        {"data.csv": 'a,b,c\n1,"x, y",3\n2,"say ""hi""",4\n'},
        partition_sizes=[9],
    )
    case(
        "csv_multi_line",
        csv(support_multi_line=True),
        {"data.csv": 'a,b,c\n1,"line one\nline two",3\n2,plain,4\n'},
        partition_sizes=[5, 1000],
    )
    case("csv_crlf", csv(), {"data.csv": "a,b\r\n1,x\r\n2,y\r\n3,z\r\n"}, partition_sizes=[6, 7])
    case("csv_utf8_bom", csv(), {"data.csv": "\ufeffa,b\n1,é\n2,ü\n".encode()}, partition_sizes=[6])
    case(
        "csv_utf16",
        csv(encoding="utf16"),
        {"data.csv": "a,b\n1,é\n2,ü\n".encode("utf-16")},
        partition_sizes=[6],
    )
    case(
        "csv_latin1",
        csv(encoding="latin1"),
        {"data.csv": "a,b\n1,café\n2,naïve\n".encode("latin-1")},
        partition_sizes=[6],
    )
    case("csv_iso88591", csv(encoding="iso88591"), {"data.csv": "a,b\n1,ñ\n".encode("iso-8859-1")})
    case(
        "csv_windows1252",
        csv(encoding="windows1252"),
        {"data.csv": "a,b\n1,€uro\n".encode("cp1252")},
    )
    case(
        "csv_ascii",
        csv(encoding="ascii"),
        {"data.csv": "a,b\n1,plain\n2,text\n"},
        partition_sizes=[6],
    )
    case(
        "csv_nulls",
        csv(),
        {"data.csv": "i,f,s,e,b\n1,1.5,x,,true\n,,,,\n3,2,z,,false\n"},
        partition_sizes=[12],
    )
    case(
        "csv_types",
        csv(),
        {
            "data.csv": "i,f,b01,bt,d,dt,s\n1,1e3,0,TRUE,2020-01-02,2020-01-02 03:04:05,a\n-2,.5,1,false,2021-12-31,2021-12-31 23:59:59,b\n"
        },
    )
    case(
        "csv_folder",
        csv("./data", "folder"),
        {f"data/part{i}.csv": csv_rows(5, i * 5) for i in range(3)}
        | {"data/deep/more.csv": csv_rows(3, 100)},
        compare="sorted",
    )
    case(
        "csv_pattern",
        csv("./data/*.csv", "pattern"),
        {"data/a.csv": csv_rows(4), "data/b.csv": csv_rows(4, 10), "data/skip.txt": "x\n"},
        partition_sizes=[64],
    )
    case(
        "csv_pattern_recursive",
        csv("./data/**/*.csv", "pattern"),
        {"data/x/a.csv": csv_rows(3), "data/y/z/b.csv": csv_rows(3, 50)},
        compare="sorted",
    )
    case(
        "csv_big", csv(), {"data.csv": csv_rows(1000)}, partition_sizes=[1024, 4096, 10000, 1 << 20]
    )

    late = "n\n" + "".join(f"{i}\n" for i in range(500))
    case("csv_late_string_row_300", csv(), {"data.csv": late.replace("\n300\n", "\nx300\n")})
    case("csv_late_float_row_150", csv(), {"data.csv": late.replace("\n150\n", "\n150.5\n")})
    # an int column (planned from the first 200 rows) with numbers no int64 holds later:
    # mltable saturates them (inf, 1e400 -> the int64 bounds) and turns "nan" into 0
    non_finite = "".join(f"{v}\n" for v in ("inf", "-inf", "1e400", "nan", "NaN", "1e19"))
    case("csv_late_int_non_finite", csv(), {"data.csv": late + non_finite}, partition_sizes=[512])
    # ints past int64 after the sample (pandas reads them as uint64): saturated, as mltable
    too_big = "".join(f"{v}\n" for v in ("9223372036854775808", "18446744073709551615", "7"))
    case("csv_late_int_too_big", csv(), {"data.csv": late + too_big})
    # numbers after the sample in a boolean column are no boolean words: null (not True), and
    # words in a float column (an override) are no numbers: null (not 1.0)
    bool_rows = "".join(f"{i % 2},{'true' if i % 3 else 'false'},{i}\n" for i in range(210))
    odd = ["5,5,true", "-0,1,false", "1.5,TRUE,TRUE", "99999999999999999999,F,t"]
    case(
        "csv_late_bool_numbers",
        csv(
            infer_column_types={"column_type_overrides": [{"columns": "f", "column_type": "float"}]}
        ),
        {"data.csv": "b01,bw,f\n" + bool_rows + "".join(f"{r}\n" for r in odd)},
    )
    # tRuE / FaLsE after the sample: no boolean words for mltable (null), as pandas reads them
    words = "b\n" + "".join(f"{'true' if i % 2 else 'False'}\n" for i in range(210))
    case("csv_late_bool_case", csv(), {"data.csv": words + "tRuE\nFaLsE\nTRUE\n"})
    # a datetime column (planned from the first 200 rows, all "2021-03-04T05:06:07") with other
    # layouts later: mltable parses only the layout it inferred, daskprs any ISO 8601
    stamps = "t\n" + "2021-03-04T05:06:07\n" * 250
    others = ["2021-03-04", "2021-03-04 05:06", "2021-03-04T05", "2021-03-04T05:06:07Z", "-0", "x"]
    case(
        "csv_late_datetime_layouts",
        csv(),
        {"data.csv": stamps + "".join(f"{v}\n" for v in others)},
        known_difference={
            "table": "a datetime column planned from one ISO 8601 layout reads every ISO 8601 "
            "value later (mltable: null unless in the layout of the first rows)"
        },
    )
    case(
        "csv_header_only",
        csv(),
        {"data.csv": "a,b\n"},
        partition_sizes=[2, 100],
        known_difference={
            "table": "an empty table keeps its header's columns (mltable: no columns)"
        },
    )
    case("csv_duplicate_header", csv(), {"data.csv": "a,a,b\n1,2,3\n"})
    case("csv_spaces", csv(), {"data.csv": "a,b\n 5 , x \n6,y\n"})
    case("csv_quoted_newline_single_line_mode", csv(), {"data.csv": 'a,b,c\n1,"x\ny",3\n2,z,4\n'})
    case(
        "csv_different_headers_windows",
        {
            **mixed,
            "transformations": [{"read_delimited": {"header": "all_files_different_headers"}}],
        },
        {
            "f1.csv": "a,b\n" + "".join(f"{i},v{i}\n" for i in range(10)),
            "sub/f3.csv": "c,a\n5,6\n7,8\n",
        },
        partition_sizes=[16],
        known_difference={
            "mini_batches": "every mini batch has the union of columns (mltable: each partition only its file's columns)"
        },
    )
    case(
        "jsonl_nested",
        {"paths": [{"file": "./d.jsonl"}], "transformations": ["read_json_lines"]},
        {
            "d.jsonl": jsonl(
                [
                    {"k": 1, "obj": {"x": "a"}, "arr": ["p", "q"]},
                    {"k": 2, "obj": {"x": "b"}, "arr": []},
                ]
            )
        },
    )
    case(
        "jsonl_mixed_numbers",
        {"paths": [{"file": "./d.jsonl"}], "transformations": ["read_json_lines"]},
        {"d.jsonl": jsonl([{"c": 1.5}, {"c": 2}, {"c": None}])},
        known_difference={"table": "an int in a float JSON column stays a number (mltable: null)"},
    )

    case(
        "csv_infer_dates",
        csv(),
        {
            "data.csv": "iso_t,slash,us,dmy_text,time_only\n2020-01-02T03:04:05,2020/01/02,01/02/2020,2 Jan 2020,10:30:00\n2021-12-31T23:59:59,2021/12/31,12/31/2021,31 Dec 2021,23:59:59\n"
        },
    )
    case(
        "csv_infer_numbers",
        csv(),
        {
            "data.csv": 'lead0,big,neg,nan,inf,pct,thou\n007,9007199254740993,-1.5,NaN,inf,5%,"1,000"\n010,1,-2,1.0,-inf,6%,"2,000"\n'
        },
    )
    # the datetimes mltable infers: seconds needed after a time, real dates only (2021-02-30 is
    # text), one-digit months and days, 2021/03/04 05:06:07; blanks before, none after
    case(
        "csv_infer_date_layouts",
        csv(),
        {
            "data.csv": "no_seconds,invalid,one_digit,slash_time,blank_after,blank_before\n"
            "2021-03-04T05:06,2021-02-30,2021-1-2,2021/03/04 05:06:07,2021-03-04 , 2021-03-04\n"
            "2021-03-04 05:06:07,2021-03-04,2021-12-31,2021/3/4 23:59:59,2021-03-05,2021-03-05\n"
            "2021-03-05,2021-01-01T24:00:00,2021-01-02T03:04:05,2021/03/04,2021-03-06,2021-03-06\n"
        },
    )
    # 03/04/2021: mltable reads a column day first when one of its dates is (31/12/2020), and
    # nulls a column whose dates could be either; daskprs reads month first, then day first
    case(
        "csv_infer_ambiguous_dates",
        csv(),
        {
            "data.csv": "either,day_first,either_dash\n03/04/2021,31/12/2020,04-03-2021\n"
            "05/06/2021,01/02/2020,05-06-2021\n"
        },
        known_difference={
            "table": "dates that read month first or day first are read month first (mltable: "
            "null, or all day first when one date is only day first)"
        },
    )
    # 03-13-2021 / 13-03-2021 are dates as 03/13/2021 are, with an optional time; a column whose
    # dates with one separator read in no one order (03/13/2021 is only month first, 13/03/2021
    # only day first) is text
    case(
        "csv_infer_dash_dates",
        csv(),
        {
            "data.csv": "month_first,day_first,both_orders,slash_and_dash,late_dash,orders_by_sep,"
            "times\n"
            "03-13-2021,13-03-2021,03/13/2021,03/13/2021,2021-01-01,03/13/2021,"
            "03/13/2021 05:06:07\n"
            "3-14-2021,31-12-2020,13/03/2021,03-14-2021,2021-01-02,13-03-2021,13-03-2021 5:06\n"
            "12-31-2020,28-2-2021,04/03/2021,1/30/2020,13-03-2021,03/14/2021,"
            "03/14/2021  23:59:59\n"
        },
    )
    # mltable also infers a two-digit year, AM / PM, a second 60, an ISO one-digit hour (not yet)
    case(
        "csv_infer_date_time_layouts",
        csv(),
        {
            "data.csv": "short_year,pm,second_60,iso_hour\n"
            "03/13/21,13-03-2021 05:06:07 PM,13-03-2021 05:06:60,2021-03-13 5:06:07\n"
        },
        known_difference={
            "table": "03/13/21, 13-03-2021 05:06:07 PM, 13-03-2021 05:06:60, 2021-03-13 5:06:07 "
            "are text (mltable: datetimes)"
        },
    )
    # -0, +1, 00 look like the 0 / 1 of a boolean column to mltable, which then nulls them
    case(
        "csv_infer_signed_zero",
        csv(),
        {"data.csv": "z,p,o\n-0,+1,00\n-0,1,01\n"},
        known_difference={"table": "-0, +1, 00 are ints (mltable: a boolean column, all null)"},
    )
    case(
        "csv_infer_bools",
        csv(),
        {"data.csv": "mixed_case,yn,tf,one_zero_two\nTrue,yes,t,0\nFALSE,no,f,2\ntrue,yes,t,1\n"},
    )
    case("csv_all_empty_column", csv(), {"data.csv": "a,b,c\n1,,x\n2,,y\n"})
    # mltable's boolean words are case-sensitive (Yes / YES / Y / N are booleans; tRuE, yes, y
    # are text); inf / infinity / nan in any case are floats; an int no int64 holds makes the
    # column float; digits are ASCII (Arabic-Indic digits are text)
    case(
        "csv_infer_words",
        csv(),
        {
            "data.csv": "yn,YN,camel,lower_y,one_word,inf_up,nan_up,big,neg_big,arabic\n"
            "Yes,Y,tRuE,yes,true,INF,NAN,9223372036854775808,-9223372036854775809,\u0661\u0662\n"
            " NO,N,False,no,1,iNfInItY,nAn,1,2,\u0663\n"
            "YES ,Y,true,y,0,-Inf,+NaN,99999999999999999999,3,4\n"
        },
    )
    case(
        "convert_boolean_words",
        csv(
            "./data.csv",
            "file",
            {"convert_column_types": [{"columns": "w", "column_type": "boolean"}]},
            infer_column_types=False,
        ),
        {
            "data.csv": "k,w\n"
            + "".join(
                f"{i},{w}\n"
                for i, w in enumerate(
                    ["Yes", "YES", "Y", "No", "NO", "N", "tRuE", "yes", "y", " T "]
                )
            )
        },
    )

    # --- one table, one schema: every mini batch has the whole table's dtypes
    # (test_mini_batch_dtypes_are_the_tables; the windows differ in where nulls and values are)
    case(
        "csv_int_nulls_windows",
        csv(),
        {
            "data.csv": "k,n,m\n"
            + "".join(f"{i},{'' if i in (3, 4) else i * 10},{i}\n" for i in range(40))
        },
        partition_sizes=[40, 120],
    )
    case(
        "csv_empty_column_window",
        csv(),
        {
            "data.csv": "k,s,f,i\n"
            + "".join(
                f"{i},{'' if i < 20 else f'v{i}'},{'' if i < 25 else i / 4},{'' if i < 30 else i}\n"
                for i in range(40)
            )
        },
        partition_sizes=[50, 150],
    )
    case(
        "csv_bools_dates_windows",
        csv(),
        {
            "data.csv": "k,b,d,bb\n"
            + "".join(
                f"{i},{'' if i == 5 else ('true' if i % 2 else 'false')},"
                f"{'' if i == 33 else f'2021-03-{i % 28 + 1:02d}'},{'TRUE' if i % 3 else 'False'}\n"
                for i in range(40)
            )
        },
        partition_sizes=[60, 200],
    )
    late_rows = "".join(
        f"{i},{'' if i == 300 else i},{'maybe' if i == 250 else str(i % 2 == 0).lower()},{'x' if i == 260 else i}\n"
        for i in range(400)
    )
    case(
        "csv_late_null_after_sample",
        csv(),
        {"data.csv": "k,n,b,v\n" + late_rows},
        partition_sizes=[1024, 4096],
    )
    case(
        "csv_no_inference_windows",
        csv(infer_column_types=False),
        {"data.csv": "k,n\n" + "".join(f"{i},{'' if i < 10 else i}\n" for i in range(30))},
        partition_sizes=[40],
    )
    case(
        "jsonl_types_windows",
        {"paths": [{"file": "./d.jsonl"}], "transformations": ["read_json_lines"]},
        {
            "d.jsonl": jsonl(
                [
                    {
                        "k": i,
                        "n": None if i in (3, 4) else i * 10,
                        "s": None if i < 12 else f"v{i}",
                        "b": None if i == 20 else i % 2 == 0,
                        "f": i / 4,
                        **({"m": i} if i % 2 else {}),  # a missing key is a null
                    }
                    for i in range(40)
                ]
            )
        },
        partition_sizes=[150, 600],
    )
    case(
        "jsonl_late_other_types",
        {"paths": [{"file": "./d.jsonl"}], "transformations": ["read_json_lines"]},
        {
            "d.jsonl": jsonl(
                [
                    {"k": i, "n": "x" if i == 250 else i, "s": 7 if i == 260 else f"s{i}"}
                    for i in range(300)
                ]
            )
        },
        partition_sizes=[2048],
    )

    # convert_column_types, filter, take: mltable cannot partition these tables, so only the
    # whole table is compared with it; dtype_sizes check every mini batch has its dtypes
    conv_rows = "".join(
        f"{i},{'' if i == 7 else 'abc' if i == 22 else i},{i}.5,"
        f"{'' if i == 12 else 'maybe' if i == 31 else 'true' if i % 2 else 'false'},"
        f"{'yes' if i % 3 else 'no'},"
        f"{'' if i == 15 else 'never' if i == 28 else f'03/{i % 28 + 1:02d}/2021'},"
        f"{'' if i == 9 else 'x' if i == 25 else i / 4},{'' if i == 18 else f's{i}'}\n"
        for i in range(40)
    )
    case(
        "convert_windows",
        csv(
            "./data.csv",
            "file",
            {
                "convert_column_types": [
                    {"columns": ["n", "t"], "column_type": "int"},
                    {"columns": "b", "column_type": "boolean"},
                    {
                        "columns": "yn",
                        "column_type": {
                            "boolean": {
                                "true_values": ["yes"],
                                "false_values": ["no"],
                                "mismatch_as": "false",
                            }
                        },
                    },
                    {"columns": "d", "column_type": {"datetime": {"formats": ["%m/%d/%Y"]}}},
                    {"columns": "f", "column_type": "float"},
                    {"columns": "s", "column_type": "string"},
                ]
            },
            infer_column_types=False,
        ),
        {"data.csv": "k,n,t,b,yn,d,f,s\n" + conv_rows},
        dtype_sizes=[40, 150, 600],
    )
    case(
        "convert_inferred_windows",  # conversions of inferred columns: int -> boolean, text -> int
        csv(
            "./data.csv",
            "file",
            {
                "convert_column_types": [
                    {"columns": "one_zero", "column_type": "boolean"},
                    {"columns": "code", "column_type": "int"},
                    {"columns": "k", "column_type": "string"},
                ]
            },
        ),
        {
            "data.csv": "k,one_zero,code\n"
            + "".join(
                f"{i},{'' if i == 26 else i % 2},{'n/a' if i == 33 else f'00{i}'}\n"
                for i in range(40)
            )
        },
        dtype_sizes=[30, 100],
    )
    case(
        "convert_then_filter_windows",  # the filter drops the rows with nulls: int64 / bool
        csv(
            "./data.csv",
            "file",
            {
                "convert_column_types": [
                    {"columns": ["k", "n"], "column_type": "int"},
                    {"columns": "b", "column_type": "boolean"},
                ]
            },
            {"filter": 'col("k") >= 10'},
            infer_column_types=False,
        ),
        {
            "data.csv": "k,n,b\n"
            + "".join(
                f"{i},{'' if i == 4 else i},{'' if i == 6 else 'true' if i % 2 else 'false'}\n"
                for i in range(40)
            )
        },
        dtype_sizes=[40, 120],
    )
    case(
        "filter_drops_reader_nulls",  # an inferred int column whose nulls the filter drops
        csv("./data.csv", "file", {"filter": 'col("k") > 6'}),
        {
            "data.csv": "k,n,b\n"
            + "".join(f"{i},{'' if i == 5 else i},{'' if i == 6 else 'true'}\n" for i in range(40))
        },
        dtype_sizes=[40, 120],
    )
    case(
        "take_drops_reader_nulls",
        csv("./data.csv", "file", {"take": 20}),
        {
            "data.csv": "k,n,b\n"
            + "".join(
                f"{i},{'' if i == 25 else i},{'' if i == 30 else 'true'}\n" for i in range(40)
            )
        },
        dtype_sizes=[40, 120],
    )
    case(
        "skip_keeps_reader_nulls",
        csv("./data.csv", "file", {"skip": 20}),
        {
            "data.csv": "k,n,b\n"
            + "".join(
                f"{i},{'' if i == 25 else i},{'' if i == 30 else 'true'}\n" for i in range(40)
            )
        },
        dtype_sizes=[40, 120],
    )
    stores = {
        f"oj/{store}/{brand}/data.csv": "week,qty\n"
        + "".join(
            f"{w},{'' if (store, brand, w) == (1001, 'b', 3) else w * 10}\n" for w in range(6)
        )
        for store in (1000, 1001, 1002)
        for brand in ("a", "b")
    }
    case(
        "partition_columns_converted_windows",  # partition and path columns in every window
        csv(
            "./oj/**/*.csv",
            "pattern",
            {
                "extract_columns_from_partition_format": {
                    "partition_format": "*/{Store}/{Brand}/data.csv"
                }
            },
            {"convert_column_types": [{"columns": "Store", "column_type": "int"}]},
            include_path_column=True,
        ),
        stores,
        compare="sorted",
        dtype_sizes=[12, 1000],
    )
    case(
        "csv_path_column_windows",
        csv("./*.csv", "pattern", include_path_column=True),
        {
            "a.csv": "k,n\n" + "".join(f"{i},{i}\n" for i in range(20)),
            "b.csv": "k,n\n" + "".join(f"{i},{'' if i == 3 else i}\n" for i in range(20)),
        },
        partition_sizes=[30],
    )

    case("csv_ragged_no_header", csv(header="no_header"), {"data.csv": "1,2\n3,4,5\n6\n"})
    case("csv_ragged_long_row", csv(), {"data.csv": "a,b\n1,2\n3,4,5\n6\n"})

    # --- parquet
    cols = {
        "i": [1, 2, None, 4],
        "s": ["a", None, "c", "d"],
        "f": [0.5, 1.5, 2.5, None],
        "b": [True, False, None, True],
    }
    case(
        "parquet_basic",
        {"paths": [{"file": "./d.parquet"}], "transformations": ["read_parquet"]},
        {"d.parquet": parquet_bytes(cols)},
    )
    case(
        "parquet_path_column",
        {
            "paths": [{"pattern": "./*.parquet"}],
            "transformations": [{"read_parquet": {"include_path_column": True}}],
        },
        {"a.parquet": parquet_bytes({"x": [1, 2]}), "b.parquet": parquet_bytes({"x": [3]})},
    )
    case(
        "parquet_row_groups",
        {"paths": [{"file": "./d.parquet"}], "transformations": ["read_parquet"]},
        {
            "d.parquet": parquet_bytes(
                {"x": list(range(100)), "y": [f"v{i}" for i in range(100)]}, row_group_size=10
            )
        },
    )

    # parquet, nulls in some row groups only: every mini batch (row groups of 10 rows, or row
    # slices of them) has the whole table's dtypes (int with a null anywhere: float64)
    def nulls_at(values: list[Any], rows: range) -> list[Any]:
        return [None if k in rows else v for k, v in enumerate(values)]

    n = 40
    windows = {
        "i": nulls_at(list(range(n)), range(25, 27)),
        "b": nulls_at([k % 3 == 0 for k in range(n)], range(12, 13)),
        "f": nulls_at([k * 0.25 for k in range(n)], range(31, 33)),
        "s": nulls_at([f"s{k}" for k in range(n)], range(3, 4)),
        "t": nulls_at(
            [dt.datetime(2021, 1, 1) + dt.timedelta(hours=k) for k in range(n)], range(35, 36)
        ),
        "clean_i": list(range(n)),
        "clean_b": [k % 2 == 0 for k in range(n)],
    }
    pq_file = {"paths": [{"file": "./d.parquet"}], "transformations": ["read_parquet"]}

    def sizes(group_bytes: int) -> list[int]:
        """Row slices, single row groups (each at most ``group_bytes`` on disk), whole files."""
        return [1, group_bytes, 1 << 20]

    case(
        "parquet_nulls_row_groups",
        pq_file,
        {"d.parquet": parquet_bytes(windows, row_group_size=10)},
        dtype_sizes=sizes(850),
    )
    case(
        "parquet_nulls_no_statistics",
        pq_file,
        {"d.parquet": parquet_bytes(windows, row_group_size=10, write_statistics=False)},
        dtype_sizes=sizes(600),
    )
    case(
        "parquet_nulls_int32",
        pq_file,
        {
            "d.parquet": parquet_bytes(
                {
                    "i32": pa_array(nulls_at(list(range(n)), range(17, 18)), "int32"),
                    "u8": pa_array(list(range(n)), "uint8"),
                    "f32": pa_array(nulls_at([k / 2 for k in range(n)], range(5, 6)), "float32"),
                    "none_i": pa_array([None] * n, "int64"),
                },
                row_group_size=10,
            )
        },
        dtype_sizes=sizes(400),
    )
    part = {"i": list(range(10)), "b": [k % 2 == 0 for k in range(10)], "s": ["x"] * 10}
    case(
        "parquet_nulls_one_file",
        {"paths": [{"pattern": "./*.parquet"}], "transformations": ["read_parquet"]},
        {
            "a.parquet": parquet_bytes(part, row_group_size=5),
            "b.parquet": parquet_bytes(
                {c: nulls_at(v, range(7, 8)) for c, v in part.items()}, row_group_size=5
            ),
            "c.parquet": parquet_bytes(part, row_group_size=5),
        },
        compare="sorted",
        dtype_sizes=sizes(230),
    )
    case(
        "parquet_union_columns",
        {"paths": [{"pattern": "./*.parquet"}], "transformations": ["read_parquet"]},
        {
            "a.parquet": parquet_bytes({"x": [1, 2], "y": ["a", "b"]}),
            "b.parquet": parquet_bytes({"x": [3, 4], "z": [True, False], "w": [5, 6]}),
        },
        compare="sorted",
        dtype_sizes=sizes(300),
    )
    case(
        "parquet_filter_drops_nulls",
        {
            "paths": [{"file": "./d.parquet"}],
            "transformations": ["read_parquet", {"filter": 'col("clean_i") < 20'}],
        },
        {"d.parquet": parquet_bytes(windows, row_group_size=10)},
        dtype_sizes=sizes(850),
    )
    case(
        "parquet_convert_windows",
        {
            "paths": [{"file": "./d.parquet"}],
            "transformations": [
                "read_parquet",
                {"convert_column_types": [{"columns": "s", "column_type": "int"}]},
            ],
        },
        {
            "d.parquet": parquet_bytes(
                {"s": nulls_at([str(k) for k in range(n)], range(33, 34)), "k": list(range(n))},
                row_group_size=10,
            )
        },
        dtype_sizes=sizes(270),
    )

    # --- read_json_lines
    recs = [
        {"a": 1, "b": "x", "c": 1.5, "d": True},
        {"a": 2, "b": "y", "c": 2.5, "d": False},
        {"a": 3, "b": None, "c": None, "d": None},
    ]
    case(
        "jsonl_basic",
        {"paths": [{"file": "./d.jsonl"}], "transformations": ["read_json_lines"]},
        {"d.jsonl": jsonl(recs)},
        partition_sizes=[20, 1000],
    )
    case(
        "jsonl_drop_invalid",
        {
            "paths": [{"file": "./d.jsonl"}],
            "transformations": [{"read_json_lines": {"invalid_lines": "drop"}}],
        },
        {"d.jsonl": jsonl([recs[0], "not json", recs[1]])},
    )
    case(
        "jsonl_path_utf16",
        {
            "paths": [{"file": "./d.jsonl"}],
            "transformations": [
                {"read_json_lines": {"include_path_column": True, "encoding": "utf16"}}
            ],
        },
        {"d.jsonl": jsonl(recs[:2]).encode("utf-16")},
    )

    # --- transformations
    data = {"data.csv": csv_rows(20)}
    case("take", csv("./data.csv", "file", {"take": 5}), data)
    case("skip", csv("./data.csv", "file", {"skip": 15}), data)
    case("skip_take", csv("./data.csv", "file", {"skip": 3}, {"take": 4}), data)
    case("drop_columns", csv("./data.csv", "file", {"drop_columns": ["note", "day"]}), data)
    case("keep_columns", csv("./data.csv", "file", {"keep_columns": ["score", "id"]}), data)
    case(
        "keep_columns_regex",
        csv("./data.csv", "file", {"keep_columns": {"pattern": "(id|n.*)"}}),
        data,
    )
    case(
        "drop_columns_regex_invert",
        csv("./data.csv", "file", {"drop_columns": {"pattern": "id", "invert": True}}),
        data,
    )
    case(
        "convert_simple",
        csv(
            "./data.csv",
            "file",
            {
                "convert_column_types": [
                    {"columns": "id", "column_type": "float"},
                    {"columns": ["score", "flag"], "column_type": "string"},
                ]
            },
        ),
        data,
    )
    case(
        "convert_boolean",
        csv(
            "./data.csv",
            "file",
            {
                "convert_column_types": [
                    {
                        "columns": "yn",
                        "column_type": {
                            "boolean": {
                                "true_values": ["yes"],
                                "false_values": ["no"],
                                "mismatch_as": "false",
                            }
                        },
                    }
                ]
            },
        ),
        {"data.csv": "k,yn\n1,yes\n2,no\n3,maybe\n"},
    )
    case(
        "convert_datetime",
        csv(
            "./data.csv",
            "file",
            {
                "convert_column_types": [
                    {
                        "columns": "when",
                        "column_type": {"datetime": {"formats": ["%d/%m/%Y %H:%M"]}},
                    }
                ]
            },
            infer_column_types=False,
        ),
        {"data.csv": "k,when\n1,02/01/2020 10:30\n2,31/12/2021 23:59\n"},
    )
    case(
        "convert_int",
        csv(
            "./data.csv",
            "file",
            {"convert_column_types": [{"columns": "n", "column_type": "int"}]},
            infer_column_types=False,
        ),
        {"data.csv": "k,n\n1,10\n2,20\n"},
    )
    messy = {
        "data.csv": "k,n,b,d\n1,1.5,1,2020-01-02\n2,abc,yes,02.01.2020\n3,7,0,\n4,,false,2020-01-03\n"
    }
    case(
        "convert_int_messy",
        csv(
            "./data.csv",
            "file",
            {"convert_column_types": [{"columns": "n", "column_type": "int"}]},
            infer_column_types=False,
        ),
        messy,
    )
    case(
        "convert_int_non_finite",
        csv(
            "./data.csv",
            "file",
            {"convert_column_types": [{"columns": "n", "column_type": "int"}]},
            infer_column_types=False,
        ),
        {
            "data.csv": "k,n\n"
            + "".join(
                f"{i},{v}\n"
                for i, v in enumerate(
                    ["1", "inf", "-inf", "1e400", "nan", "abc", "", "9223372036854775808", "-2.5"]
                )
            )
        },
    )
    # numbers and datetimes to text as mltable writes them: shortest digits and no exponent
    # (1e20 -> 100000000000000000000, -0.0 -> -0), RFC 3339 with a 3 / 6 / 9 digit fraction
    case(
        "convert_to_string_text",
        csv(
            "./data.csv",
            "file",
            {"convert_column_types": [{"columns": ["f", "t"], "column_type": "string"}]},
        ),
        {
            "data.csv": "f,t\n1e20,2021-03-04T05:06:07.5\n-0.0,2021-03-04\n1e-7,"
            "2021-03-04T05:06:07.123456\n1.5,2021-03-04T05:06:07.123456789\n"
            "9223372036854775807.0,2021-03-04T05:06:07+02:00\n"
        },
    )
    # a datetime column converted to int is null (it was an error)
    case(
        "convert_datetime_to_int",
        csv(
            "./data.csv",
            "file",
            {"convert_column_types": [{"columns": "t", "column_type": "int"}]},
        ),
        {"data.csv": "k,t\n1,2021-03-04T05:06:07\n2,\n3,2021-03-05T00:00:00\n"},
    )
    # a boolean column (0 / 1, true / false) converted to int or float: mltable nulls it
    case(
        "convert_boolean_to_number",
        csv(
            "./data.csv",
            "file",
            {
                "convert_column_types": [
                    {"columns": "b01", "column_type": "int"},
                    {"columns": "bw", "column_type": "float"},
                ]
            },
        ),
        {"data.csv": "b01,bw\n1,true\n0,false\n1,True\n"},
        known_difference={"table": "booleans converted to numbers are 1 / 0 (mltable: null)"},
    )
    # text nan with a sign or in any case converted to int: 0, as "nan" (mltable)
    case(
        "convert_int_signed_nan",
        csv(
            "./data.csv",
            "file",
            {"convert_column_types": [{"columns": "n", "column_type": "int"}]},
            infer_column_types=False,
        ),
        {"data.csv": "k,n\n1,-nan\n2,+NaN\n3,NAN\n4,7\n"},
    )
    # a datetime column converted to boolean is null, whatever mismatch_as says
    case(
        "convert_datetime_to_boolean",
        csv(
            "./data.csv",
            "file",
            {
                "convert_column_types": [
                    {"columns": "t", "column_type": "boolean"},
                    {
                        "columns": "u",
                        "column_type": {
                            "boolean": {
                                "true_values": ["yes"],
                                "false_values": ["no"],
                                "mismatch_as": "true",
                            }
                        },
                    },
                ]
            },
        ),
        {"data.csv": "t,u\n2021-03-04T05:06:07,2021-03-04\n2021-03-05T00:00:00,2021-03-05\n"},
    )
    # a float column's inf converted to int is null (the text "inf" saturates: convert_int_non_finite)
    case(
        "convert_float_inf_to_int",
        csv(
            "./data.csv",
            "file",
            {"convert_column_types": [{"columns": "f", "column_type": "int"}]},
        ),
        {"data.csv": "f\n1.5\ninf\n-inf\n1e400\n1e300\n"},
    )
    # the text inf in an int column (an override) saturates, also when pandas reads it as a float
    case(
        "csv_int_override_inf",
        csv(infer_column_types={"column_type_overrides": [{"columns": "n", "column_type": "int"}]}),
        {"data.csv": "n\n1\n2\ninf\n-inf\n3\n"},
    )
    # a datetime format's .%f is optional (05:06:07 reads with %H:%M:%S.%f)
    case(
        "convert_datetime_optional_fraction",
        csv(
            "./data.csv",
            "file",
            {
                "convert_column_types": [
                    {
                        "columns": "t",
                        "column_type": {"datetime": {"formats": ["%Y-%m-%dT%H:%M:%S.%f"]}},
                    }
                ]
            },
            infer_column_types=False,
        ),
        {"data.csv": "t\n2021-03-04T05:06:07.5\n2021-03-04T05:06:07\n2021-03-04\n"},
    )
    # numbers converted to datetime are null (inf, 1e300: without a RuntimeWarning from pandas)
    case(
        "convert_number_to_datetime",
        csv(
            "./data.csv",
            "file",
            {
                "convert_column_types": [
                    {
                        "columns": ["f", "i"],
                        "column_type": {"datetime": {"formats": ["%d/%m/%Y"]}},
                    }
                ]
            },
        ),
        {"data.csv": "f,i\n1.5,1\ninf,20210304\n1e300,7\n"},
    )
    # %z wants hours and minutes: an hour-only offset (+02) is null, +0200 / +02:00 / Z read
    case(
        "convert_datetime_hour_offset",
        csv(
            "./data.csv",
            "file",
            {
                "convert_column_types": [
                    {
                        "columns": ["t"],
                        "column_type": {"datetime": {"formats": ["%Y-%m-%dT%H:%M:%S%z"]}},
                    }
                ]
            },
        ),
        {
            "data.csv": "t\n2021-03-04T05:06:07+02\n2021-03-04T05:06:07+02:00\n"
            "2021-03-04T05:06:07-0130\n2021-03-04T05:06:07Z\n2021-03-04T05:06:07-11\n"
        },
    )
    case(
        "convert_float_messy",
        csv(
            "./data.csv",
            "file",
            {"convert_column_types": [{"columns": "n", "column_type": "float"}]},
            infer_column_types=False,
        ),
        messy,
    )
    case(
        "convert_boolean_default",
        csv(
            "./data.csv",
            "file",
            {"convert_column_types": [{"columns": "b", "column_type": "boolean"}]},
            infer_column_types=False,
        ),
        messy,
    )
    case(
        "convert_datetime_formats",
        csv(
            "./data.csv",
            "file",
            {
                "convert_column_types": [
                    {
                        "columns": "d",
                        "column_type": {"datetime": {"formats": ["%Y-%m-%d", "%d.%m.%Y"]}},
                    }
                ]
            },
            infer_column_types=False,
        ),
        messy,
    )
    case("keep_columns_single", csv("./data.csv", "file", {"keep_columns": "name"}), data)
    case(
        "filter_string",
        csv("./data.csv", "file", {"filter": 'col("name") == "name3" or col("note") == "note 5"'}),
        data,
    )
    case("filter_not", csv("./data.csv", "file", {"filter": 'not col("flag")'}), data)
    case("filter_simple", csv("./data.csv", "file", {"filter": 'col("id") > 12'}), data)
    case(
        "filter_compound",
        csv("./data.csv", "file", {"filter": 'col("flag") == True and col("score") < 10.0'}),
        data,
    )
    case(
        "filter_then_take",
        csv("./data.csv", "file", {"filter": 'col("id") >= 4'}, {"take": 3}),
        data,
    )
    oj = {
        "oj/1000/dominicks/data.csv": "week,qty\n1,10\n",
        "oj/1000/tropicana/data.csv": "week,qty\n1,20\n",
        "oj/1001/dominicks/data.csv": "week,qty\n2,30\n",
    }
    # the local mltable fills partition columns only when the Path column is there (see KNOWN_DIFFERENCES.md)
    case(
        "partition_format_suffix",
        csv(
            "./oj/**/*.csv",
            "pattern",
            {
                "extract_columns_from_partition_format": {
                    "partition_format": "{Store}/{Brand}/data.csv"
                }
            },
            include_path_column=True,
        ),
        oj,
        compare="sorted",
    )
    case(
        "partition_format",
        csv(
            "./oj/**/*.csv",
            "pattern",
            {
                "extract_columns_from_partition_format": {
                    "partition_format": "*/{Store}/{Brand}/data.csv"
                }
            },
            include_path_column=True,
        ),
        {
            "oj/1000/dominicks/data.csv": "week,qty\n1,10\n",
            "oj/1000/tropicana/data.csv": "week,qty\n1,20\n",
            "oj/1001/dominicks/data.csv": "week,qty\n2,30\n",
        },
        compare="sorted",
    )
    case(
        "partition_format_date",
        csv(
            "./logs/**/*.csv",
            "pattern",
            {
                "extract_columns_from_partition_format": {
                    "partition_format": "*/{Day:yyyy/MM/dd}/x.csv"
                }
            },
            include_path_column=True,
        ),
        {"logs/2020/01/02/x.csv": "v\n1\n", "logs/2021/12/31/x.csv": "v\n2\n"},
        compare="sorted",
    )
    partition_cases(oj)
    filter_cases()
    fused_cases()
    reader_cases()
    case(
        "take_random_sample",
        csv("./data.csv", "file", {"take_random_sample": {"probability": 0.5, "seed": 42}}),
        data,
        compare="schema",
    )

    # --- file-only MLTables
    case(
        "files_folder",
        {"paths": [{"folder": "./imgs"}]},
        {"imgs/a.bin": "a", "imgs/sub/b.bin": "b", "imgs/c.bin": "c"},
        compare="files",
    )
    case(
        "files_pattern",
        {"paths": [{"pattern": "./imgs/*.bin"}]},
        {"imgs/a.bin": "a", "imgs/b.bin": "b", "imgs/c.txt": "c"},
        compare="files",
    )


def partition_cases(oj: dict[str, str]) -> None:
    """Where ``extract_columns_from_partition_format`` puts its columns (issue 16, point 2).

    Before ``read_delimited``: right after the path column (else first), typed with the file's
    columns; otherwise appended when the step is reached. Column order is compared exactly.
    """
    dated = {
        f"oj/{store}/{brand}/2020/0{m}/data.{ext}": body
        for store in (1000, 1001)
        for brand, m in (("a", 5), ("b", 6))
        for ext, body in (
            ("csv", f"week,qty\n1,{store % 7}\n2,20\n"),
            ("jsonl", jsonl([{"week": 1, "qty": store % 7}, {"week": 2, "qty": 20}])),
        )
    } | {
        f"oj/{store}/{brand}/2020/0{m}/data.parquet": parquet_bytes(
            {"week": [1, 2], "qty": [store % 7, 20]}
        )
        for store in (1000, 1001)
        for brand, m in (("a", 5), ("b", 6))
    }

    def ext_files(ext: str) -> dict[str, str | bytes]:
        return {k: v for k, v in dated.items() if k.endswith("." + ext)}

    def extract(fmt: str) -> dict[str, Any]:
        return {"extract_columns_from_partition_format": {"partition_format": fmt}}

    def table(ext: str, *steps: Any) -> dict[str, Any]:
        return {"paths": [{"pattern": f"./oj/**/*.{ext}"}], "transformations": list(steps)}

    dfmt = "*/{Store}/{Brand}/{Month:yyyy/MM}/data.csv"
    path = {"read_delimited": {"include_path_column": True}}
    for name, steps in {
        "before_reader": [extract(dfmt), "read_delimited"],
        "before_reader_path": [extract(dfmt), path],
        "before_reader_no_inference": [
            extract(dfmt),
            {"read_delimited": {"infer_column_types": False}},
        ],
        "before_reader_override": [
            extract(dfmt),
            {
                "read_delimited": {
                    "infer_column_types": {
                        "column_type_overrides": [{"columns": "Store", "column_type": "float"}]
                    }
                }
            },
        ],
        "before_reader_keep": [extract(dfmt), "read_delimited", {"keep_columns": ["qty", "Brand"]}],
        "before_reader_filter": [
            extract(dfmt),
            "read_delimited",
            {"filter": 'col("Store") == 1000'},
        ],
        "after_keep_path": [path, {"keep_columns": ["Path", "qty"]}, extract(dfmt)],
        "after_then_convert": [
            path,
            extract(dfmt),
            {"convert_column_types": [{"columns": "Store", "column_type": "int"}]},
        ],
        "two_steps": [path, extract(dfmt), extract("*/{S2}/{B2}/*/*/data.csv")],
        "before_and_after": [extract(dfmt), path, extract("{Y}/{M}/data.csv")],
        "star_is_one_segment": [path, extract("{S}/*/data.csv")],
        "value_with_dots": [path, extract("{Y}/{M}/{File}.csv")],
    }.items():
        files = ext_files("csv")
        if name == "value_with_dots":
            files["oj/1002/c/2021/07/x.y.csv"] = "week,qty\n3,30\n"
        sizes = [16, 64] if name in ("before_reader", "before_reader_path") else []
        case(
            f"partition_{name}",
            table("csv", *steps),
            files,
            compare="sorted",
            partition_sizes=sizes,
        )
    for ext, reader in (("jsonl", "read_json_lines"), ("parquet", "read_parquet")):
        fmt = dfmt.replace(".csv", "." + ext)
        for name, steps in {
            "before_reader": [extract(fmt), reader],
            "before_reader_path": [extract(fmt), {reader: {"include_path_column": True}}],
            "after_reader_path": [{reader: {"include_path_column": True}}, extract(fmt)],
        }.items():
            case(f"partition_{ext}_{name}", table(ext, *steps), ext_files(ext), compare="sorted")


FILTER_DATA = "k,f,s,b,d,my col,t\n" + "".join(
    f"{i},{'' if i == 3 else i * 0.75 + 0.5},{['a', 'b', 'c', 'ab', 'bc', '', 'A', ' a', 'cab', 'b'][i]},"
    f"{'' if i == 4 else 'true' if i % 2 else 'false'},"
    f"{'' if i == 6 else f'2021-03-{i + 1:02d}' + (' 12:30:15' if i == 4 else '')},"
    f"{'x' if i % 3 == 0 else 'y'},2021-03-05 12:30:15.{i:03d}\n"
    for i in range(10)
)
# one case per construct of mltable's filter language (issue 16, point 3; the probes behind it:
# docs/filter-expressions.md); "error": mltable rejects it, and so must we
FILTERS_ACCEPTED = {
    "cmp_int": "k > 5",
    "cmp_literal_left": "5 < k",
    "cmp_float": "f >= 2",
    "cmp_int_float": "k > f",
    "cmp_text": 's > "b"',
    "cmp_text_single_quotes": "s == 'b'",
    "cmp_bool": "b == True",
    "bool_column": "b",
    "not_bool": "not b",
    "cmp_datetime": "d > datetime(2021, 3, 5)",
    "cmp_datetime_hms": "d > datetime(2021, 3, 5, 12, 30, 15)",
    "datetime_nanosecond": "t >= datetime(2021, 3, 5, 12, 30, 15, 3000000)",
    "datetime_year_only": "d > datetime(2021)",
    "datetime_text_parts": 'd < datetime("2021", "3", "3")',
    "datetime_from_column": "datetime(k + 2020) > datetime(2027)",
    "cross_kind_number_text": 'k < "5"',
    "cross_kind_datetime_text": 'd > "2021-03-05"',
    "cross_kind_not_equal": 'k != "5"',
    "null_equals_none": "(s == None) or k == 2",
    "col_with_space": 'col("my col") == "x"',
    "col_single_quotes": "col('k') > 5",
    "col_computed_name": 'col("my" + " col") == "y"',
    "arithmetic": "k + 1 > 5 and k * 2 < 18 and k - 1 != 3",
    "true_division": "k / 2 == 2.5",
    "int_floor_division_truncates": "(0 - k) // 2 == -4",
    "float_floor_division": "(0 - f) // 1 == -8",
    "modulo_sign": "(0 - k) % 4 == 3",
    "power": "k ** 2 > 20",
    "unary": "-k < -5 and +k > 6",
    "text_concat": 's + "x" == "ax"',
    "and_or_precedence": "f > 5 and f < 7 or k == 0",
    "parentheses": "f > 5 and (f < 7 or k == 0)",
    "not_precedence": "not k > 5",
    "null_or": "f > 100 or k == 3",
    "null_and_skips_right": "not (f > 100 and k)",
    "short_circuit_and": "k != 0 and 10 / k > 2",
    "short_circuit_or": "k == 0 or 10 / k > 2",
    "chained_comparison": "2 < k < 8",
    "comparison_then_bool": "k > 5 == True",
    "conditional": "k > 5 if b else k < 5",
    "conditional_value": "(1 if b else 2) == 1",
    "startswith": 'col("my col").startswith("x")',
    "starts_with_function": 'starts_with(col("my col"), "y")',
    "int_literal_bases": "k > 0x5 and k != 0o7 and k != 0b1000",
    "int_literal_underscores": "k < 1_0",
    "float_literal_forms": "f > 5. and f < 1e1",
    "string_escapes": 's == "a\\x62" or s == "\\101"',
    "raw_string": 's == r"a"',
    "literal_true": "True",
    "literal_none": "None or k == 1",
    "no_spaces": "k>5and k<8",
    "int_overflow_wraps": "k * 10000000000 * 10000000000 > 0",
    "power_gives_float": "2 ** 64 > 1e19 and k == 1",
    "lists": '[k, s] < [5, "z"]',
}
FILTERS_REJECTED = {
    "and_and": "k > 5 && f < 9",
    "bit_or": "(k > 5) | (f < 1)",
    "tilde": "~(k > 5)",
    "in_list": "k in [1, 2, 3]",
    "is_none": "s is None",
    "endswith": 's.endswith("b")',
    "lower": 's.lower() == "a"',
    "len": "len(s) > 1",
    "not_call": "not(k > 5)",
    "empty_string": 's == ""',
    "implicit_concat": 's == "a" "b"',
    "triple_quotes": 's == """a"""',
    "unicode_escape": 's == "\\u0041"',
    "bad_escape": 's == "\\a"',
    "leading_zero": "k == 005",
    "leading_dot_float": "k > .5e1",
    "int_too_big": "k < 9223372036854775808",
    "comment": "k > 5 # c",
    "semicolon": "k > 5;",
    "subscript": 's[0] == "a"',
    "attribute": "d.year == 2021",
    "unclosed": "(k > 5",
    "nested_conditional": "k > 5 if b else k < 5 if f > 3 else b",
    "division_by_zero": "k / 0 > 1",
    "text_plus_number": 's + 1 == "a1"',
    "number_result": "k",
    "startswith_of_null": 's.startswith("a")',
    "invalid_date": "d > datetime(2021, 2, 30)",
    "boolean_arithmetic": "b + 1 == 2",
    "not_of_number": "not k",
}


def filter_cases() -> None:
    for name, expression in FILTERS_ACCEPTED.items():
        spec = csv("./data.csv", "file", {"filter": expression})
        case(f"filter_{name}", spec, {"data.csv": FILTER_DATA}, partition_sizes=[])
    for name, expression in FILTERS_REJECTED.items():
        spec = csv("./data.csv", "file", {"filter": expression})
        case(f"filter_rejects_{name}", spec, {"data.csv": FILTER_DATA}, compare="error")
    case(
        "filter_unknown_column",
        csv("./data.csv", "file", {"filter": "K > 5"}),
        {"data.csv": FILTER_DATA},
        known_difference={
            "table": "a column the filter names and the table lacks is an error (mltable: no rows)"
        },
    )


def to_kinds(**conversions: str) -> dict[str, Any]:
    """A ``convert_column_types`` step: column -> plain column type."""
    return {
        "convert_column_types": [{"columns": c, "column_type": k} for c, k in conversions.items()]
    }


def fused_cases() -> None:
    """Conversions that see what the reader's pandas dtype loses (daskprs.data.fused)."""
    # an int column with a null is float64 in pandas: its text keeps every digit
    case(
        "convert_int_nulls_to_string",
        csv("./data.csv", "file", to_kinds(a="string")),
        {
            "data.csv": "a,b\n9007199254740993,x\n,y\n5,z\n-0009007199254740995,w\n"
            "+007,v\n-0,t\n9223372036854775807,s\n 42 ,r\n"
        },
    )
    # the same after a filter of other columns; a column the filter reads keeps its dtype
    case(
        "convert_int_nulls_to_string_after_filter",
        csv(
            "./data.csv",
            "file",
            {"filter": "col('b') != 'y' and c > 0"},
            to_kinds(a="string", c="string"),
        ),
        {"data.csv": "a,b,c\n9007199254740993,x,7\n,y,\n5,z,1\n-0,w,2\n9007199254740995,v,\n"},
    )
    # dates outside datetime64[ns]'s range are NaT in pandas, text when converted to string
    case(
        "convert_datetime_out_of_range_to_string",
        csv("./data.csv", "file", to_kinds(d="string", t="string")),
        {
            "data.csv": "d,t\n2021-01-01,2021-03-04 05:06:07\n1500-01-01,2300-12-31 23:59:59\n"
            "2300-01-01,1600-02-29 00:00:01\n,\n"
        },
    )
    # a float column's NaN is a value (not a null): "NaN" as text, True as a boolean
    case(
        "convert_float_nan_text",
        csv("./data.csv", "file", to_kinds(s="string", b="boolean")),
        {"data.csv": "s,b\n1.5,1.5\nNaN,nan\n,-NaN\n-nan,0\ninf,inf\n"},
    )


def jsonl_spec(*steps: Any, **options: Any) -> dict[str, Any]:
    reader: Any = {"read_json_lines": options} if options else "read_json_lines"
    return {"paths": [{"file": "./d.jsonl"}], "transformations": [reader, *steps]}


def reader_cases() -> None:
    """Parquet and JSON lines inputs found by differential exploration (h16p)."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    days = pa.array([dt.date(2021, 1, k) for k in range(1, 6)], pa.date32())
    # a line that is JSON null is an invalid line (pyarrow read it as a row of nulls, and
    # crashed the process when it came first); so are NaN / Infinity (no JSON)
    case(
        "jsonl_null_line", jsonl_spec(), {"d.jsonl": '{"a": 1}\nnull\n{"a": 2}\n'}, compare="error"
    )
    case(
        "jsonl_null_line_drop",
        jsonl_spec(invalid_lines="drop"),
        {"d.jsonl": 'null\n{"a": 1, "b": "x"}\nnull\n{"a": 2, "b": "y"}\n'},
    )
    case("jsonl_nan_value", jsonl_spec(), {"d.jsonl": '{"a": NaN}\n{"a": 1.5}\n'}, compare="error")
    case(
        "jsonl_nan_value_drop",
        jsonl_spec(invalid_lines="drop"),
        {"d.jsonl": '{"a": 0.5}\n{"a": NaN}\n{"a": -Infinity}\n{"a": 1.5, "s": "NaN"}\n'},
    )
    # an object printed across lines is invalid lines (pyarrow read it whole when one slice held
    # all of it, so the rows depended on the mini-batch size)
    case(
        "jsonl_pretty_printed_drop",
        jsonl_spec(invalid_lines="drop"),
        {"d.jsonl": '{"a": 1, "b": "x"}\n{\n  "a": 2,\n  "b": "y"\n}\n{"a": 3, "b": "z"}\n'},
        partition_sizes=[1, 1 << 20],
    )
    case(
        "jsonl_two_objects_line",
        jsonl_spec(invalid_lines="drop"),
        {"d.jsonl": '{"a": 1}\n{"a": 2} {"a": 3}\n{"a": 4}\n'},
        known_difference={
            "table": "a line with two objects is invalid (mltable: keeps the first, drops the rest)"
        },
    )
    # a parquet file pandas wrote with nullable dtypes: read_parquet gives them back (Int64
    # with <NA>, as mltable; was float64); after a transformation mltable's float64 / object
    masked = pd.DataFrame(
        {
            "x": pd.array([1, None, 3, 4], dtype="Int64"),
            "y": pd.array([1, 2, 3, 4], dtype="Int32"),
            "b": pd.array([True, None, False, True], dtype="boolean"),
            "n": [1, 2, 3, 4],
        }
    )
    buf = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(masked), buf, row_group_size=2)
    for name, steps in (("", []), ("_take", [{"take": 3}])):
        case(
            f"parquet_pandas_nullable{name}",
            {"paths": [{"file": "./d.parquet"}], "transformations": ["read_parquet", *steps]},
            {"d.parquet": buf.getvalue()},
            dtype_sizes=[1, 1 << 20],
        )
    # partition_size must be a positive int (mltable: "Positive partition size"); was ignored
    case(
        "jsonl_partition_size_zero",
        jsonl_spec(partition_size=0),
        {"d.jsonl": '{"a": 1}\n'},
        compare="error",
    )
    case(
        "csv_partition_size_negative",
        csv(partition_size=-5),
        {"data.csv": "a\n1\n"},
        compare="error",
    )

    # a partition format of leading folders only (mltable matches them; was "does not match")
    folders = {
        f"year={y}/m={m}/d.{ext}": parquet_bytes({"v": [y * 10 + m]})
        if ext == "parquet"
        else jsonl([{"v": y * 10 + m}])
        for y in (2020, 2021)
        for m in (1, 2)
        for ext in ("parquet", "jsonl")
    }
    for ext, reader in (("parquet", "read_parquet"), ("jsonl", "read_json_lines")):
        for fmt_name, fmt in (("slashes", "/year={year}/m={m}/"), ("bare", "year={year}/m={m}")):
            case(
                f"partition_folders_{ext}_{fmt_name}",
                {
                    "paths": [{"pattern": f"./**/*.{ext}"}],
                    "transformations": [
                        {reader: {"include_path_column": True}},
                        {"extract_columns_from_partition_format": {"partition_format": fmt}},
                    ],
                },
                {k: v for k, v in folders.items() if k.endswith(ext)},
                compare="sorted",
            )

    # a partition column named as a column of the files: mltable fails (FieldNameConflict); the
    # file's values were silently replaced by the path's
    case(
        "partition_column_clash",
        {
            "paths": [{"pattern": "./**/*.parquet"}],
            "transformations": [
                {"read_parquet": {"include_path_column": True}},
                {"extract_columns_from_partition_format": {"partition_format": "/year={v}/"}},
            ],
        },
        {k: v for k, v in folders.items() if k.endswith("parquet")},
        compare="error",
    )

    # known differences (KNOWN_DIFFERENCES.md)
    def known(name: str, spec: dict[str, Any], files: dict[str, Any], why: str) -> None:
        case(name, spec, files, known_difference={"table": why})

    known(
        "jsonl_blank_lines",
        jsonl_spec(),
        {"d.jsonl": '{"a": 1}\n\n  \n{"a": 2}\n'},
        "a line of spaces is skipped (mltable: an invalid line; an empty line is skipped)",
    )
    known(
        "jsonl_float_overflow",
        jsonl_spec(invalid_lines="drop"),
        {"d.jsonl": '{"a": 1e400}\n{"a": 1.5}\n{"a": -1e400}\n'},
        "a number beyond float64 is +-inf (mltable: an invalid line)",
    )
    known(
        "jsonl_int_overflow",
        jsonl_spec(),
        {"d.jsonl": '{"a": 1}\n{"a": 18446744073709551615}\n{"a": 9223372036854775808}\n'},
        "an int beyond int64 makes the column float (mltable: it wraps, 2**64-1 -> -1)",
    )
    known(
        "jsonl_nested_array",
        jsonl_spec(),
        {"d.jsonl": '{"a": [1, 2]}\n{"a": [null, "x"]}\n'},
        "JSON arrays keep their values (mltable: [1.0, 2.0], and [NaN, NaN] for [null, 'x'])",
    )
    # nested values are given as parsed in every mini batch (pyarrow typed them per slice:
    # {"x": 1.0, "y": None} read whole, {"x": 1} alone), as mltable's are in one partition
    nested_lines = '{"a": {"x": 1}, "b": 1}\n{"a": {"y": [1, 2]}, "b": 2}\n{"a": null, "b": 3}\n'
    case(
        "jsonl_nested_as_parsed",
        jsonl_spec(),
        {"d.jsonl": nested_lines + '{"a": {"x": 5, "y": [3]}, "b": 4}\n'},
        partition_sizes=[1 << 20],
        known_difference={
            what: "nested values as parsed in every mini batch (mltable types them per "
            "partition: a struct gets every key of the partition's rows, an int is float where "
            "one lacks it: {'x': 1.0, 'y': None})"
            for what in ("table", "mini_batches")
        },
    )
    known(
        "jsonl_object_then_int",
        jsonl_spec(),
        {"d.jsonl": '{"a": {"x": 1}}\n{"a": 3}\n{"a": [1]}\n'},
        "a nested column keeps values of any type (mltable: null in the first value's "
        "partition, kept when in another partition)",
    )
    known(
        "jsonl_filter_column_order",
        {
            "paths": [{"pattern": "./*.jsonl"}],
            "transformations": ["read_json_lines", {"filter": "col('x') > 2"}],
        },
        {"a.jsonl": '{"x": 1, "y": "a"}\n', "b.jsonl": '{"z": true, "x": 5}\n{"x": 6, "y": "b"}\n'},
        "after filter / take / skip the columns keep the order of their first appearance in the "
        "table (mltable: in the records kept, z x y)",
    )
    struct = pa.array(
        [{"x": 1, "y": [1, 2]}, {"x": None, "y": None}, None, {"x": 4, "y": [3]}],
        pa.struct([("x", pa.int64()), ("y", pa.list_(pa.int64()))]),
    )
    lists = pa.array([[1, 2], [], None, [3]], pa.list_(pa.int64()))
    # struct / list values as Python values in every mini batch: in row groups of one row, as
    # mltable converts them (it converts a struct per row group: an int is float in a group
    # where the struct has a null there, case parquet_struct_null_int)
    case(
        "parquet_struct_ints",
        {"paths": [{"file": "./d.parquet"}], "transformations": ["read_parquet"]},
        {"d.parquet": parquet_bytes({"s": struct, "l": lists, "k": [1, 2, 3, 4]}, 1)},
        dtype_sizes=[1, 1 << 20],
    )
    known(
        "parquet_struct_null_int",
        {"paths": [{"file": "./d.parquet"}], "transformations": ["read_parquet"]},
        {"d.parquet": parquet_bytes({"s": struct, "k": [1, 2, 3, 4]})},
        "a struct's ints are ints ({'x': 1}) (mltable: floats in a row group where one is null, "
        "{'x': 1.0})",
    )
    known(
        "parquet_list_nulls",
        {"paths": [{"file": "./d.parquet"}], "transformations": ["read_parquet"]},
        {"d.parquet": parquet_bytes({"l": pa.array([[1, 2], [None], None], pa.list_(pa.int64()))})},
        "a list of ints with a null is kept as ints ([1, 2], [None]) (mltable: floats, "
        "[1.0, 2.0], [nan])",
    )
    # a column typed differently by the files: one type for the table, every mini batch (the
    # first file's type was the meta's, each file kept its own: True -> 1 next to an int file,
    # dates next to timestamps were objects)
    pq_files = {"paths": [{"pattern": "./*.parquet"}], "transformations": ["read_parquet"]}
    stamp = dt.datetime(2021, 1, 3, 4, 5, 6)
    case(
        "parquet_types_bool_then_int",
        pq_files,
        {
            "a.parquet": parquet_bytes({"x": [True, False], "s": ["p", "q"]}),
            "b.parquet": parquet_bytes({"x": [5, 6], "s": ["r", "s"]}),
        },
        dtype_sizes=[1, 1 << 20],
    )
    case(
        "parquet_types_dates_and_numbers",
        pq_files,
        {
            "a.parquet": parquet_bytes(
                {
                    "d": pa.array([dt.date(2021, 1, 2)]),
                    "t": pa.array([stamp], pa.timestamp("us")),
                    "i": pa.array([5], pa.int32()),
                    "f": [1],
                }
            ),
            "b.parquet": parquet_bytes(
                {
                    "d": pa.array([stamp], pa.timestamp("ms")),
                    "t": pa.array([stamp], pa.timestamp("us", "UTC")),
                    "i": [2**40],
                    "f": [1.5],
                }
            ),
            "c.parquet": parquet_bytes({"d": pa.array([dt.date(2021, 1, 4)]), "f": [2]}),
        },
        dtype_sizes=[1, 1 << 20],
    )
    known(
        "parquet_types_int_then_bool",
        pq_files,
        {
            "a.parquet": parquet_bytes({"x": [5, 6]}),
            "b.parquet": parquet_bytes({"x": [True, None]}),
        },
        "a column int in one file and bool in the next is object, values as written (mltable "
        "fails: 'Failed to add column to partition'; bool then int is object in both)",
    )
    pq_one = {"paths": [{"file": "./d.parquet"}], "transformations": ["read_parquet"]}
    seconds = pa.array([dt.datetime(2021, 1, 2, 3, 4, 5), None], pa.timestamp("s"))
    known(
        "parquet_timestamp_seconds",
        pq_one,
        {"d.parquet": parquet_bytes({"t": seconds})},
        "a timestamp[s] column is read as written (mltable: 2021-01-02 is the year 52974)",
    )
    known(
        "parquet_dictionary",
        pq_one,
        {"d.parquet": parquet_bytes({"c": pa.array(["a", "b", "a"]).dictionary_encode()})},
        "a dictionary (pandas categorical) column is read (mltable panics)",
    )
    duration = pa.array([dt.timedelta(seconds=5), None], pa.duration("us"))
    known(
        "parquet_duration",
        pq_one,
        {"d.parquet": parquet_bytes({"d": duration, "k": [1, 2]})},
        "a duration column is read as timedelta64 (mltable: not supported, an error)",
    )
    no_rows = {"a": pa.array([], pa.int64()), "s": pa.array([], pa.string())}
    known(
        "parquet_no_rows",
        pq_one,
        {"d.parquet": parquet_bytes(no_rows)},
        "a file with no rows gives its columns (mltable: no columns)",
    )
    known(
        "parquet_date_after_take",
        {"paths": [{"file": "./d.parquet"}], "transformations": ["read_parquet", {"take": 2}]},
        {"d.parquet": parquet_bytes({"d": days, "k": list(range(5))})},
        "a date column stays datetime.date after take / filter / convert (mltable: datetime64)",
    )
    known(
        "parquet_filter_union_columns",
        {
            "paths": [{"pattern": "./*.parquet"}],
            "transformations": ["read_parquet", {"filter": "col('x') > 2"}],
        },
        {
            "a.parquet": parquet_bytes({"x": [1, 2, 3], "y": ["a", "b", "c"]}),
            "b.parquet": parquet_bytes({"x": [4, 5], "z": [True, False]}),
            "c.parquet": parquet_bytes({"x": [0], "w": [1.5]}),
        },
        "after a filter the columns are still the union of all files' (mltable: of the files "
        "with a row kept)",
    )
    # convert_column_types of a parquet date column converts it as a datetime (as mltable); was
    # an AttributeError (int, float) or the date's text without its time (string)
    for kind in ("int", "float", "string", "boolean"):
        case(
            f"parquet_convert_date_{kind}",
            {
                "paths": [{"file": "./d.parquet"}],
                "transformations": [
                    "read_parquet",
                    {"convert_column_types": [{"columns": "d", "column_type": kind}]},
                ],
            },
            {"d.parquet": parquet_bytes({"d": days, "k": list(range(5))})},
        )
    # ... and to datetime: datetime64[ns] (the meta's) in every mini batch (was [s], and [ns]
    # in a mini batch of nulls only)
    case(
        "parquet_convert_date_datetime",
        {
            "paths": [{"file": "./d.parquet"}],
            "transformations": [
                "read_parquet",
                {
                    "convert_column_types": [
                        {"columns": "d", "column_type": {"datetime": {"formats": ["%Y-%m-%d"]}}}
                    ]
                },
            ],
        },
        {"d.parquet": parquet_bytes({"d": pa.array([dt.date(2021, 1, 2), None]), "k": [1, 2]}, 1)},
        dtype_sizes=[1, 1 << 20],
    )
    # a timestamp column with a zone converted to int / float is null, as mltable (was its
    # epoch microseconds, a null -2**63)
    zoned = pa.array([dt.datetime(2021, 1, 1, 1), None], pa.timestamp("us", tz="UTC"))
    for kind in ("int", "float"):
        case(
            f"parquet_convert_zoned_{kind}",
            {
                "paths": [{"file": "./d.parquet"}],
                "transformations": [
                    "read_parquet",
                    {"convert_column_types": [{"columns": "t", "column_type": kind}]},
                ],
            },
            {"d.parquet": parquet_bytes({"t": zoned, "k": [1, 2]})},
        )
    # dates and timestamps outside datetime64[ns]'s range converted to string: written as they
    # are (before: wrapped through nanoseconds, 1500-01-01 -> 2084-07-20T23:34:33.709551616)
    import pyarrow as pa

    wide = {
        "d": pa.array([dt.date(1500, 1, 1), dt.date(2021, 3, 4), None, dt.date(2300, 1, 1)]),
        "t": pa.array(
            [
                dt.datetime(1500, 1, 1, 5, 6, 7, 500000),
                None,
                dt.datetime(2021, 1, 1),
                dt.datetime(2400, 1, 1),
            ],
            pa.timestamp("us"),
        ),
    }
    known(
        "parquet_wide_dates_to_string",
        {
            "paths": [{"file": "./d.parquet"}],
            "transformations": [
                "read_parquet",
                {"convert_column_types": [{"columns": ["d", "t"], "column_type": "string"}]},
            ],
        },
        {"d.parquet": parquet_bytes(wide)},
        "dates outside datetime64[ns]'s range converted to string are written as they are "
        "(mltable: other dates, 1500-01-01 -> 1908-04-22T19:24:48+00:00)",
    )
    # an empty (0-byte) parquet file is no rows, as in mltable (was "not a readable parquet")
    pq_glob = {"paths": [{"pattern": "./*.parquet"}], "transformations": ["read_parquet"]}
    case(
        "parquet_empty_file",
        pq_glob,
        {"a.parquet": b"", "b.parquet": parquet_bytes({"x": [1, 2], "s": ["p", "q"]})},
        compare="sorted",
        dtype_sizes=[1, 1 << 20],
    )
    case("parquet_empty_file_only", pq_glob, {"a.parquet": b""})
    # a parquet date column (date32) compared with datetime(): was "cannot compare date values"
    case(
        "parquet_filter_date",
        {
            "paths": [{"file": "./d.parquet"}],
            "transformations": [
                "read_parquet",
                {"filter": "col('d') > datetime(2021, 1, 2) and col('d') != datetime(2021, 1, 4)"},
                {"drop_columns": ["d"]},  # mltable gives it datetime64 here (KNOWN_DIFFERENCES)
            ],
        },
        {"d.parquet": parquet_bytes({"d": days, "k": list(range(5))})},
    )


if __name__ == "__main__":
    main()
    print(len(list(ROOT.iterdir())), "cases in", ROOT)
