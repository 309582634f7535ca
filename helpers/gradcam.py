"""Grad-CAM (Selvaraju et al. 2017) as Smietanka & Maka use it (§2.2, Eqs. 3–5), and their masks (Eqs. 1–2).

G = ReLU(Σ_k α_k A^k), α_k = mean over the H × W cells of ∂y_c/∂A^k, with A the last
conv layer's output and y_c the softmax output of the true class (the paper's choice; the
pre-softmax logit is an option). Gradients come from `tf.GradientTape`, as in the paper.

Upscaling to the input size (96 × 202). The paper scales the 90 × 47 map to the input size
(§3.3.1) without saying how; a plain bilinear stretch puts cell (i, j) where it would sit if
the map covered the input edge to edge. It does not: SimpleNet's valid 3 × 3 convolutions
and 1 × 2 poolings give cell (i, j) a receptive field of 7 rows × 18 columns centred on input
row i + 3 and column 4j + 8.5 (`receptive_field`, derived from the layer stack). The stretch
therefore misplaces edge cells by up to ≈ 3 CQT bins (semitones) and ≈ 7 columns
(≈ 160 ms at hop 512). `upscale` places every cell at its receptive-field centre and
interpolates linearly from there (default, "receptive_field"); method="resize" keeps the
plain stretch for comparison.
"""
from __future__ import annotations

import numpy as np

from .errors import check_choice

TARGETS = ("softmax", "logit")


def grad_cam(model, x: np.ndarray, class_index, layer: str = "last_conv", target: str = "softmax",
             batch_size: int = 32) -> np.ndarray:
    """Raw Grad-CAM maps (n, H, W) of `layer` for class `class_index[i]` of each input x[i].

    The model must have layers named `layer`, "logits" (pre-softmax) and its softmax output.
    Samples are independent (inference mode: dropout off), so one tape over a batch gives each
    sample's own gradient."""
    import keras
    import tensorflow as tf

    check_choice("target", target, TARGETS)
    class_index = np.broadcast_to(np.asarray(class_index, dtype=np.int32), (len(x),))
    probe = keras.Model(model.inputs, [model.get_layer(layer).output, model.get_layer("logits").output,
                                       model.outputs[0]])
    maps = []
    for start in range(0, len(x), batch_size):
        batch = tf.convert_to_tensor(x[start:start + batch_size])
        classes = tf.convert_to_tensor(class_index[start:start + batch_size])
        with tf.GradientTape() as tape:
            features, logits, probabilities = probe(batch, training=False)
            scores = probabilities if target == "softmax" else logits
            chosen = tf.gather(scores, classes, axis=1, batch_dims=1)
        gradients = tape.gradient(chosen, features)  # d y_c / d A, (b, H, W, K)
        alpha = tf.reduce_mean(gradients, axis=(1, 2), keepdims=True)  # Eq. 4
        maps.append(tf.nn.relu(tf.reduce_sum(alpha * features, axis=-1)).numpy())  # Eq. 5
    if not maps:
        return np.zeros((0,) + tuple(model.get_layer(layer).output.shape[1:3]), dtype=np.float32)
    return np.concatenate(maps).astype(np.float32)


UPSCALE_METHODS = ("receptive_field", "resize")
# Layers that leave the spatial geometry alone (skipped when deriving receptive fields).
_NEUTRAL_LAYERS = ("InputLayer", "Activation", "ReLU", "LeakyReLU", "BatchNormalization", "Dropout",
                   "SpatialDropout2D", "Rescaling", "Normalization", "LayerNormalization")


def _pair(value) -> tuple[int, int]:
    return (int(value), int(value)) if np.isscalar(value) else (int(value[0]), int(value[1]))


