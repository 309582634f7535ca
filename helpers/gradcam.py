"""Grad-CAM (Selvaraju et al. 2017) as Smietanka & Maka use it (§2.2, Eqs. 3–5), and their masks (Eqs. 1–2).

G = ReLU(Σ_k α_k A^k), α_k = mean over the H × W cells of ∂y_c/∂A^k, with A the last
conv layer's output and y_c the softmax output of the true class (the paper's choice; the
pre-softmax logit is an option). Gradients come from `tf.GradientTape`, as in the paper.
Maps are upscaled bilinearly to the input size (96 × 202) for every analysis.
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


def upscale(maps: np.ndarray, size=(96, 202)) -> np.ndarray:
    """Bilinear resize of (n, H, W) maps to (n, *size) (tf.image.resize, half-pixel centres)."""
    import tensorflow as tf

    maps = np.asarray(maps, dtype=np.float32)
    if len(maps) == 0:
        return np.zeros((0,) + tuple(size), dtype=np.float32)
    resized = tf.image.resize(maps[..., None], tuple(size), method="bilinear").numpy()[..., 0]
    return np.maximum(resized, 0.0).astype(np.float32)


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
