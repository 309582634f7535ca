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
    for method in gradcam.UPSCALE_METHODS:
        up = gradcam.upscale(maps, (96, 202), method=method)
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


# ------------------------------------------------- receptive fields and upscaling

def test_simplenet_receptive_fields_derived_from_the_keras_model():
    from helpers import simplenet

    model = simplenet.build_simplenet(3, filters=(1, 1, 1))
    stack = gradcam.geometry_stack(model, "last_conv")
    assert [op["name"] for op in stack] == ["conv1", "pool1", "conv2", "pool2", "last_conv"]
    rows, cols = gradcam.receptive_field(stack, (96, 202))
    assert (rows["n"], cols["n"]) == (90, 47) == simplenet.last_conv_shape(model)
    assert (rows["size"], cols["size"]) == (7, 18) and (rows["jump"], cols["jump"]) == (1, 4)
    row_c, col_c = gradcam.cell_centres(stack, (96, 202))
    np.testing.assert_allclose(row_c, np.arange(90) + 3.0)  # cell (i, j) → input row i + 3
    np.testing.assert_allclose(col_c, 4 * np.arange(47) + 8.5)  # … and column 4j + 8.5
    np.testing.assert_allclose(np.concatenate(gradcam.cell_centres(gradcam.simplenet_stack(), (96, 202))),
                               np.concatenate([row_c, col_c]))


def _gradient_support(model, input_shape, cell):
    """Rows and columns of the input that reach output cell `cell` (linear ones-kernels)."""
    import tensorflow as tf

    x = tf.Variable(np.ones((1,) + tuple(input_shape) + (1,), dtype=np.float32))
    with tf.GradientTape() as tape:
        out = model(x)[0, cell[0], cell[1], 0]
    grad = np.abs(tape.gradient(out, x).numpy()[0, ..., 0])
    rows, cols = np.flatnonzero(grad.sum(axis=1) > 0), np.flatnonzero(grad.sum(axis=0) > 0)
    return rows, cols