def geometry_stack(model, layer: str = "last_conv") -> list[dict]:
    """The spatial operations from the input up to `layer` of a chain-shaped Keras model:
    one dict per Conv2D / pooling / ZeroPadding2D with kernel, strides, dilation, padding
    ("valid" / "same") and explicit pads ((top, bottom), (left, right)). Layers that do not
    move cells (activations, normalisation, dropout) are skipped; anything else (a branch, a
    reshape) raises, because a receptive-field centre is then not defined by one chain."""
    from keras import layers as L

    stack = []
    for current in model.layers:
        kind = type(current).__name__
        if isinstance(current, (L.Conv2D, L.DepthwiseConv2D)):
            stack.append(dict(name=current.name, kernel=_pair(current.kernel_size), strides=_pair(current.strides),
                              dilation=_pair(current.dilation_rate), padding=current.padding, pads=((0, 0), (0, 0))))
        elif isinstance(current, (L.MaxPooling2D, L.AveragePooling2D)):
            stack.append(dict(name=current.name, kernel=_pair(current.pool_size), strides=_pair(current.strides),
                              dilation=(1, 1), padding=current.padding, pads=((0, 0), (0, 0))))
        elif isinstance(current, L.ZeroPadding2D):
            stack.append(dict(name=current.name, kernel=(1, 1), strides=(1, 1), dilation=(1, 1), padding="valid",
                              pads=tuple(tuple(int(p) for p in axis) for axis in current.padding)))
        elif kind not in _NEUTRAL_LAYERS:
            raise ValueError(f"cannot derive receptive fields through layer {current.name!r} ({kind}); "
                             "use upscale(..., method='resize') for this model")
        if current.name == layer:
            return stack
    raise ValueError(f"model {model.name!r} has no layer {layer!r}")


