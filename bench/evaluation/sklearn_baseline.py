#!/usr/bin/python3
"""The evaluation benchmark's baseline, written the usual way: pandas read_csv, a scikit-learn
LogisticRegression with the model's coefficients, predict_proba, and the metrics and curves the
workbench computes. Prints one JSON line with its timings and metrics.

Usage: /usr/bin/python3 sklearn_baseline.py DATA.csv '{"weights": [...], "bias": b}'
"""
import json
import resource
import sys
import time

import numpy as np
import pandas as pd
from sklearn.calibration import calibration_curve
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    log_loss,
    precision_recall_curve,
    precision_score,
    recall_score,
    roc_auc_score,
    roc_curve,
)


def main():
    # CPU spent before main(): the interpreter and the imports of pandas, NumPy and scikit-learn.
    import_cpu = time.process_time()
    path, coefficients = sys.argv[1], json.loads(sys.argv[2])
    started = time.perf_counter()
    df = pd.read_csv(path)
    read = time.perf_counter()
    features = [f"f{j}" for j in range(len(coefficients["weights"]))]
    clf = LogisticRegression()
    clf.classes_ = np.array([0, 1])
    clf.coef_ = np.array([coefficients["weights"]])
    clf.intercept_ = np.array([coefficients["bias"]])
    proba = clf.predict_proba(df[features].to_numpy())
    predicted = time.perf_counter()
    y = df["label"].to_numpy()
    pred = clf.classes_[proba.argmax(axis=1)]
    score = proba[:, 1]
    metrics = {
        "accuracy": accuracy_score(y, pred),
        "precision": precision_score(y, pred, zero_division=0),
        "recall": recall_score(y, pred, zero_division=0),
        "f1": f1_score(y, pred, zero_division=0),
        "roc_auc": roc_auc_score(y, score),
        "log_loss": log_loss(y, proba, labels=[0, 1]),
        "example_count": int(len(y)),
    }
    confusion_matrix(y, pred, labels=[0, 1])
    roc_curve(y, score)
    precision_recall_curve(y, score)
    calibration_curve(y, score, n_bins=10)
    done = time.perf_counter()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({
        "wallMs": (done - started) * 1000,
        "readMs": (read - started) * 1000,
        "predictMs": (predicted - read) * 1000,
        "metricsMs": (done - predicted) * 1000,
        "cpuMs": (usage.ru_utime + usage.ru_stime) * 1000,
        "importCpuMs": import_cpu * 1000,
        "peakRssMB": usage.ru_maxrss / 1024,
        "metrics": metrics,
    }))


if __name__ == "__main__":
    main()
