"""SimpleNet shapes and parameter counts (paper §3.2) and Table 2 from keras.applications."""
from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from helpers import simplenet  # noqa: E402
from helpers.errors import InvalidParameterError  # noqa: E402


@pytest.fixture(scope="module")
def full_model():
    model = simplenet.build_simplenet(6)
    yield model
    del model
    keras.backend.clear_session()


def test_full_model_shapes_and_parameter_counts(full_model):
    assert tuple(full_model.get_layer("last_conv").output.shape[1:]) == (90, 47, 256)
    assert tuple(full_model.get_layer("pool3").output.shape[1:]) == (45, 23, 256)
    assert full_model.get_layer("last_conv").count_params() == 295_168
    kernel = full_model.get_layer("dense").kernel
    assert tuple(kernel.shape) == (45 * 23 * 256, 128)
    assert int(np.prod(kernel.shape)) == 33_914_880
    assert full_model.get_layer("dense").count_params() == 33_914_880 + 128
    assert tuple(full_model.output.shape[1:]) == (6,)
    assert full_model.get_layer("dropout").rate == 0.5


def test_layer_table_lists_the_architecture(full_model):
    rows = simplenet.layer_table(full_model)
    assert [r["layer"] for r in rows] == ["cqt", "conv1", "pool1", "conv2", "pool2", "last_conv", "pool3",
                                         "flatten", "dense", "dropout", "logits", "probabilities"]
    assert rows[2]["output_shape"] == "94 × 100 × 64"  # pooling over time only


def test_layer_table_for_equals_the_built_models_table(full_model):
    assert simplenet.layer_table_for(6) == simplenet.layer_table(full_model)
    small = simplenet.build_simplenet(3, filters=(2, 4, 8))
    assert simplenet.layer_table_for(3, (2, 4, 8)) == simplenet.layer_table(small)
    assert simplenet.layer_table_for(3, (2, 4, 8))[8]["parameters"] == (45 * 23 * 8 + 1) * 128


def test_filters_parameter_changes_channels_not_map_size():
    model = simplenet.build_simplenet(3, filters=(2, 4, 8))
    assert tuple(model.get_layer("last_conv").output.shape[1:]) == (90, 47, 8)
    with pytest.raises(InvalidParameterError, match="three positive integers"):
        simplenet.build_simplenet(3, filters=(2, 4))


def test_table2_last_conv_shapes():
    rows = {r["model"]: (r["height"], r["width"]) for r in simplenet.table2_shapes()}
    assert rows == {"SimpleNet": (90, 47), "VGG16": (6, 12), "ResNet50": (3, 7), "MobileNet": (3, 6), "InceptionV3": (1, 4)}


def test_best_run_is_highest_test_accuracy_first_on_ties():
    runs = [simplenet.ModelRun(i, acc, 1, np.array([]), np.array([]), np.zeros((0, 1, 1)))
            for i, acc in enumerate([0.5, 0.8, 0.8, 0.1], start=1)]
    assert simplenet.best_run(runs).index == 2


def test_training_on_a_separable_toy_problem_learns_and_gives_maps(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(0, 0.1, (24, 12, 32, 1)).astype(np.float32)
    y = np.arange(24) % 2
    x[y == 1, 2:5, 8:16, 0] += 2.0
    subset = np.array(["train"] * 16 + ["val"] * 4 + ["test"] * 4)
    runs = simplenet.run_models(x, y, subset, 2, n_models=1, filters=(2, 2, 4), epochs=25, batch_size=8,
                                patience=25, seed=1, weights_path=tmp_path / "best.weights.h5")
    assert runs[0].accuracy == 1.0
    assert runs[0].maps.shape == (4, 6, 4)  # 12×32 → 10×30 → 10×15 → 8×13 → 8×6 → last conv 6×4
    assert (tmp_path / "best.weights.h5").is_file()


def test_import_tensorflow_quietly_keeps_the_cpp_start_up_lines_out_of_stderr():
    import subprocess
    import sys

    loud = subprocess.run([sys.executable, "-c", "import tensorflow"], capture_output=True, text=True, check=True)
    if "oneDNN" not in loud.stderr and "absl" not in loud.stderr:
        pytest.skip("this TensorFlow prints nothing at import: nothing to silence")
    code = "from helpers.simplenet import import_tensorflow_quietly as q; q(); import sys; print('tf', 'tensorflow' in sys.modules)"
    quiet = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert quiet.stdout.strip() == "tf True"
    assert "oneDNN" not in quiet.stderr and "absl" not in quiet.stderr
