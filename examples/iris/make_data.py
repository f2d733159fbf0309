"""Regenerates the example's data (neural-iris-mltable/iris.csv) and model (iris-model/model.json).

python examples/iris/make_data.py [rows]
"""

import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
CLASSES = {
    "setosa": [5.0, 3.4, 1.5, 0.2],
    "versicolor": [5.9, 2.8, 4.3, 1.3],
    "virginica": [6.6, 3.0, 5.6, 2.0],
}


def main(rows: int = 3000) -> None:
    rng = np.random.default_rng(42)
    names = list(CLASSES)
    labels = rng.integers(0, len(names), rows)
    means = np.array([CLASSES[n] for n in names])
    x = means[labels] + rng.normal(0, 0.3, (rows, 4))
    with open(os.path.join(HERE, "neural-iris-mltable", "iris.csv"), "w") as f:
        f.write("id,sepal_length,sepal_width,petal_length,petal_width,species\n")
        for i in range(rows):
            a, b, c, d = (round(float(v), 2) for v in x[i])
            f.write(f"{i},{a},{b},{c},{d},{names[labels[i]]}\n")
    model = {"classes": names, "centroids": CLASSES}
    with open(os.path.join(HERE, "iris-model", "model.json"), "w") as f:
        json.dump(model, f, indent=2)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3000)
