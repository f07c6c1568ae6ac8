"""The workbench's container contract (DESIGN.md section 5) for recipes: params, metrics, data, failure.

One source for every recipe: the workbench puts this file into each run's code snapshot, next to the
recipe's own files, as /workbench/code/mlwb_io.py (`import mlwb_io`), unless the recipe folder has a
mlwb_io.py of its own. Being in the snapshot, it is part of the recipe digest, so a re-run gets the
very same file; a `build:` recipe's Dockerfile can COPY it from its build context.
"""

import csv
import json
import math
import os
import sys
import time
import traceback
from pathlib import Path

import numpy as np

ROOT = Path(os.environ.get("MLWB_ROOT", "/workbench"))
OUTPUT = ROOT / "output"
MODEL_DIR = OUTPUT / "model"

TABLE_DELIMITERS = {".csv": ",", ".tsv": "\t", ".tab": "\t"}


class Failure(Exception):
    """An error the user can fix; its message goes to /workbench/output/failure as is."""


def run(main):
    """Runs main(), turning any error into a failure file and a non-zero exit."""
    try:
        main()
    except Failure as err:
        _fail(str(err))
    except Exception as err:  # noqa: BLE001 - whatever breaks, the run must say why
        traceback.print_exc()
        _fail(f"unexpected error: {type(err).__name__}: {err}")


def _fail(reason):
    print(f"FAILED: {reason}", file=sys.stderr, flush=True)
    OUTPUT.mkdir(parents=True, exist_ok=True)
    (OUTPUT / "failure").write_text(reason + "\n")
    sys.exit(1)


def load_params(defaults):
    """params.json, then MLWB_PARAM_<NAME> (env wins, so `docker run -e` can override), typed by the defaults."""
    params = dict(defaults)
    config = ROOT / "input" / "config" / "params.json"
    if config.is_file():
        try:
            params.update(json.loads(config.read_text()))
        except json.JSONDecodeError as err:
            raise Failure(f"{config} is not valid JSON: {err}") from err
    for name in defaults:
        raw = os.environ.get(f"MLWB_PARAM_{name}", os.environ.get(f"MLWB_PARAM_{name.upper()}"))
        if raw is not None:
            params[name] = raw
    for name, default in defaults.items():
        params[name] = _coerce(name, params[name], type(default))
    return params


def _coerce(name, value, kind):
    try:
        if kind is bool and isinstance(value, str):
            if value.lower() not in ("true", "false", "1", "0"):
                raise ValueError(value)
            return value.lower() in ("true", "1")
        if kind is int and isinstance(value, float) and not value.is_integer():
            raise ValueError(value)
        return kind(value)
    except (TypeError, ValueError) as err:
        raise Failure(f"param {name}={value!r} is not a valid {kind.__name__}") from err


def seed(params):
    raw = os.environ.get("MLWB_SEED")
    return int(raw) if raw not in (None, "") else int(params.get("seed", 0))


class Metrics:
    """Writes each metric to metrics.jsonl (flushed, as the workbench reads it live) and one line to stdout
    that the recipe's regexes match."""

    def __init__(self):
        OUTPUT.mkdir(parents=True, exist_ok=True)
        self._file = open(OUTPUT / "metrics.jsonl", "a", encoding="utf-8")  # noqa: SIM115

    def log(self, step, **values):
        now = int(time.time() * 1000)
        for key, value in values.items():
            # JSON has no NaN/Infinity; a diverging run shows on stdout instead.
            if math.isfinite(value):
                line = {"key": key, "value": float(value), "step": step, "timestamp": now}
                self._file.write(json.dumps(line) + "\n")
        self._file.flush()
        print(f"step={step} " + " ".join(f"{k}={v:.6g}" for k, v in values.items()), flush=True)


def read_table(channel="train"):
    """All CSV/TSV files of a dataset channel, concatenated: (header, rows of strings)."""
    folder = ROOT / "input" / "data" / channel
    if not folder.is_dir():
        raise Failure(f"no dataset mounted at {folder}: start the run with --dataset {channel}=NAME@VERSION")
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in TABLE_DELIMITERS)
    if not files:
        seen = sorted({p.suffix or p.name for p in folder.rglob("*") if p.is_file()})
        raise Failure(f"no .csv or .tsv file in {folder} (found: {', '.join(seen) or 'nothing'})")
    header, rows = None, []
    for path in files:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f, delimiter=TABLE_DELIMITERS[path.suffix.lower()])
            head = [c.strip() for c in next(reader, [])]
            if header is None:
                header = head
            elif head != header:
                raise Failure(f"{path.relative_to(folder)} has other columns than {files[0].relative_to(folder)}")
            rows.extend(r for r in reader if any(c.strip() for c in r))
    print(f"read {len(rows)} rows from {len(files)} file(s) in {folder}", flush=True)
    return header, rows


