"""helpers.memory: a deleted Keras model's traced graphs are freed, and nothing computed changes."""
from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from helpers import memory, simplenet  # noqa: E402

SHAPE = (12, 24, 1)


def fit_once(seed: int) -> np.ndarray:
    """Train a tiny SimpleNet for two epochs; its predictions on fixed inputs."""
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(24,) + SHAPE).astype(np.float32), np.arange(24) % 3
    simplenet.seed_tf(seed)
    model = simplenet.build_simplenet(3, SHAPE, (2, 2, 2))
    simplenet.train(model, x[:16], y[:16], x[16:], y[16:], epochs=2, batch_size=8, patience=2)
    out = simplenet.predict(model, x)
    del model
    return out


def test_release_drops_only_the_custom_gradients_traced_since_the_snapshot():
    from tensorflow.python.framework import ops

    registry = ops._gradient_registry._registry
    op_gradients = {name for name in registry if not name.startswith(memory.CUSTOM_GRADIENT_PREFIX)}
    before = memory.traced_gradients()
    fit_once(1)
    added = memory.traced_gradients() - before
    assert added, "fitting a Keras model registers custom-gradient entries (what holds its graphs)"
    assert memory.release(keras_session=True, gradients_since=before) == len(added)
    assert memory.traced_gradients() == before
    assert op_gradients <= set(registry)  # gradients of ordinary ops stay registered


def test_releasing_between_models_changes_no_number():
    first = fit_once(3)
    before = memory.traced_gradients()
    fit_once(4)
    memory.release(keras_session=True, gradients_since=before)
    again = fit_once(3)
    np.testing.assert_array_equal(first, again)


def test_release_without_snapshot_keeps_the_registry():
    before = memory.traced_gradients()
    fit_once(5)
    after = memory.traced_gradients()
    assert memory.release() == 0 and memory.traced_gradients() == after
    memory.release(gradients_since=before)


def test_trimming_starts_no_process(monkeypatch):
    import subprocess

    memory._malloc_trim.cache_clear()

    def refuse(*args, **kwargs):
        raise AssertionError("memory.release must not start a process (a fork of the kernel)")

    monkeypatch.setattr(subprocess, "Popen", refuse)
    memory.release()
    assert memory._malloc_trim() is not None  # glibc here


def test_decorated_function_leaves_no_traced_gradients_and_keeps_name_and_signature():
    import inspect

    wrapped = memory.releases_keras_models(fit_once)
    before = memory.traced_gradients()
    first = wrapped(3)
    np.testing.assert_array_equal(first, wrapped(3))  # a release between calls changes no number
    assert memory.traced_gradients() == before  # both fits' entries dropped on return
    assert wrapped.__name__ == "fit_once" and list(inspect.signature(wrapped).parameters) == ["seed"]
