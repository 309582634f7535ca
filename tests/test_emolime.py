"""EmoLIME pieces: band edges, STFT masking, LIME on a toy classifier, re-indexing, selection, LOSO."""
import numpy as np
import pandas as pd
import pytest

from helpers import emolime
from helpers.emolime_models import fit_loso
from helpers.errors import InvalidParameterError

SR = 16000
PAPER_EDGES = [0, 386, 760, 1148, 1689, 2484, 3654, 5374, 8000]


def tones(freqs, seconds=1.0, sr=SR):
    t = np.arange(int(seconds * sr)) / sr
    return sum(0.1 * np.sin(2 * np.pi * f * t) for f in freqs).astype(np.float32)


def power_at(x, freq, sr=SR):
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x)))) ** 2
    k = int(round(freq * len(x) / sr))
    return spectrum[k - 2:k + 3].sum()


def test_mel_edges_within_3_percent_of_the_documented_values():
    edges = emolime.band_edges("mel")
    assert len(edges) == 9 and edges[0] == 0 and edges[-1] == 8000
    np.testing.assert_allclose(edges[1:-1], PAPER_EDGES[1:-1], rtol=0.03)
    np.testing.assert_allclose(emolime.band_edges("hz"), np.arange(0, 8001, 1000))


def test_planted_band_lies_in_one_component_under_both_schemes():
    assert emolime.component_of_band(1200, 1650, emolime.band_edges("mel")) == 3
    assert emolime.component_of_band(1200, 1650, emolime.band_edges("hz")) == 1
    with pytest.raises(InvalidParameterError, match="spans components"):
        emolime.component_of_band(900, 1100, emolime.band_edges("hz"))


def test_all_on_mask_reproduces_the_input():
    x = np.random.default_rng(0).normal(scale=0.1, size=SR).astype(np.float32)
    for bands in emolime.BANDS:
        out = emolime.perturbations(x, np.ones((1, 8), int), bands=bands)
        assert out.shape == (1, len(x))
        assert np.max(np.abs(out[0] - x)) < 1e-5


@pytest.mark.parametrize("bands", emolime.BANDS)
def test_masked_component_is_attenuated_and_others_keep_their_energy(bands):
    edges = emolime.band_edges(bands)
    centres = (edges[:-1] + edges[1:]) / 2
    x = tones(centres, seconds=2.0)
    split = emolime.SpectralSplit(x, SR, edges)
    for off in range(8):
        mask = np.ones((1, 8), int)
        mask[0, off] = 0
        y = split.perturb(mask)[0]
        for c, f in enumerate(centres):
            change_db = 10 * np.log10(power_at(y, f) / power_at(x, f))
            if c == off:
                assert change_db <= -40, (bands, off, change_db)
            else:
                assert abs(change_db) <= 1, (bands, off, c, change_db)


def test_noise_fill_keeps_removed_bands_at_the_floor_and_silence_is_finite():
    x = tones([500.0, 3000.0])
    split = emolime.SpectralSplit(x, SR, emolime.band_edges("hz"))
    zeros = split.perturb(np.zeros((1, 8), int))[0]
    assert np.all(zeros == 0) or np.max(np.abs(zeros)) < 1e-7
    floor = split.perturb(np.zeros((1, 8), int), fill="noise", floor_db=-60)[0]
    assert 0 < np.sqrt(np.mean(floor ** 2)) < 0.05 * np.sqrt(np.mean(x ** 2))  # -60 dB per bin
    with pytest.raises(InvalidParameterError, match="zero, noise"):
        split.perturb(np.ones((1, 8), int), fill="pink")


def test_masks_follow_the_authors_scheme():
    masks = emolime.lime_masks(64)
    assert masks.shape == (64, 8) and masks[0].tolist() == [1] * 8
    np.testing.assert_array_equal(masks, emolime.lime_masks(64))  # fresh RandomState(42) each time
    rng = np.random.RandomState(42)
    expected = rng.randint(0, 2, 64 * 8).reshape(64, 8)
    np.testing.assert_array_equal(masks[1:], expected[1:])
    assert 0.4 < masks[1:].mean() < 0.6


def test_kernel_and_distances():
    d = emolime.cosine_distances_to_original(np.array([[1, 1, 1, 1], [1, 1, 0, 0], [0, 0, 0, 0]]))
    np.testing.assert_allclose(d, [0.0, 1 - 1 / np.sqrt(2), 1.0])  # cos = 2 / (2 * sqrt 2)
    np.testing.assert_allclose(emolime.lime_kernel([0.0, 0.25]), [1.0, np.exp(-0.5)])


