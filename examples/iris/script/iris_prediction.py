"""Scores iris flowers with a nearest-centroid model, written as Azure ML users write entry scripts."""

import argparse
import json
import logging
import os

import numpy as np
import pandas as pd

FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]


def init():
    global model, centroids
    parser = argparse.ArgumentParser(allow_abbrev=False, description="iris scoring")
    parser.add_argument("--model", type=str, required=True, help="folder with model.json")
    args, _unknown = parser.parse_known_args()  # the runtime adds its own arguments
    with open(os.path.join(args.model, "model.json")) as f:
        model = json.load(f)
    centroids = np.array([model["centroids"][c] for c in model["classes"]])
    logging.info("loaded model with classes %s", model["classes"])


def run(mini_batch):
    logging.info("scoring %d rows", len(mini_batch))
    x = mini_batch[FEATURES].to_numpy(dtype=float)
    distances = ((x[:, None, :] - centroids[None, :, :]) ** 2).sum(axis=2)
    result = pd.DataFrame(
        {
            "id": mini_batch["id"].to_numpy(),
            "prediction": np.array(model["classes"])[distances.argmin(axis=1)],
        }
    )
    return result
