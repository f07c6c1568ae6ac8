"""Multinomial logistic regression (scikit-learn) on the numeric columns of a tabular dataset, exported to ONNX.

lbfgs is run one iteration per fit() with warm_start, so every iteration can be logged as a metric step.
"""

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, log_loss

import mlwb_io

# Mirrors recipe.yaml, so the script also runs on its own; the workbench always passes every param.
DEFAULTS = {"label": "target", "C": 1.0, "max_iter": 100, "tol": 1e-6, "val_fraction": 0.2, "seed": 0}
# Steps without an improvement of at least tol before stopping: one noisy step must not end training.
PATIENCE = 5


def main():
    params = mlwb_io.load_params(DEFAULTS)
    rng = np.random.default_rng(mlwb_io.seed(params))
    header, rows = mlwb_io.read_table("train")
    x, y, features = mlwb_io.split_features(header, rows, params["label"])
    classes = np.unique(y)
    if len(classes) < 2:
        raise mlwb_io.Failure(f"label column {params['label']!r} has a single class: {classes[0]!r}")
    if params["max_iter"] < 1 or params["C"] <= 0:
        raise mlwb_io.Failure("params max_iter must be at least 1 and C greater than 0")
    train, val = mlwb_io.train_val_split(len(y), params["val_fraction"], rng)
    mean, std = mlwb_io.standardizer(x[train])
    xs = (x - mean) / std
    print(f"{len(train)} train / {len(val)} val rows, {len(features)} features, {len(classes)} classes", flush=True)

    clf = LogisticRegression(C=params["C"], max_iter=1, warm_start=True)
    # lbfgs is deterministic: the seed only decides the train/validation split.
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    metrics = mlwb_io.Metrics()
    best, stale = np.inf, 0
    for step in range(1, params["max_iter"] + 1):
        clf.fit(xs[train], y[train])
        p_train, p_val = clf.predict_proba(xs[train]), clf.predict_proba(xs[val])
        loss = log_loss(y[train], p_train, labels=clf.classes_)
        metrics.log(
            step,
            loss=loss,
            accuracy=accuracy_score(y[train], clf.classes_[p_train.argmax(1)]),
            val_loss=log_loss(y[val], p_val, labels=clf.classes_),
            val_accuracy=accuracy_score(y[val], clf.classes_[p_val.argmax(1)]),
        )
        best, stale = (loss, 0) if loss < best - params["tol"] else (best, stale + 1)
        if stale == PATIENCE:
            print(f"converged after {step} iterations (no gain of tol in the last {PATIENCE})", flush=True)
            break

    model = to_onnx(clf, mean, std, features)
    got = mlwb_io.evaluate_onnx(model, {"input": x})
    gap = float(np.abs(got["probabilities"] - clf.predict_proba(xs)).max())
    print(f"onnx check: max |onnx - sklearn| probability difference {gap:.2e}", flush=True)
    if gap > 1e-4:
        raise mlwb_io.Failure(f"the exported ONNX model disagrees with scikit-learn by {gap:.2e}")
    mlwb_io.save_model(model, signature(features, clf.classes_, params["label"]))


def to_onnx(clf, mean, std, features):
    from onnx import TensorProto, helper, numpy_helper

    # Binary logistic regression has one logit; [0, z] through Softmax gives exactly [1 - sigmoid(z), sigmoid(z)],
    # so both cases share one graph and one output shape.
    weight, bias = clf.coef_.T, clf.intercept_
    if len(clf.classes_) == 2:
        weight, bias = np.hstack([np.zeros_like(weight), weight]), np.concatenate([[0.0], bias])
    n_features, n_classes = len(features), len(clf.classes_)

    def const(name, value):
        return numpy_helper.from_array(np.asarray(value, dtype=np.float32), name)

    nodes = [
        helper.make_node("Sub", ["input", "mean"], ["centered"]),
        helper.make_node("Div", ["centered", "std"], ["scaled"]),
        helper.make_node("MatMul", ["scaled", "weight"], ["product"]),
        helper.make_node("Add", ["product", "bias"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["probabilities"], axis=1),
        helper.make_node("ArgMax", ["probabilities"], ["label"], axis=1, keepdims=0),
    ]
    graph = helper.make_graph(
        nodes,
        "logistic_regression",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", n_features])],
        [
            helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", n_classes]),
            helper.make_tensor_value_info("label", TensorProto.INT64, ["N"]),
        ],
        [const("mean", mean), const("std", std), const("weight", weight), const("bias", bias)],
    )
    # IR 8 / opset 13: old enough for every onnxruntime 1.1x+ (onnxruntime-node included).
    model = helper.make_model(graph, producer_name="mlwb sklearn-classifier", opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    helper.set_model_props(model, {"features": ",".join(features), "classes": ",".join(map(str, clf.classes_))})
    return model


def signature(features, classes, label):
    import sklearn

    return {
        "task": "classification",
        "framework": f"scikit-learn {sklearn.__version__}",
        "estimator": "LogisticRegression",
        "inputs": [{"name": "input", "type": "float32", "shape": [-1, len(features)], "columns": features}],
        "outputs": [
            {"name": "probabilities", "type": "float32", "shape": [-1, len(classes)]},
            {"name": "label", "type": "int64", "shape": [-1], "description": "index into classes"},
        ],
        "label": label,
        "classes": [str(c) for c in classes],
    }


if __name__ == "__main__":
    mlwb_io.run(main)
