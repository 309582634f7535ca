"""Grad-CAM on a toy Keras model whose decision depends on one known patch; masks (Eqs. 1–2)."""
from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from helpers import gradcam  # noqa: E402
from helpers.errors import InvalidParameterError  # noqa: E402


def toy_model():
    """last_conv: channel 0 = relu(x), channel 1 = relu(-x); class 1 ← mean of channel 0,
    class 0 ← mean of channel 1. Positive cells decide class 1, negative cells class 0."""
    from keras import layers

    inputs = keras.Input((16, 32, 1))
    conv = layers.Conv2D(2, 1, use_bias=False, activation="relu", name="last_conv")(inputs)
    pooled = layers.GlobalAveragePooling2D()(conv)
    logits = layers.Dense(2, name="logits")(pooled)
    outputs = layers.Activation("softmax")(logits)
    model = keras.Model(inputs, outputs)
    model.get_layer("last_conv").set_weights([np.array([1.0, -1.0], dtype=np.float32).reshape(1, 1, 1, 2)])
    model.get_layer("logits").set_weights([np.array([[0.0, 8.0], [8.0, 0.0]], dtype=np.float32), np.zeros(2, np.float32)])
    return model


def toy_input():
    x = np.zeros((1, 16, 32, 1), dtype=np.float32)
    x[0, 3:6, 20:25, 0] = 1.0  # the patch that makes class 1
    x[0, 10:14, 2:8, 0] = -1.0  # a distractor that pushes towards class 0
    return x


@pytest.mark.parametrize("target", ["softmax", "logit"])
def test_gradcam_peaks_on_the_deciding_patch(target):
    model, x = toy_model(), toy_input()
    maps = gradcam.grad_cam(model, x, [1], target=target)
    assert maps.shape == (1, 16, 32)
    cam = maps[0]
    assert np.unravel_index(cam.argmax(), cam.shape)[0] in range(3, 6)
    patch = np.zeros_like(cam, dtype=bool)
    patch[3:6, 20:25] = True
    assert cam[patch].sum() / cam.sum() == pytest.approx(1.0)
    assert cam[patch].min() > 0
    # the other class looks at the distractor instead
    other = gradcam.grad_cam(model, x, [0], target=target)[0]
    assert other[10:14, 2:8].min() > 0 and other[patch].max() == 0


def test_gradcam_batches_give_each_sample_its_own_map():
    model, x = toy_model(), toy_input()
    batch = np.concatenate([x, -x])
    maps = gradcam.grad_cam(model, batch, [1, 1], batch_size=2)
    single = gradcam.grad_cam(model, -x, [1])
    np.testing.assert_allclose(maps[1], single[0], rtol=1e-6)
    assert maps[1][3:6, 20:25].max() == 0 and maps[1][10:14, 2:8].min() > 0


def test_gradcam_rejects_unknown_target():
    with pytest.raises(InvalidParameterError, match="softmax, logit"):
        gradcam.grad_cam(toy_model(), toy_input(), [1], target="probability")


def test_upscale_shape_and_constant_map():
    maps = np.ones((2, 90, 47), dtype=np.float32)
    maps[1] *= 3
    up = gradcam.upscale(maps, (96, 202))
    assert up.shape == (2, 96, 202)
    np.testing.assert_allclose(up[0], 1.0, rtol=1e-6)
    np.testing.assert_allclose(up[1], 3.0, rtol=1e-6)


def test_masks_sum_per_emotion_and_over_models():
    maps = np.arange(3 * 2 * 2, dtype=np.float32).reshape(3, 2, 2)
    masks = gradcam.emotion_masks(maps, ["anger", "sadness", "anger"], ["anger", "fear", "sadness"])
    np.testing.assert_array_equal(masks["anger"], maps[0] + maps[2])
    np.testing.assert_array_equal(masks["sadness"], maps[1])
    np.testing.assert_array_equal(masks["fear"], np.zeros((2, 2)))
    total = gradcam.sum_masks([masks, masks])
    np.testing.assert_array_equal(total["anger"], 2 * (maps[0] + maps[2]))
