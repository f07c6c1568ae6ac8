"""Linear regression by SGD (scikit-learn SGDRegressor) on the numeric columns of a tabular dataset, exported
to ONNX.

One partial_fit() is one epoch, so every epoch can be logged as a metric step. Features and target are
standardized for SGD; the target's scaling is folded back into the exported weights.
"""

import numpy as np
from sklearn.linear_model import SGDRegressor
from sklearn.metrics import mean_squared_error, r2_score

import mlwb_io

# Mirrors recipe.yaml, so the script also runs on its own; the workbench always passes every param.
DEFAULTS = {
    "label": "target",
    "alpha": 0.0001,
    "eta0": 0.01,
    "max_iter": 50,
    "tol": 1e-6,
    "val_fraction": 0.2,
    "seed": 0,
}
# Steps without an improvement of at least tol before stopping: one noisy step must not end training.
PATIENCE = 5


def main():
    params = mlwb_io.load_params(DEFAULTS)
    seed = mlwb_io.seed(params)
    rng = np.random.default_rng(seed)
    header, rows = mlwb_io.read_table("train")
    x, y_text, features = mlwb_io.split_features(header, rows, params["label"])
    try:
        y = y_text.astype(np.float64)
    except ValueError as err:
        raise mlwb_io.Failure(f"label column {params['label']!r} is not numeric: {err}") from err
    if params["max_iter"] < 1 or params["eta0"] <= 0 or params["alpha"] < 0:
        raise mlwb_io.Failure("params max_iter must be at least 1, eta0 greater than 0 and alpha not negative")
    train, val = mlwb_io.train_val_split(len(y), params["val_fraction"], rng)
    mean, std = mlwb_io.standardizer(x[train])
    (y_mean,), (y_std,) = mlwb_io.standardizer(y[train].reshape(-1, 1))
    xs, ys = (x - mean) / std, (y - y_mean) / y_std
    print(f"{len(train)} train / {len(val)} val rows, {len(features)} features", flush=True)

    reg = SGDRegressor(alpha=params["alpha"], eta0=params["eta0"], random_state=seed)
    metrics = mlwb_io.Metrics()
    best, stale = np.inf, 0
    for step in range(1, params["max_iter"] + 1):
        reg.partial_fit(xs[train], ys[train])
        pred = reg.predict(xs) * y_std + y_mean
        if not np.all(np.isfinite(pred)):
            raise mlwb_io.Failure(f"training diverged at epoch {step}: lower eta0 (now {params['eta0']})")
        rmse = float(np.sqrt(mean_squared_error(y[train], pred[train])))
        metrics.log(
            step,
            rmse=rmse,
            r2=r2_score(y[train], pred[train]),
            val_rmse=float(np.sqrt(mean_squared_error(y[val], pred[val]))),
            val_r2=r2_score(y[val], pred[val]),
        )
        best, stale = (rmse, 0) if rmse < best - params["tol"] * y_std else (best, stale + 1)
        if stale == PATIENCE:
            print(f"converged after {step} epochs (no gain of tol in the last {PATIENCE})", flush=True)
            break

    weight = reg.coef_.reshape(-1, 1) * y_std
    bias = reg.intercept_ * y_std + y_mean
    model = to_onnx(mean, std, weight, bias, features)
    got = mlwb_io.evaluate_onnx(model, {"input": x})["prediction"][:, 0]
    gap = float(np.abs(got - pred).max() / max(1.0, float(np.abs(pred).max())))
    print(f"onnx check: max relative |onnx - sklearn| difference {gap:.2e}", flush=True)
    if gap > 1e-4:
        raise mlwb_io.Failure(f"the exported ONNX model disagrees with scikit-learn by {gap:.2e}")
    mlwb_io.save_model(model, signature(features, params["label"]))


def to_onnx(mean, std, weight, bias, features):
    from onnx import TensorProto, helper, numpy_helper

    def const(name, value):
        return numpy_helper.from_array(np.asarray(value, dtype=np.float32), name)

    nodes = [
        helper.make_node("Sub", ["input", "mean"], ["centered"]),
        helper.make_node("Div", ["centered", "std"], ["scaled"]),
        helper.make_node("MatMul", ["scaled", "weight"], ["product"]),
        helper.make_node("Add", ["product", "bias"], ["prediction"]),
    ]
    graph = helper.make_graph(
        nodes,
        "linear_regression",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", len(features)])],
        [helper.make_tensor_value_info("prediction", TensorProto.FLOAT, ["N", 1])],
        [const("mean", mean), const("std", std), const("weight", weight), const("bias", bias)],
    )
    # IR 8 / opset 13: old enough for every onnxruntime 1.1x+ (onnxruntime-node included).
    model = helper.make_model(graph, producer_name="mlwb sklearn-regression", opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    helper.set_model_props(model, {"features": ",".join(features)})
    return model


def signature(features, label):
    import sklearn

    return {
        "task": "regression",
        "framework": f"scikit-learn {sklearn.__version__}",
        "estimator": "SGDRegressor",
        "inputs": [{"name": "input", "type": "float32", "shape": [-1, len(features)], "columns": features}],
        "outputs": [{"name": "prediction", "type": "float32", "shape": [-1, 1]}],
        "label": label,
    }


if __name__ == "__main__":
    mlwb_io.run(main)
