"""Read the per-group models the parallel step saved and summarise them.

Writes ``<summary>/models.csv`` (one row per group: keys, rows, MAPE) and
``<summary>/summary.json`` (group, store and brand counts, mean and worst MAPE).
"""

import argparse
import glob
import json
import os

import pandas as pd


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model_folder", required=True)
    parser.add_argument("--summary", required=True)
    args = parser.parse_args()
    rows = []
    for path in sorted(
        glob.glob(os.path.join(args.model_folder, "**", "model.json"), recursive=True)
    ):
        with open(path, encoding="utf-8") as fh:
            model = json.load(fh)
        rows.append({**model["partition_key_value"], "rows": model["rows"], "mape": model["mape"]})
    if not rows:
        raise SystemExit(f"no model.json under {args.model_folder}")
    table = pd.DataFrame(rows)
    keys = [c for c in table.columns if c not in ("rows", "mape")]
    table = table.sort_values(keys).reset_index(drop=True)
    os.makedirs(args.summary, exist_ok=True)
    table.to_csv(os.path.join(args.summary, "models.csv"), index=False)
    worst = table.loc[table["mape"].idxmax()]
    summary = {
        "groups": len(table),
        **{f"distinct_{k}": int(table[k].nunique()) for k in keys},
        "rows": int(table["rows"].sum()),
        "mean_mape": round(float(table["mape"].mean()), 4),
        "worst": {**{k: str(worst[k]) for k in keys}, "mape": float(worst["mape"])},
    }
    with open(os.path.join(args.summary, "summary.json"), "w", encoding="utf-8") as fh:
        json.dump(summary, fh, indent=2)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