@pytest.mark.parametrize("padding,strides", [("valid", 1), ("same", 2)])
def test_receptive_field_centres_match_the_gradient_support(padding, strides):
    """An all-ones linear twin of a conv/pool stack: the input cells with a non-zero gradient for
    an output cell are its receptive field; its middle must be the derived centre."""
    from keras import layers

    shape = (24, 40)
    inputs = keras.Input(shape + (1,))
    x = layers.Conv2D(1, 3, padding=padding, strides=strides, kernel_initializer="ones", use_bias=False, name="c1")(inputs)
    x = layers.AveragePooling2D((1, 2), name="p1")(x)
    x = layers.Conv2D(1, (3, 5), kernel_initializer="ones", use_bias=False, name="c2")(x)
    model = keras.Model(inputs, x)
    stack = gradcam.geometry_stack(model, "c2")
    row_c, col_c = gradcam.cell_centres(stack, shape)
    assert (len(row_c), len(col_c)) == tuple(model.output.shape[1:3])
    for cell in [(len(row_c) // 2, len(col_c) // 2), (len(row_c) // 2 + 1, len(col_c) // 2 - 1)]:
        rows, cols = _gradient_support(model, shape, cell)
        assert (rows.min() + rows.max()) / 2 == pytest.approx(row_c[cell[0]])
        assert (cols.min() + cols.max()) / 2 == pytest.approx(col_c[cell[1]])


def test_geometry_stack_refuses_what_it_cannot_follow():
    from keras import layers

    inputs = keras.Input((8, 8, 1))
    x = layers.Conv2D(1, 3, name="c1")(inputs)
    x = layers.Flatten(name="flat")(x)
    x = layers.Reshape((6, 6, 1), name="back")(x)
    model = keras.Model(inputs, layers.Conv2D(1, 3, name="c2")(x))
    with pytest.raises(ValueError, match="Reshape|Flatten"):
        gradcam.geometry_stack(model, "c2")
    assert [op["name"] for op in gradcam.geometry_stack(model, "c1")] == ["c1"]
    with pytest.raises(ValueError, match="has no layer 'nope'"):
        gradcam.geometry_stack(keras.Model(inputs, model.get_layer("c1").output), "nope")


def simplenet_geometry_toy():
    """SimpleNet's layer stack with one all-ones filter per conv; class 1 = the mean of last_conv."""
    from keras import layers

    inputs = keras.Input((96, 202, 1))
    ones = dict(kernel_initializer="ones", bias_initializer="zeros", activation="relu")
    x = layers.Conv2D(1, 3, name="conv1", **ones)(inputs)
    x = layers.MaxPooling2D((1, 2), name="pool1")(x)
    x = layers.Conv2D(1, 3, name="conv2", **ones)(x)
    x = layers.MaxPooling2D((1, 2), name="pool2")(x)
    x = layers.Conv2D(1, 3, name="last_conv", **ones)(x)
    logits = layers.Dense(2, name="logits")(layers.GlobalAveragePooling2D()(x))
    model = keras.Model(inputs, layers.Activation("softmax")(logits))
    model.get_layer("logits").set_weights([np.array([[-1.0, 1.0]], np.float32), np.zeros(2, np.float32)])
    return model


def _centroid(image):
    rows, cols = np.indices(image.shape)
    return (rows * image).sum() / image.sum(), (cols * image).sum() / image.sum()


def test_upscaled_grad_cam_maps_one_active_patch_back_onto_it():
    """One active input patch (rows 8–12, columns 24–31) must come back as a map centred on it.
    The plain bilinear stretch puts it ≈ 2.5 rows and ≈ 5 columns too low/early."""
    x = np.zeros((1, 96, 202, 1), dtype=np.float32)
    x[0, 8:13, 24:32, 0] = 1.0
    raw = gradcam.grad_cam(simplenet_geometry_toy(), x, [1])
    assert raw.shape == (1, 90, 47) and raw.max() > 0
    placed = gradcam.upscale(raw, (96, 202))[0]
    row, col = _centroid(placed)
    assert abs(row - 10.0) < 0.75 and abs(col - 27.5) < 1.0
    peak = np.unravel_index(placed.argmax(), placed.shape)
    assert 8 <= peak[0] <= 12 and 24 <= peak[1] <= 31
    stretched = gradcam.upscale(raw, (96, 202), method="resize")[0]
    s_row, s_col = _centroid(stretched)
    assert s_row < row - 1.5 and s_col < col - 3.0  # the paper's stretch: shifted towards the origin


def test_upscale_receptive_field_interpolates_between_centres():
    maps = np.zeros((1, 90, 47), dtype=np.float32)
    maps[0, 10, 5] = 1.0  # centre: input row 13, column 28.5; neighbours at 24.5 and 32.5
    up = gradcam.upscale(maps, (96, 202))[0]
    assert up[13, 28] == pytest.approx(up[13, 29]) == pytest.approx(0.875)  # 0.5 column of 4 away
    assert up[12, 28] == pytest.approx(0.0) and up[13, 24] == pytest.approx(0.0)
    assert up[13, 32] == pytest.approx(0.125) and up[13, 33] == pytest.approx(0.0) and up[14, 28] == pytest.approx(0.0)
    edge = np.zeros((1, 90, 47), dtype=np.float32)
    edge[0, :, 0] = 2.0  # first column of cells: constant out to the input's left edge
    np.testing.assert_allclose(gradcam.upscale(edge, (96, 202))[0][:, :9], 2.0)


def test_upscale_checks_the_geometry_and_the_method():
    with pytest.raises(ValueError, match="receptive-field centres"):
        gradcam.upscale(np.ones((1, 10, 10)), (96, 202))
    with pytest.raises(InvalidParameterError, match="receptive_field, resize"):
        gradcam.upscale(np.ones((1, 90, 47)), (96, 202), method="nearest")
    custom = gradcam.upscale(np.ones((1, 2, 3)), (4, 6), centres=(np.array([1.0, 2.0]), np.array([0.0, 2.5, 5.0])))
    np.testing.assert_allclose(custom, 1.0)