def split_features(header, rows, label):
    """Numeric feature matrix (float64), the raw label column, and the feature names.

    A column is a feature when every non-empty value parses as a number; other columns are left out
    (and named on stdout). Rows with a missing feature or label are dropped: the ONNX model has no
    imputation, so training on imputed values would not match what it serves.
    """
    if label not in header:
        raise Failure(f"label column {label!r} not found; columns are: {', '.join(header)}")
    total, width = len(rows), len(header)
    rows = [r for r in rows if len(r) == width]
    li = header.index(label)
    features, skipped = [], []
    for i, name in enumerate(header):
        if i == li:
            continue
        (features if all(_is_number(r[i]) for r in rows) else skipped).append(i)
    if skipped:
        print(f"non-numeric columns left out: {', '.join(header[i] for i in skipped)}", flush=True)
    if not features:
        raise Failure(f"no numeric feature column besides the label {label!r}")
    kept = [r for r in rows if r[li].strip() and all(r[i].strip() for i in features)]
    if len(kept) < total:
        print(f"dropped {total - len(kept)} row(s) with missing values or a wrong number of fields", flush=True)
    x = np.array([[float(r[i]) for i in features] for r in kept], dtype=np.float64).reshape(len(kept), -1)
    y = np.array([r[li].strip() for r in kept], dtype=object)
    return x, y, [header[i] for i in features]


def _is_number(text):
    text = text.strip()
    if not text:
        return True
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def train_val_split(n, val_fraction, rng):
    if not 0 < val_fraction < 1:
        raise Failure(f"param val_fraction={val_fraction} must be between 0 and 1")
    order = rng.permutation(n)
    n_val = max(1, int(round(n * val_fraction)))
    if n - n_val < 2:
        raise Failure(f"only {n} usable row(s): too few to train and validate")
    return order[n_val:], order[:n_val]


def standardizer(x):
    """Mean and std of the training features; a constant column gets std 1 so it stays finite."""
    mean = x.mean(axis=0)
    std = x.std(axis=0)
    std[std == 0] = 1.0
    return mean, std


def save_model(model_proto, signature):
    import onnx  # slow to import: only once training has succeeded

    onnx.checker.check_model(model_proto, full_check=True)
    MODEL_DIR.mkdir(parents=True, exist_ok=True)
    onnx.save(model_proto, str(MODEL_DIR / "model.onnx"))
    (MODEL_DIR / "signature.json").write_text(json.dumps(signature, indent=2) + "\n")
    print(f"wrote {MODEL_DIR / 'model.onnx'} and signature.json", flush=True)


def evaluate_onnx(model_proto, feeds):
    """Runs the graph with numpy, float32 as onnxruntime does: the image has no onnxruntime, and this is
    how a run proves its exported model computes what the fitted estimator computes."""
    from onnx import helper, numpy_helper

    env = {t.name: numpy_helper.to_array(t) for t in model_proto.graph.initializer}
    env.update({k: np.asarray(v, dtype=np.float32) for k, v in feeds.items()})
    for node in model_proto.graph.node:
        args = [env[name] for name in node.input]
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        op = node.op_type
        if op in _BINARY:
            out = _BINARY[op](*args)
        elif op == "Softmax":
            axis = attrs.get("axis", -1)
            e = np.exp(args[0] - args[0].max(axis=axis, keepdims=True))
            out = e / e.sum(axis=axis, keepdims=True)
        elif op == "ArgMax":
            out = np.argmax(args[0], axis=attrs.get("axis", 0)).astype(np.int64)
            if attrs.get("keepdims", 1):
                out = np.expand_dims(out, attrs.get("axis", 0))
        else:
            raise NotImplementedError(f"evaluate_onnx has no {op}")
        env[node.output[0]] = out
    return {o.name: env[o.name] for o in model_proto.graph.output}


_BINARY = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": np.divide, "MatMul": np.matmul}
