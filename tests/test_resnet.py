"""The small ResNet: shapes, relevance conservation through Sum + merged BatchNorm, key map, training."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from helpers import resnet, saliency


def test_forward_shape_and_layout():
    model = resnet.SmallResNet(n_classes=5).eval()
    out = model(torch.zeros(2, 1, 32, 67))
    assert out.shape == (2, 5)
    names = dict(model.named_modules())
    assert isinstance(names["stem"], torch.nn.Sequential) and isinstance(names["stem.1"], torch.nn.BatchNorm2d)
    assert type(names["layer1.add"]).__name__ == "Sum"
    assert isinstance(names["layer2.shortcut"], torch.nn.Conv2d)


def test_fewer_than_two_classes_is_rejected():
    with pytest.raises(ValueError, match="at least 2 classes"):
        resnet.SmallResNet(n_classes=1)


def _bias_free_toy(seed=0):
    torch.manual_seed(seed)
    model = resnet.SmallResNet(n_classes=4, stem_channels=4, widths=(6, 8), fc_bias=False).eval()
    return model  # BatchNorm at its initial statistics: the merged convs stay bias-free


def test_crp_relevance_conserves_the_logit_on_a_bias_free_toy_resnet():
    model = _bias_free_toy()
    x = torch.rand(3, 1, 16, 20) * -40  # log-Mel-like (dB ≤ 0)
    targets = [0, 1, 2]
    maps, logits = saliency.crp_maps(model, x, targets)
    fraction = saliency.conserved_fraction(maps, logits, targets)
    assert maps.shape == (3, 16, 20)
    np.testing.assert_allclose(fraction, 1.0, rtol=1e-3)


def test_crp_concept_condition_changes_the_map():
    model = _bias_free_toy()
    x = torch.rand(1, 1, 16, 20) * -40
    plain, _ = saliency.crp_maps(model, x, [0])
    concept, _ = saliency.crp_maps(model, x, [0], conditions={"layer1.conv1": [3]})
    assert concept.shape == plain.shape and not np.allclose(plain, concept)


def _authors_like_state(model):
    return resnet.ours_to_authors(model.state_dict())


def test_key_map_round_trips_a_state_dict():
    model = resnet.SmallResNet(n_classes=7)
    ours = model.state_dict()
    theirs = resnet.ours_to_authors(ours)
    assert "conv1.weight" in theirs and "layer1.bn2.running_var" in theirs and "layer2.shortcut.weight" in theirs
    assert set(resnet.authors_to_ours(theirs)) == set(ours)
    for key, value in resnet.authors_to_ours(theirs).items():
        assert torch.equal(value, ours[key])


def test_authors_checkpoint_loads_with_weights_only(tmp_path):
    torch.manual_seed(1)
    source = resnet.SmallResNet(n_classes=7).eval()
    path = tmp_path / "best_model_tess.pth"
    torch.save(_authors_like_state(source), path)
    target = resnet.load_authors_state_dict(resnet.SmallResNet(n_classes=7).eval(), path)
    x = torch.rand(1, 1, 32, 40)
    assert torch.allclose(source(x), target(x))


def test_unknown_checkpoint_key_is_named():
    with pytest.raises(KeyError, match="head.weight"):
        resnet.authors_to_ours({"head.weight": torch.zeros(1)})


def test_training_learns_a_separable_toy_problem_and_is_deterministic():
    rng = np.random.default_rng(0)
    y = np.tile([0, 1], 24)  # both classes in the training and the validation part
    x = rng.normal(-40, 3, (48, 8, 12)).astype(np.float32)
    x[y == 1, :, 4:8] += 25  # class 1 has a loud span
    first = resnet.train(x[:40], y[:40], x[40:], y[40:], n_classes=2, epochs=8, patience=8, seed=3, lr=3e-3)
    second = resnet.train(x[:40], y[:40], x[40:], y[40:], n_classes=2, epochs=8, patience=8, seed=3, lr=3e-3)
    assert first.best_val_accuracy == 1.0
    assert [h["val_acc"] for h in first.history] == [h["val_acc"] for h in second.history]
    assert sorted(set(y[40:])) == [0, 1]
    assert (resnet.predict(first.model, x[40:]).argmax(1) == y[40:]).all()


def test_split_random_is_stratified_and_disjoint():
    labels = np.repeat(np.arange(4), 10)
    train, val, test = resnet.split_indices(labels, kind="random")
    assert len(test) == 4 and len(val) == 4 and len(train) == 32
    assert sorted(labels[test]) == [0, 1, 2, 3]
    assert not set(train) & set(test) and not set(val) & set(test)


def test_split_speaker_holds_speakers_out():
    labels = np.tile(np.arange(4), 10)
    speakers = np.repeat([f"s{i}" for i in range(10)], 4)
    train, val, test = resnet.split_indices(labels, speakers, kind="speaker")
    assert not set(speakers[test]) & set(speakers[np.concatenate([train, val])])
    with pytest.raises(ValueError, match="valid choices: random, speaker"):
        resnet.split_indices(labels, speakers, kind="loso")