def receptive_field(stack: list[dict], input_size) -> list[dict]:
    """Per axis (rows, then columns): output cells `n`, centre of cell 0 `start` (input pixel
    units, pixel k at k), `jump` between neighbouring cells and receptive-field `size`.

    Recurrence over the stack: a layer with kernel k (dilated: d(k − 1) + 1), stride s and
    leading padding p maps output cell o to its input cells o·s − p … o·s − p + k − 1, so
    start += jump · ((k − 1)/2 − p), jump *= s, size += (k − 1) · jump. "same" padding
    follows TensorFlow: total max((⌈n/s⌉ − 1)·s + k − n, 0), the smaller half in front."""
    axes = []
    for axis, n in enumerate(input_size[:2]):
        n, start, jump, size = int(n), 0.0, 1.0, 1.0
        for op in stack:
            k = op["dilation"][axis] * (op["kernel"][axis] - 1) + 1
            s = op["strides"][axis]
            before, after = op["pads"][axis]
            n += before + after
            start -= jump * before
            if op["padding"] == "same":
                out = -(-n // s)
                total = max((out - 1) * s + k - n, 0)
                before = total // 2
            else:
                out = (n - k) // s + 1
                before = 0
            if out < 1:
                raise ValueError(f"layer {op.get('name', '?')} leaves no cells on axis {axis} ({n} in, kernel {k})")
            start += jump * ((k - 1) / 2 - before)
            size += (k - 1) * jump
            jump *= s
            n = out
        axes.append(dict(n=n, start=start, jump=jump, size=size))
    return axes


def cell_centres(stack: list[dict], input_size) -> tuple[np.ndarray, np.ndarray]:
    """Input-pixel coordinates (rows, columns) of the receptive-field centre of every cell."""
    rows, cols = receptive_field(stack, input_size)
    return (rows["start"] + rows["jump"] * np.arange(rows["n"]), cols["start"] + cols["jump"] * np.arange(cols["n"]))


def simplenet_stack(filters=(1, 1, 1)) -> list[dict]:
    """SimpleNet's stack up to `last_conv` without building a model (see helpers.simplenet)."""
    conv = dict(kernel=(3, 3), strides=(1, 1), dilation=(1, 1), padding="valid", pads=((0, 0), (0, 0)))
    return [dict(conv, name="conv1"), dict(conv, name="pool1", kernel=(1, 2), strides=(1, 2)),
            dict(conv, name="conv2"), dict(conv, name="pool2", kernel=(1, 2), strides=(1, 2)),
            dict(conv, name="last_conv")]


def _interpolation_matrix(centres: np.ndarray, n_out: int) -> np.ndarray:
    """(n_out, len(centres)): linear interpolation from values at `centres` to pixels 0 … n_out − 1,
    constant beyond the outermost centres (those pixels still lie in the edge cells' fields)."""
    identity = np.eye(len(centres))
    pixels = np.arange(n_out, dtype=np.float64)
    return np.stack([np.interp(pixels, centres, identity[:, c]) for c in range(len(centres))], axis=1)


def upscale(maps: np.ndarray, size=(96, 202), method: str = "receptive_field", centres=None) -> np.ndarray:
    """(n, H, W) raw maps to (n, *size) input pixels.

    method="receptive_field" (default): cell (i, j) sits at its receptive-field centre
    (`centres` = (row_centres, column_centres), e.g. from `cell_centres(geometry_stack(model),
    size)`; None assumes SimpleNet's stack, which must then produce H × W on `size`), linear
    interpolation between centres, constant beyond the outermost ones. method="resize": the
    plain bilinear stretch over the whole input (tf.image.resize, half-pixel centres), which
    is what "scaling the map to the input size" usually means."""
    check_choice("method", method, UPSCALE_METHODS)
    maps = np.asarray(maps, dtype=np.float32)
    if len(maps) == 0:
        return np.zeros((0,) + tuple(size), dtype=np.float32)
    if method == "resize":
        import tensorflow as tf

        resized = tf.image.resize(maps[..., None], tuple(size), method="bilinear").numpy()[..., 0]
        return np.maximum(resized, 0.0).astype(np.float32)
    if centres is None:
        centres = cell_centres(simplenet_stack(), size)
    row_centres, col_centres = (np.asarray(c, dtype=np.float64) for c in centres)
    if (len(row_centres), len(col_centres)) != maps.shape[1:3]:
        raise ValueError(f"maps of {maps.shape[1]} × {maps.shape[2]} cells but {len(row_centres)} × {len(col_centres)} "
                         f"receptive-field centres for input {tuple(size)}; pass centres=cell_centres(geometry_stack(model), "
                         "size) for another network, or method='resize'")
    rows = _interpolation_matrix(row_centres, int(size[0]))
    cols = _interpolation_matrix(col_centres, int(size[1]))
    placed = np.einsum("rh,nhw,cw->nrc", rows, maps.astype(np.float64), cols)
    return np.maximum(placed, 0.0).astype(np.float32)


def emotion_masks(maps: np.ndarray, emotions, order=None) -> dict:
    """Eq. 1: R^(L) = Σ of the maps of the correctly classified samples of emotion L.
    Emotions with no correct sample get an all-zero mask."""
    emotions = np.asarray(emotions)
    order = sorted(set(emotions)) if order is None else list(order)
    shape = maps.shape[1:]
    return {e: maps[emotions == e].sum(axis=0) if (emotions == e).any() else np.zeros(shape, maps.dtype)
            for e in order}


def sum_masks(per_model: list[dict]) -> dict:
    """Eq. 2: R̂^(L) = Σ over models of R^(L,k)."""
    keys = per_model[0].keys()
    return {key: np.sum([masks[key] for masks in per_model], axis=0) for key in keys}


def _box(ax, x, y, text, width=0.17, height=0.16, color="#dbe9f6"):
    from matplotlib.patches import FancyBboxPatch

    ax.add_patch(FancyBboxPatch((x - width / 2, y - height / 2), width, height, boxstyle="round,pad=0.01",
                                facecolor=color, edgecolor="#333333", linewidth=0.8))
    ax.text(x, y, text, ha="center", va="center", fontsize=7)


def draw_mechanism(ax, n_models: int = 10) -> None:
    """Paper Fig 1 as a flow chart: CQT-96 → split by gender → 50/25/25 per speaker × emotion →
    K models → Grad-CAM maps G of correct test samples → masks R (best model) and R̂ (sum)."""
    steps = [(0.1, "EmoDB → CQT-96\n96 × 202"), (0.28, "split by gender\nfemale | male"),
             (0.46, "per speaker × emotion\ntrain / val / test"), (0.64, f"SimpleNet\nK1 … K{n_models}"),
             (0.82, "Grad-CAM G\n(correct test\nsamples)")]
    for x, text in steps:
        _box(ax, x, 0.6, text)
    for (x0, _), (x1, _) in zip(steps, steps[1:]):
        ax.annotate("", (x1 - 0.085, 0.6), (x0 + 0.085, 0.6), arrowprops=dict(arrowstyle="->", lw=0.8))
    _box(ax, 0.72, 0.2, "R = Σ G\n(best model, Eq. 1)", color="#fde0c5")
    _box(ax, 0.92, 0.2, "R̂ = Σ_k R\n(all models, Eq. 2)", color="#fde0c5")
    for x in (0.72, 0.92):
        ax.annotate("", (x, 0.28), (0.82, 0.52), arrowprops=dict(arrowstyle="->", lw=0.8))
    ax.set(xlim=(0, 1.02), ylim=(0, 0.8))
    ax.axis("off")
