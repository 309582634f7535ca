"""Cross-check of our scores with Quantus 0.6, the toolkit XAI-evaluation papers cite: its
PointingGame, RelevanceMassAccuracy and model-parameter randomisation (MPRT) on the same maps,
regions and model give our numbers. Quantus is pinned in requirements.txt; the tests skip only in
an environment built without it."""
import warnings

import numpy as np
import pytest

from helpers import faithfulness as fa


@pytest.fixture(scope="module")
def quantus():
    from helpers.zennit_compat import import_zennit

    import_zennit()  # Quantus imports zennit, whose torchvision module we stub
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pytest.importorskip("quantus")


@pytest.fixture(scope="module")
def setting():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3, padding=1), torch.nn.ReLU(), torch.nn.Flatten(),
                                torch.nn.Linear(2 * 6 * 8, 3)).eval()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(6, 1, 6, 8)).astype(np.float32)
    y = np.array([0, 1, 2, 0, 1, 2])
    a = rng.random((6, 1, 6, 8)).astype(np.float32)
    s = np.zeros_like(a)
    for i in range(6):
        s[i, 0, :, i:i + 2] = 1.0  # a planted 2-frame window
        if i % 2:
            a[i, 0, 2, i] = 5.0  # half the maps peak inside it
    return model, x, y, a, s


def test_pointing_game_agrees(quantus, setting):
    model, x, y, a, s = setting
    theirs = quantus.PointingGame(normalise=False, abs=False, disable_warnings=True)(
        model=model, x_batch=x, y_batch=y, a_batch=a, s_batch=s)
    ours = [fa.pointing_game(a[i, 0], s[i, 0].astype(bool)) for i in range(len(a))]
    assert [float(v) for v in theirs] == ours
    assert 0 < sum(ours) < len(ours)  # both outcomes occur


def test_relevance_mass_accuracy_is_our_mass_fraction_and_maps_to_normalised_mass(quantus, setting):
    model, x, y, a, s = setting
    theirs = np.asarray(quantus.RelevanceMassAccuracy(normalise=False, abs=False, disable_warnings=True)(
        model=model, x_batch=x, y_batch=y, a_batch=a, s_batch=s))
    regions = [s[i, 0].astype(bool) for i in range(len(a))]
    assert np.allclose(theirs, [fa.mass_fraction(a[i, 0], regions[i]) for i in range(len(a))])
    share = np.array([fa.region_share(r) for r in regions])
    # our normalised mass = (Quantus' relevance mass accuracy − region share) / (1 − region share)
    assert np.allclose((theirs - share) / (1 - share), [fa.normalised_mass(a[i, 0], regions[i]) for i in range(len(a))])


def test_model_parameter_randomisation_agrees_with_our_rank_similarity(quantus, setting):
    import torch

    model, x, y, _, _ = setting
    calls = []

    def gradient_times_input(model, inputs, targets, **kwargs):
        inputs = torch.as_tensor(np.asarray(inputs), dtype=torch.float32).requires_grad_(True)
        out = model(inputs)
        out[torch.arange(len(out)), torch.as_tensor(np.asarray(targets))].sum().backward()
        maps = (inputs.grad * inputs).detach().numpy()
        calls.append(maps)
        return maps

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = quantus.MPRT(layer_order="top_down", abs=False, normalise=False, disable_warnings=True)(
            model=model, x_batch=x, y_batch=y, a_batch=None, explain_func=gradient_times_input)
    assert list(theirs) == ["original", "3", "0"]  # then cascading from the top: the Linear layer, then the conv
    original, randomised = calls[0], calls[-2:]
    assert np.allclose(theirs["original"], 1.0)
    for layer, maps in zip(["3", "0"], randomised):
        ours = [fa.rank_similarity(original[i], maps[i]) for i in range(len(x))]
        assert np.allclose(theirs[layer], ours)
