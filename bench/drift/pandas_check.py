#!/usr/bin/python3
"""The drift benchmark's baseline: the default check of docs/architecture.md section 9 written the usual way,
with pandas and SciPy (what Evidently does). Prints one JSON document with its timing and results.

Usage: /usr/bin/python3 pandas_check.py REFERENCE.csv CURRENT.csv
"""
import json
import math
import resource
import sys
import time

import numpy as np
import pandas as pd
from scipy import stats
from scipy.spatial import distance


def binned(ref, cur, numerical):
    if numerical and ref.nunique() > 20:
        edges = np.linspace(min(ref.min(), cur.min()), max(ref.max(), cur.max()),
                            math.ceil(math.log2(len(ref) + len(cur)) + 1) + 1)
        return np.histogram(ref, edges)[0] / len(ref), np.histogram(cur, edges)[0] / len(cur)
    keys = sorted(set(ref.unique()) | set(cur.unique()))
    rc, cc = ref.value_counts(), cur.value_counts()
    return (np.array([rc.get(k, 0) for k in keys]) / len(ref),
            np.array([cc.get(k, 0) for k in keys]) / len(cur))


def check_column(ref, cur):
    if pd.api.types.is_float_dtype(ref):
        ctype = "numerical"
    elif pd.api.types.is_integer_dtype(ref):
        ctype = "categorical" if len(set(ref.unique()) | set(cur.unique())) <= 10 else "numerical"
    else:
        ctype = "categorical"
    n = len(ref)
    u = len(set(ref.unique()) | set(cur.unique()))
    if ctype == "numerical":
        method = ("ks" if u > 5 else "chisquare" if u >= 3 else "z") if n <= 1000 else \
            ("wasserstein" if u > 5 else "jensenshannon")
    else:
        method = ("chisquare" if u > 2 else "z") if n <= 1000 else "jensenshannon"
    p = None
    if method == "ks":
        res = stats.ks_2samp(ref, cur)
        stat, p, drifted = res.statistic, res.pvalue, res.pvalue <= 0.05
    elif method == "wasserstein":
        stat = stats.wasserstein_distance(ref, cur) / max(np.std(ref), 0.001)
        drifted = stat >= 0.1
    elif method == "jensenshannon":
        r, c = binned(ref, cur, ctype == "numerical")
        stat = distance.jensenshannon(r, c)
        drifted = stat >= 0.1
    else:
        keys = sorted(set(ref.unique()) | set(cur.unique()))
        rc, cc = ref.value_counts(), cur.value_counts()
        observed = np.array([cc.get(k, 0) for k in keys], dtype=float)
        expected = np.array([rc.get(k, 0) for k in keys], dtype=float) * len(cur) / len(ref)
        stat, p = stats.chisquare(observed, expected)
        drifted = p < 0.05
    return {"type": ctype, "method": method, "statistic": float(stat), "pValue": None if p is None else float(p),
            "drifted": bool(drifted)}


def cpu_ms():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return (usage.ru_utime + usage.ru_stime) * 1000


def main(ref_path, cur_path):
    cpu_start = cpu_ms()
    start = time.perf_counter()
    ref_df = pd.read_csv(ref_path)
    cur_df = pd.read_csv(cur_path)
    loaded = time.perf_counter()
    columns = {}
    for name in ref_df.columns:
        if name in cur_df.columns:
            columns[name] = check_column(ref_df[name].dropna(), cur_df[name].dropna())
    drifted = sum(1 for c in columns.values() if c["drifted"])
    share = drifted / len(columns)
    end = time.perf_counter()
    print(json.dumps({
        "wallMs": (end - start) * 1000,
        "loadMs": (loaded - start) * 1000,
        "cpuMs": cpu_ms() - cpu_start,
        "peakRssMB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "share": share,
        "datasetDrift": share >= 0.5,
        "columns": columns,
    }))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
