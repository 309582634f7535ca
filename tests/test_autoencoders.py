"""UAE/DAE (Das 2022): architecture, noise only while training, 2-D latent, determinism."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from helpers import autoencoders as ae
from helpers.errors import InvalidParameterError


def data(n=96, d=88, seed=0):
    return np.random.default_rng(seed).normal(size=(n, d))


def test_architecture_is_88_64_32_2_mirrored_with_separate_relus():
    model = ae.Autoencoder(88)
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [
        (88, 64), (64, 32), (32, 2), (2, 32), (32, 64), (64, 88)]
    relus = [m for m in model.modules() if isinstance(m, nn.ReLU)]
    assert len(relus) == 4 and len({id(r) for r in relus}) == 4  # no reused activation
    assert not isinstance(list(model.encoder)[-1], nn.ReLU)  # linear latent
    assert not isinstance(list(model.decoder)[-1], nn.ReLU)  # linear output


def test_architecture_table_is_read_from_the_model():
    table = ae.architecture_table(ae.Autoencoder(88, hidden=(16, 8), latent_dim=2))
    assert table.units.tolist() == [88, 16, 8, 2, 8, 16, 88]
    assert table.part.tolist() == ["input", "encoder", "encoder", "latent", "decoder", "decoder", "output"]
    assert table.activation.tolist() == ["—", "ReLU", "ReLU", "linear", "ReLU", "ReLU", "linear"]
    assert table.parameters.tolist() == [0, 88 * 16 + 16, 16 * 8 + 8, 8 * 2 + 2, 2 * 8 + 8, 8 * 16 + 16, 16 * 88 + 88]


def test_dae_noise_only_in_training_and_uae_sees_clean_input():
    X = data()
    seen = {"uae": [], "dae": []}
    models = {}
    for kind in ("uae", "dae"):
        cfg = ae.TrainConfig(kind=kind, epochs=3, batch_size=32)
        models[kind], _ = ae.train_autoencoder(X, cfg, seed=0, on_batch=lambda i, t, k=kind: seen[k].append((i, t)))
    assert len(seen["dae"]) == 3 * 3
    assert all(torch.equal(i, t) for i, t in seen["uae"])
    noise = torch.cat([i - t for i, t in seen["dae"]])
    assert 0.9 < float(noise.std()) < 1.1 and abs(float(noise.mean())) < 0.05
    first, second = seen["dae"][0][0] - seen["dae"][0][1], seen["dae"][3][0] - seen["dae"][3][1]
    assert not torch.allclose(first, second)  # resampled per batch (and epoch)
    # evaluation: no noise, so encoding is a pure function of the input
    model = models["dae"]
    assert not model.training
    z1, z2 = ae.encode(model, X), ae.encode(model, X)
    np.testing.assert_array_equal(z1, z2)
    with torch.no_grad():
        direct = model.encoder(torch.as_tensor(X, dtype=torch.float32)).numpy()
    np.testing.assert_allclose(z1, direct, rtol=0, atol=1e-6)


def test_latent_is_two_dimensional_and_training_reduces_the_loss():
    X = data()
    model, history = ae.train_autoencoder(X, ae.TrainConfig(kind="uae", epochs=30), seed=3)
    assert ae.encode(model, X).shape == (96, 2)
    assert history.epoch.tolist() == list(range(1, 31))
    assert history.mse.iloc[-1] < history.mse.iloc[0]


def test_same_seed_same_latent_other_seed_other_latent():
    X = data()
    cfg = ae.TrainConfig(kind="dae", epochs=5)
    a = ae.encode(ae.train_autoencoder(X, cfg, seed=1)[0], X)
    b = ae.encode(ae.train_autoencoder(X, cfg, seed=1)[0], X)
    c = ae.encode(ae.train_autoencoder(X, cfg, seed=2)[0], X)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_thread_count_is_restored():
    before = torch.get_num_threads()
    ae.train_autoencoder(data(20), ae.TrainConfig(epochs=1), seed=0)
    assert torch.get_num_threads() == before


def test_invalid_settings_are_rejected_with_the_choices():
    with pytest.raises(InvalidParameterError, match="valid choices: uae, dae"):
        ae.TrainConfig(kind="vae")
    with pytest.raises(InvalidParameterError, match="epochs"):
        ae.TrainConfig(epochs=0)
    with pytest.raises(ValueError, match="2-D"):
        ae.train_autoencoder(np.zeros(5), ae.TrainConfig(epochs=1))
