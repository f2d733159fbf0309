"""Entry script of the parallel step: one demand model per (Store, Brand) group.

With ``partition_keys: [Store, Brand]`` every mini batch holds all the rows of one group, and
``mini_batch_context.partition_key_value`` says which (``{"Store": "1000", "Brand": ...}``).
The model is an ordinary least-squares fit (numpy) of the target on the remaining columns and
on lagged targets; it is saved to ``<model_folder>/<Store>/<Brand>/model.json`` together with
its error on the last weeks, held out.
"""

import argparse
import json
import os

import numpy as np
import pandas as pd

HOLDOUT = 0.1  # the last 10% of the weeks (at least two) measure the model


def init():
    global target_col, date_col, lagging_orders, model_folder, drop_cols
    parser = argparse.ArgumentParser()
    parser.add_argument("--drop_cols", type=str, default="")
    parser.add_argument("--target_col", type=str, required=True)
    parser.add_argument("--date_col", type=str, required=True)
    parser.add_argument("--lagging_orders", type=str, default="")
    parser.add_argument("--model_folder", type=str, required=True)
    args, _ = parser.parse_known_args()  # the runtime passes its own arguments too
    target_col = args.target_col
    date_col = args.date_col
    lagging_orders = [int(i) for i in args.lagging_orders.split(",") if i]
    model_folder = args.model_folder
    drop_cols = [c for c in args.drop_cols.split(",") if c]


def mape(y_true, y_pred):
    return float(np.mean(np.abs((y_true - y_pred) / y_true)) * 100)


def features(data: pd.DataFrame) -> pd.DataFrame:
    data = data.copy()
    data[date_col] = pd.to_datetime(data[date_col])
    data = data.sort_values(date_col).set_index(date_col)
    data = data.drop(columns=drop_cols, errors="ignore")
    for lag in lagging_orders:
        data[f"lag_{lag}"] = data[target_col].shift(lag)
    return data.dropna().astype(float)


def run(input_data, mini_batch_context):
    if not isinstance(input_data, pd.DataFrame):
        raise TypeError(f"expected a DataFrame mini batch, got {type(input_data).__name__}")
    keys = dict(mini_batch_context.partition_key_value)
    data = features(input_data)
    names = [c for c in data.columns if c != target_col]
    x = np.column_stack([np.ones(len(data)), data[names].to_numpy()])
    y = data[target_col].to_numpy()
    n_test = max(2, int(round(len(y) * HOLDOUT)))
    coef, *_ = np.linalg.lstsq(x[:-n_test], y[:-n_test], rcond=None)
    error = mape(y[-n_test:], x[-n_test:] @ coef)

    folder = os.path.join(model_folder, *(str(v) for v in keys.values()))
    os.makedirs(folder, exist_ok=True)
    model = {
        "partition_key_value": keys,
        "features": ["intercept", *names],
        "coefficients": [round(float(c), 6) for c in coef],
        "rows": int(len(input_data)),
        "train_rows": int(len(y) - n_test),
        "test_rows": int(n_test),
        "mape": round(error, 4),
    }
    tmp = os.path.join(folder, f".model.json.{os.getpid()}")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(model, fh, indent=2)
    os.replace(tmp, os.path.join(folder, "model.json"))

    # one row per group, as Azure's sample returns: without append_row_to it is only counted
    return pd.DataFrame([{**keys, "MAPE": model["mape"]}])
