"""helpers.devices: "auto" picks CUDA, then MPS, then the CPU; missing devices fail with the fix;
on the CPU every model helper gives byte-identical outputs with device="cpu" and "auto"."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch

from helpers import devices
from helpers.errors import InvalidParameterError


@pytest.fixture
def accelerators(monkeypatch):
    """accelerators(cuda=..., mps=..., count=1): pretend this machine has them."""

    def _set(cuda: bool = False, mps: bool = False, count: int = 1):
        monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
        monkeypatch.setattr(torch.cuda, "device_count", lambda: count if cuda else 0)
        monkeypatch.setattr(torch.cuda, "get_device_name", lambda index=None: "Fake GPU 80GB")
        monkeypatch.setattr(torch.backends.mps, "is_available", lambda: mps)

    return _set


@pytest.mark.parametrize("cuda, mps, expected", [(True, True, "cuda:0"), (False, True, "mps"),
                                                  (True, False, "cuda:0"), (False, False, "cpu")])
def test_auto_prefers_cuda_then_mps_then_cpu(accelerators, cuda, mps, expected):
    accelerators(cuda=cuda, mps=mps)
    assert str(devices.resolve_device("auto")) == expected
    assert str(devices.resolve_device(None)) == expected
    assert str(devices.resolve_device(" AUTO ")) == expected


def test_named_devices_resolve_when_present(accelerators):
    accelerators(cuda=True, mps=True, count=2)
    assert devices.resolve_device("cuda") == torch.device("cuda", 0)
    assert devices.resolve_device("cuda:1") == torch.device("cuda", 1)
    assert devices.resolve_device(torch.device("mps")) == torch.device("mps")
    assert devices.resolve_device("cpu") == torch.device("cpu")
    assert devices.describe_device("cuda:1") == "cuda:1 (Fake GPU 80GB)"
    assert devices.describe_device("mps") == "mps (Apple GPU)"


@pytest.mark.parametrize("requested, why", [("cuda", "torch.cuda.is_available() is False"),
                                            ("cuda:0", "torch.cuda.is_available() is False"),
                                            ("mps", "torch.backends.mps.is_available() is False")])
def test_an_unavailable_device_names_the_choices_and_the_fix(accelerators, requested, why):
    accelerators(cuda=False, mps=False)
    with pytest.raises(devices.DeviceNotAvailableError) as caught:
        devices.resolve_device(requested)
    message = str(caught.value)
    assert f"device '{requested}' is not available here ({why}" in message
    assert "'auto'" in message and "'cpu'" in message and "'cuda:N'" in message
    assert 'Fix: set device = "auto"' in message
    assert isinstance(caught.value, ValueError)


def test_a_gpu_index_beyond_the_count_is_refused(accelerators):
    accelerators(cuda=True, count=2)
    with pytest.raises(devices.DeviceNotAvailableError, match=r"only 2 CUDA device\(s\): cuda:0 to cuda:1"):
        devices.resolve_device("cuda:2")


@pytest.mark.parametrize("bad", ["gpu", "tpu", "cuda:x", 3, "meta"])
def test_unknown_device_names_are_invalid_parameters(bad):
    with pytest.raises(InvalidParameterError, match="valid choices: 'auto'"):
        devices.resolve_device(bad)


def test_describe_device_on_the_cpu_counts_threads(accelerators):
    accelerators()
    assert devices.describe_device() == f"cpu ({torch.get_num_threads()} threads)"
    assert devices.describe_device("cpu") == devices.describe_device("auto")


def test_batch_sizes_are_unchanged_on_the_cpu_and_larger_on_an_accelerator(accelerators):
    accelerators()
    assert [devices.batch_size_for(d, 8) for d in ("cpu", "auto", torch.device("cpu"))] == [8, 8, 8]
    assert devices.batch_size_for("auto", None) is None
    accelerators(cuda=True)
    assert devices.batch_size_for("auto", 8) == 8 * devices.ACCELERATOR_BATCH_FACTOR
    assert devices.batch_size_for("cpu", 8) == 8  # asked for the CPU: today's size
    accelerators(mps=True)
    assert devices.batch_size_for("mps", 16) == 64


def test_model_helpers_refuse_an_unavailable_device_before_any_work(accelerators):
    from helpers import embeddings

    accelerators()
    with pytest.raises(devices.DeviceNotAvailableError):
        embeddings.load_model("tiny-wavlm", device="cuda")
    with pytest.raises(devices.DeviceNotAvailableError):
        embeddings.embed_files(["/nonexistent.wav"], device="mps", cache=False, progress=False)


def test_tensorflow_device_does_not_import_tensorflow():
    """openSMILE must load before TensorFlow, so asking must not import it."""
    code = ("import opensmile, sys; from helpers.devices import tensorflow_device; "
            "print(tensorflow_device()); print('tensorflow' in sys.modules); "
            "import tensorflow; print(tensorflow_device())")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    before, imported, after = done.stdout.strip().splitlines()[-3:]
    assert before == "CPU (tensorflow-cpu build)"  # requirements.txt installs tensorflow-cpu
    assert imported == "False"
    assert after == "CPU"


# ---------------------------------------------------------------- CPU: byte-identical outputs


def test_resnet_on_cpu_and_auto_equals_the_plain_forward_pass(accelerators):
    from helpers import resnet

    accelerators()
    torch.manual_seed(0)
    model = resnet.SmallResNet(3).eval()
    x = np.random.default_rng(0).normal(size=(70, 16, 24)).astype(np.float32)
    with torch.no_grad():  # what predict did before it took a device: batches of 64 on the CPU
        plain = torch.cat([model(torch.as_tensor(x[i:i + 64])[:, None]) for i in (0, 64)]).numpy()
    for device in ("cpu", "auto"):
        assert resnet.predict(model, x, device=device).tobytes() == plain.tobytes()
    assert resnet.predict(model, x).tobytes() == plain.tobytes()


def test_training_on_cpu_and_auto_gives_the_same_weights(accelerators):
    from helpers import autoencoders as ae
    from helpers import resnet

    accelerators()
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(12, 16, 24)).astype(np.float32), rng.integers(0, 2, 12)
    fits = [resnet.train(x[:8], y[:8], x[8:], y[8:], 2, epochs=1, seed=3, device=d) for d in ("cpu", "auto")]
    assert all(torch.equal(a, b) for a, b in zip(fits[0].model.state_dict().values(), fits[1].model.state_dict().values()))
    X = rng.normal(size=(40, 10)).astype(np.float32)
    codes = [ae.encode(ae.train_autoencoder(X, ae.TrainConfig(kind="dae", epochs=2), seed=0, device=d)[0], X)
             for d in ("cpu", "auto")]
    assert codes[0].tobytes() == codes[1].tobytes()


def test_embed_signals_on_cpu_and_auto_are_byte_identical(accelerators):
    from helpers import embeddings

    accelerators()
    model, extractor, _ = embeddings.load_model("tiny-wavlm", seed=0, device="cpu")
    rng = np.random.default_rng(2)
    signals = [0.1 * rng.normal(size=n).astype(np.float32) for n in (8000, 11000, 16000)]
    default = embeddings.embed_signals(signals, model, extractor)
    for device in ("cpu", "auto", torch.device("cpu")):
        assert embeddings.embed_signals(signals, model, extractor, device=device).tobytes() == default.tobytes()
    auto_model = embeddings.load_model("tiny-wavlm", seed=0)[0]
    assert embeddings.embed_signals(signals, auto_model, extractor).tobytes() == default.tobytes()


def test_occlusion_and_crp_on_cpu_and_auto_are_byte_identical(accelerators):
    from helpers import resnet, saliency

    accelerators()
    torch.manual_seed(0)
    model = resnet.SmallResNet(3).eval()
    x = np.random.default_rng(3).uniform(-60, 0, (3, 16, 30)).astype(np.float32)
    occlusion = [saliency.occlusion_maps(model, x, [0, 1, 2], device=d) for d in ("cpu", "auto")]
    assert occlusion[0].tobytes() == occlusion[1].tobytes()
    crp = [saliency.crp_maps(model, x, [0, 1, 2], device=d)[0] for d in ("cpu", "auto")]
    assert crp[0].tobytes() == crp[1].tobytes()


def test_use_device_sets_what_auto_means_for_the_kernel(accelerators, monkeypatch):
    monkeypatch.setattr(devices, "_KERNEL_DEVICE", None)
    accelerators(cuda=True)
    assert devices.use_device("cpu") == torch.device("cpu")
    assert devices.resolve_device("auto") == torch.device("cpu") == devices.resolve_device(None)
    assert devices.resolve_device("cuda") == torch.device("cuda", 0)  # a named device still wins
    assert devices.use_device("auto") == torch.device("cuda", 0)
    with pytest.raises(devices.DeviceNotAvailableError, match="mps"):
        devices.use_device("mps")


def test_announce_names_device_tensorflow_and_scheduler(accelerators, monkeypatch):
    monkeypatch.setattr(devices, "_KERNEL_DEVICE", None)
    accelerators()
    line = devices.announce("auto", None)
    assert line.startswith(f"device: cpu ({torch.get_num_threads()} threads) | TensorFlow: ")
    assert line.endswith("| per-file work: threads (" + line.split("threads (")[-1])
    assert "per-file work: threads" in line


def test_a_keras_only_notebook_accepts_auto_and_cpu_only():
    line = devices.announce("cpu", None, torch_models=False)
    assert line.startswith("device: no torch models | TensorFlow: ")
    with pytest.raises(InvalidParameterError, match="Keras-only"):
        devices.announce("cuda", None, torch_models=False)
