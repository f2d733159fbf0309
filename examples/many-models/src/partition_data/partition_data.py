"""Split a CSV into one folder per key group and describe the folders with an MLTable.

``--partition_keys Store,Brand`` writes ``<out>/<Store>/<Brand>/partitioned_data.csv`` (the key
columns dropped from the file: they come back from the folder names) and an ``MLTable`` that
reads every CSV and rebuilds the key columns with ``extract_columns_from_partition_format`` -
the layout Azure's many-models samples use, so a parallel step can set
``partition_keys: [Store, Brand]``.
"""

import argparse
import os
import re

import pandas as pd
import yaml

FILE_NAME = "partitioned_data.csv"


def safe_segment(value: object) -> str:
    """A folder name for a key value: characters that paths or patterns treat specially
    (dots, blanks, slashes, wildcards...) become underscores."""
    return re.sub(r'[.\s\\/|*<>?:"]', "_", str(value))


def write_groups(df: pd.DataFrame, out_dir: str, keys: list[str]) -> int:
    missing = [k for k in keys if k not in df.columns]
    if missing:
        raise SystemExit(f"partition keys not in the data: {missing}; columns: {list(df.columns)}")
    groups = 0
    for values, group in df.groupby(keys, sort=True):
        values = values if isinstance(values, tuple) else (values,)
        folder = os.path.join(out_dir, *(safe_segment(v) for v in values))
        os.makedirs(folder, exist_ok=True)
        group.drop(columns=keys).to_csv(os.path.join(folder, FILE_NAME), index=False)
        groups += 1
    return groups


def write_mltable(out_dir: str, keys: list[str]) -> None:
    partition_format = "".join(f"{{{k}}}/" for k in keys) + "{file_name}.{extension}"
    spec = {
        "type": "mltable",
        "paths": [{"pattern": "./**/*.csv"}],
        "transformations": [
            {
                "read_delimited": {
                    "delimiter": ",",
                    "encoding": "ascii",
                    "header": "all_files_same_headers",
                    "empty_as_string": False,
                    "include_path_column": True,
                }
            },
            {"extract_columns_from_partition_format": {"partition_format": partition_format}},
            {"drop_columns": ["Path", "file_name", "extension"]},
        ],
    }
    with open(os.path.join(out_dir, "MLTable"), "w", encoding="utf-8") as fh:
        yaml.safe_dump(spec, fh, sort_keys=False)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data_source", required=True)
    parser.add_argument("--partition_keys", required=True)
    parser.add_argument("--tabular_output_data", required=True)
    args, _ = parser.parse_known_args()
    keys = [k.strip() for k in args.partition_keys.split(",") if k.strip()]
    df = pd.read_csv(args.data_source)
    os.makedirs(args.tabular_output_data, exist_ok=True)
    groups = write_groups(df, args.tabular_output_data, keys)
    write_mltable(args.tabular_output_data, keys)
    print(f"{len(df)} rows in {groups} groups by {keys} -> {args.tabular_output_data}")


if __name__ == "__main__":
    main()
