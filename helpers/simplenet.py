"""SimpleNet (Smietanka & Maka 2023, §3.2, Fig 7) in Keras, its training, and Table 2.

Three 3 × 3 valid Conv2D layers with ReLU (64, 128, 256 filters in the paper), max-pooling
over time only (1 × 2) after the first two and 2 × 2 after the third, Flatten, Dense 128
ReLU, Dropout 0.5, Dense softmax. With a 96 × 202 input the last conv map is 90 × 47.
Adam (1e-3) and cross-entropy are all the paper states: epochs, batch size and early
stopping are our choices (parameters of `train`). The softmax is a separate layer named
"probabilities" after a Dense layer named "logits", so Grad-CAM can target either.

TensorFlow is imported lazily, so importing this module stays cheap.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import memo, memory
from .errors import InvalidParameterError

PAPER_FILTERS = (64, 128, 256)
INPUT_SHAPE = (96, 202, 1)
LAST_CONV = "last_conv"
TABLE2_PAPER = {"SimpleNet": (90, 47), "VGG16": (6, 12), "ResNet50": (3, 7), "MobileNet": (3, 6),
                "InceptionV3": (1, 4)}


def _check_filters(filters) -> tuple[int, int, int]:
    filters = tuple(int(f) for f in filters)
    if len(filters) != 3 or min(filters) < 1:
        raise InvalidParameterError(f"invalid filters {filters!r}; give three positive integers, e.g. (64, 128, 256)")
    return filters


def build_simplenet(n_classes: int, input_shape=INPUT_SHAPE, filters=PAPER_FILTERS, dense_units: int = 128,
                    dropout: float = 0.5, learning_rate: float = 1e-3):
    """The compiled functional Keras model (sparse categorical cross-entropy, Adam)."""
    import keras
    from keras import layers

    filters = _check_filters(filters)
    if int(n_classes) < 2:
        raise InvalidParameterError(f"invalid n_classes {n_classes!r}; need at least 2")
    inputs = keras.Input(shape=tuple(input_shape), name="cqt")
    x = layers.Conv2D(filters[0], 3, activation="relu", name="conv1")(inputs)
    x = layers.MaxPooling2D((1, 2), name="pool1")(x)
    x = layers.Conv2D(filters[1], 3, activation="relu", name="conv2")(x)
    x = layers.MaxPooling2D((1, 2), name="pool2")(x)
    x = layers.Conv2D(filters[2], 3, activation="relu", name=LAST_CONV)(x)
    x = layers.MaxPooling2D((2, 2), name="pool3")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(dense_units, activation="relu", name="dense")(x)
    x = layers.Dropout(dropout, name="dropout")(x)
    logits = layers.Dense(int(n_classes), name="logits")(x)
    outputs = layers.Activation("softmax", name="probabilities")(logits)
    model = keras.Model(inputs, outputs, name="SimpleNet")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def layer_table(model) -> list[dict]:
    """name, kind, output shape (without batch) and parameter count of each layer (for Fig 7)."""
    rows = []
    for layer in model.layers:
        shape = tuple(layer.output.shape[1:])
        rows.append(dict(layer=layer.name, kind=type(layer).__name__, output_shape=" × ".join(map(str, shape)),
                         parameters=int(layer.count_params())))
    return rows


def layer_table_for(n_classes: int, filters=PAPER_FILTERS, input_shape=INPUT_SHAPE, dense_units: int = 128) -> list[dict]:
    """`layer_table` of `build_simplenet(n_classes, input_shape, filters)` computed from the
    architecture instead of building it: the paper-sized model has 34 million weights, and
    building it only to draw Fig 7 cost this kernel ≈ 0.3 GB it never gave back."""
    filters = _check_filters(filters)
    height, width, channels = (int(v) for v in input_shape)
    rows = [("cqt", "InputLayer", (height, width, channels), 0)]
    for name, pool, count in (("conv1", (1, 2), filters[0]), ("conv2", (1, 2), filters[1]),
                              (LAST_CONV, (2, 2), filters[2])):
        params = (9 * channels + 1) * count  # 3 × 3 kernels over `channels` inputs, plus biases
        height, width, channels = height - 2, width - 2, count
        rows.append((name, "Conv2D", (height, width, channels), params))
        height, width = height // pool[0], width // pool[1]
        rows.append((f"pool{name[-1] if name != LAST_CONV else 3}", "MaxPooling2D", (height, width, channels), 0))
    flat = height * width * channels
    rows += [("flatten", "Flatten", (flat,), 0), ("dense", "Dense", (dense_units,), (flat + 1) * dense_units),
             ("dropout", "Dropout", (dense_units,), 0),
             ("logits", "Dense", (int(n_classes),), (dense_units + 1) * int(n_classes)),
             ("probabilities", "Activation", (int(n_classes),), 0)]
    return [dict(layer=name, kind=kind, output_shape=" × ".join(map(str, shape)), parameters=params)
            for name, kind, shape, params in rows]


def import_tensorflow_quietly() -> None:
    """Import TensorFlow and Keras with file descriptor 2 pointed at /dev/null.

    This TensorFlow writes its C++ start-up lines (absl, oneDNN, CPU features) straight to
    fd 2 whatever TF_CPP_MIN_LOG_LEVEL says, and ipykernel stores fd-level output in the
    notebook. Python-level errors still surface: an ImportError is raised after fd 2 is back."""
    import os
    import sys

    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            import keras  # noqa: F401
            import tensorflow  # noqa: F401
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def seed_tf(seed: int) -> None:
    """keras.utils.set_random_seed + deterministic ops (call before building a model)."""
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(int(seed))
    try:
        tf.config.experimental.enable_op_determinism()
    except Exception:  # pragma: no cover - older TF
        pass


def train(model, x_train, y_train, x_val, y_val, epochs: int = 30, batch_size: int = 16, patience: int = 8):
    """Fit with early stopping on validation loss, restoring the best epoch (our choices).
    Returns the number of epochs run."""
    import keras

    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=int(patience), restore_best_weights=True)
    history = model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=int(epochs),
                        batch_size=int(batch_size), shuffle=True, verbose=0, callbacks=[stop])
    return len(history.history["loss"])


def predict(model, x, batch_size: int = 64) -> np.ndarray:
    """Softmax outputs in inference mode (a direct call: no per-model tf.function retracing)."""
    if len(x) == 0:
        return np.zeros((0, int(model.output.shape[-1])), dtype=np.float32)
    return np.concatenate([np.asarray(model(x[i:i + batch_size], training=False)) for i in range(0, len(x), batch_size)])


@dataclass
class ModelRun:
    """One trained model: test predictions and the raw Grad-CAM maps of its correct test samples."""

    index: int
    accuracy: float
    epochs: int
    y_pred: np.ndarray
    correct: np.ndarray  # positions in the test set
    maps: np.ndarray  # (n_correct, H, W) raw maps
    weights_path: str = ""
    extra: dict = field(default_factory=dict)


def last_conv_shape(model) -> tuple[int, int]:
    """(H, W) of the last Conv2D layer (not depthwise) of a Keras model."""
    from keras import layers

    convs = [l for l in model.layers if isinstance(l, layers.Conv2D) and not isinstance(l, layers.DepthwiseConv2D)]
    if not convs:
        raise ValueError(f"{model.name} has no Conv2D layer")
    shape = convs[-1].output.shape
    return int(shape[1]), int(shape[2])


def table2_shapes(input_shape=INPUT_SHAPE, applications: bool = True) -> list[dict]:
    """Last-Conv2D map sizes of SimpleNet (paper filters) and, if `applications`, of VGG16,
    ResNet50, MobileNet and InceptionV3 built with weights=None and no top on the same input.
    Builds each model once and frees it before the next."""
    import keras

    rows = []
    net = build_simplenet(6, input_shape, PAPER_FILTERS)
    rows.append(dict(model="SimpleNet", shape=last_conv_shape(net)))
    del net
    if applications:
        builders = {"VGG16": keras.applications.VGG16, "ResNet50": keras.applications.ResNet50,
                    "MobileNet": keras.applications.MobileNet, "InceptionV3": keras.applications.InceptionV3}
        for name, builder in builders.items():
            model = builder(weights=None, include_top=False, input_shape=tuple(input_shape))
            rows.append(dict(model=name, shape=last_conv_shape(model)))
            del model
            keras.backend.clear_session()
    out = []
    for row in rows:
        paper = TABLE2_PAPER[row["model"]]
        out.append(dict(model=row["model"], height=row["shape"][0], width=row["shape"][1],
                        shape=f"{row['shape'][0]} × {row['shape'][1]}", paper=f"{paper[0]} × {paper[1]}",
                        agrees="yes" if tuple(row["shape"]) == paper else "no"))
    return out


def save_weights(model, path) -> str:
    """Atomic `model.save_weights` (Keras needs the .weights.h5 suffix on the temp name too)."""
    import os
    from pathlib import Path

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.part.weights.h5")
    try:
        model.save_weights(str(tmp))
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return str(path)


def _weights_kept(runs: list[ModelRun]) -> bool:
    return all(not run.weights_path or Path(run.weights_path).is_file() for run in runs)


@memo.cached(valid=_weights_kept)
def run_models(x: np.ndarray, y: np.ndarray, subset, n_classes: int, n_models: int = 2, filters=PAPER_FILTERS,
               epochs: int = 30, batch_size: int = 16, patience: int = 8, seed: int = 0, target: str = "softmax",
               weights_path=None, explain: bool = True) -> list[ModelRun]:
    """Train `n_models` SimpleNets (seeds seed, seed+1, …) on one gender's split; right after
    each one, compute its test predictions and the Grad-CAM maps of its correctly classified
    test samples for their true class, then free it. Only the best model so far (highest test
    accuracy, the paper's criterion) is written to `weights_path` (a cache file).
    `explain=False` skips the Grad-CAM maps (then `maps` is empty). Read from the result cache
    (`helpers.memo`) when the same data and settings ran before and the weights file is still there."""
    import keras

    from .gradcam import grad_cam

    subset = np.asarray(subset)
    train_i, val_i, test_i = (np.flatnonzero(subset == s) for s in ("train", "val", "test"))
    runs, best = [], -1.0
    for k in range(int(n_models)):
        before = memory.traced_gradients()
        seed_tf(int(seed) + k)
        model = build_simplenet(n_classes, x.shape[1:], filters)
        n_epochs = train(model, x[train_i], y[train_i], x[val_i], y[val_i], epochs, batch_size, patience)
        y_pred = predict(model, x[test_i]).argmax(axis=1)
        correct = np.flatnonzero(y_pred == y[test_i])
        maps = (grad_cam(model, x[test_i][correct], y[test_i][correct], target=target) if explain
                else np.zeros((0,) + tuple(model.get_layer(LAST_CONV).output.shape[1:3]), dtype=np.float32))
        accuracy = float(np.mean(y_pred == y[test_i]))
        saved = ""
        if weights_path is not None and accuracy > best:
            saved = save_weights(model, weights_path)
        best = max(best, accuracy)
        runs.append(ModelRun(k + 1, accuracy, n_epochs, y_pred, correct, maps, saved))
        del model
        memory.release(keras_session=True, gradients_since=before)  # its traced graphs, 60-100 MB
    return runs


def best_run(runs: list[ModelRun]) -> ModelRun:
    """Highest test accuracy (first on ties): the paper's choice, optimistic by construction."""
    return max(runs, key=lambda run: (run.accuracy, -run.index))


def draw_architecture(ax, rows: list[dict]) -> None:
    """Paper Fig 7 drawn from the model: one box per layer with its output shape and parameters."""
    from matplotlib.patches import Rectangle

    colours = {"Conv2D": "#9ecae1", "MaxPooling2D": "#fdae6b", "Dense": "#a1d99b", "Dropout": "#d9d9d9",
               "Flatten": "#d9d9d9", "InputLayer": "#ffffff", "Activation": "#a1d99b"}
    n = len(rows)
    for i, row in enumerate(rows):
        x = i / n
        ax.add_patch(Rectangle((x + 0.005, 0.25), 1 / n - 0.01, 0.5, facecolor=colours.get(row["kind"], "#ffffff"),
                               edgecolor="#333333", linewidth=0.7))
        ax.text(x + 0.5 / n, 0.5, f"{row['layer']}\n{row['output_shape']}", ha="center", va="center",
                fontsize=6, rotation=90)
        ax.text(x + 0.5 / n, 0.18, f"{row['parameters']:,}", ha="center", va="top", fontsize=5.5, rotation=90)
    ax.set(xlim=(0, 1), ylim=(0, 0.8))
    ax.axis("off")
