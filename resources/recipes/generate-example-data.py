"""Regenerates the recipes' example datasets (deterministic: fixed seed). Run: python3 generate-example-data.py"""

from pathlib import Path

import numpy as np

HERE = Path(__file__).parent


def write_csv(path, header, columns):
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [",".join(header)] + [",".join(row) for row in zip(*columns)]
    path.write_text("\n".join(lines) + "\n")


def classifier(rng):
    # Iris-like: three overlapping Gaussian blobs in four measurements, so accuracy is high but not 1.
    centers = {"setosa": [5.0, 3.4, 1.5, 0.25], "versicolor": [5.9, 2.8, 4.3, 1.3], "virginica": [6.6, 3.0, 5.5, 2.0]}
    spread = np.array([0.45, 0.35, 0.5, 0.25])
    labels = np.repeat(list(centers), 100)
    x = np.array([centers[c] for c in labels]) + rng.normal(size=(len(labels), 4)) * spread
    order = rng.permutation(len(labels))
    header = ["sepal_length", "sepal_width", "petal_length", "petal_width", "target"]
    cols = [[f"{v:.2f}" for v in x[order, i]] for i in range(4)] + [list(labels[order])]
    write_csv(HERE / "sklearn-classifier/example-data/train.csv", header, cols)


def regression(rng):
    # Linear plus noise, with features on different scales and one that does not matter.
    n = 400
    x = np.column_stack([rng.normal(0, 1, n), rng.uniform(0, 10, n), rng.normal(50, 15, n), rng.normal(0, 1, n)])
    y = 3.0 * x[:, 0] - 2.0 * x[:, 1] + 0.1 * x[:, 2] + 10.0 + rng.normal(0, 1.0, n)
    header = ["x1", "x2", "x3", "unused", "target"]
    cols = [[f"{v:.3f}" for v in x[:, i]] for i in range(4)] + [[f"{v:.3f}" for v in y]]
    write_csv(HERE / "sklearn-regression/example-data/train.csv", header, cols)


if __name__ == "__main__":
    classifier(np.random.default_rng(7))
    regression(np.random.default_rng(11))