def test_reindex_puts_sorted_weights_back_in_component_order():
    raw = [(5, -0.9), (0, 0.5), (7, 0.1)]
    np.testing.assert_allclose(emolime.reindex(raw, 8), [0.5, 0, 0, 0, 0, -0.9, 0, 0.1])
    with pytest.raises(InvalidParameterError, match="repeated"):
        emolime.reindex([(1, 0.1), (1, 0.2)], 8)


def test_lime_recovers_the_band_a_toy_classifier_looks_at():
    """A 'classifier' whose score is the energy share in 1200–1650 Hz: that component ranks 1."""
    x = tones([250, 600, 950, 1400, 2000, 3000, 4500, 6500])
    for bands, planted in (("mel", 3), ("hz", 1)):
        def predict(signals):
            p = np.array([power_at(s, 1400) / (power_at(s, 1400) + power_at(x, 1400)) for s in signals])
            return np.stack([1 - p, p], axis=1)

        result = emolime.explain_signal(x, {"toy": predict}, {"toy": 1}, emolime.lime_masks(64), bands=bands)
        weights = result["toy"].weights
        assert emolime.rank_of_component(weights, planted) == 1
        assert weights[planted] > 0.3 and np.all(np.abs(np.delete(weights, planted)) < 0.05)
        assert [c for c, _ in result["toy"].raw][0] == planted


def test_non_finite_scores_are_dropped_and_counted():
    masks = emolime.lime_masks(16)
    scores = masks[:, 2].astype(float)
    scores[5] = np.nan
    explanation = emolime.explain_scores(masks, scores)
    assert explanation.n_dropped == 1 and explanation.n_used == 15
    assert np.argmax(explanation.weights) == 2


def test_rank_and_agreement():
    assert emolime.rank_of_component([0.1, 0.5, -0.2, 0.3], 3) == 2
    assert emolime.rank_agreement([1, 2, 3], [10, 20, 30]) == pytest.approx(1.0)


def test_selection_is_balanced_over_speakers_and_reports_shortfalls():
    table = pd.DataFrame({
        "emotion": ["anger"] * 6 + ["sadness"] * 2 + ["happiness"],
        "speaker": ["a", "a", "a", "b", "b", "c", "a", "b", "a"],
        "correct": [True] * 8 + [False],
    })
    chosen = emolime.select_utterances(table, 3, seed=0)
    anger = chosen[chosen.emotion == "anger"]
    assert sorted(anger.speaker) == ["a", "b", "c"]
    assert chosen.attrs["short"] == {"sadness": 2, "happiness": 0}
    again = emolime.select_utterances(table, 3, seed=0)
    assert list(again.index) == list(chosen.index)


def test_loso_never_shares_speakers_and_predicts_every_row():
    rng = np.random.default_rng(0)
    speakers = np.repeat(["s1", "s2", "s3"], 8)
    labels = np.tile(["anger", "sadness"], 12)
    X = rng.normal(size=(24, 5)) + (labels == "anger")[:, None] * 3
    loso = fit_loso(X, labels, speakers, seed=0, classes=("anger", "sadness"))
    assert set(loso.models) == {"s1", "s2", "s3"}
    assert list(loso.predictions.index) == list(range(24))
    assert (loso.predictions.speaker.to_numpy() == speakers).all()
    assert (loso.predictions.predicted == loso.predictions.emotion).mean() > 0.9
    for speaker, model in loso.models.items():
        assert model[-1].n_support_.sum() <= 16  # trained on the other 16 rows only
    proba = loso.proba_for("s1", X[:2])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_griffinlim_option_masks_mel_blocks_deterministically():
    x = np.random.default_rng(0).normal(scale=0.1, size=8000).astype(np.float32)
    masks = np.array([[1] * 8, [0, 0, 0, 0, 1, 1, 1, 1]])
    y = emolime.perturbations(x, masks, inversion="griffinlim")
    assert y.shape == (2, 8000) and np.array_equal(y, emolime.perturbations(x, masks, inversion="griffinlim"))
    power, freqs = np.abs(np.fft.rfft(y[1])) ** 2, np.fft.rfftfreq(8000, 1 / SR)
    assert power[freqs < 1000].mean() < 1e-3 * power[freqs > 2000].mean()  # components 1–4 end at 1689 Hz
    with pytest.raises(InvalidParameterError, match="bands='mel'"):
        emolime.perturbations(x, masks, bands="hz", inversion="griffinlim")
