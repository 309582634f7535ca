"""Embeddings: pooling over valid frames only, batching that changes nothing, loud failures.

All on the random-init stand-ins (no hub access here); they share the real models' frame
rate and masking, which is what these tests are about.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

from helpers import embeddings as emb
from helpers.errors import CorruptAudioError, InvalidParameterError

SR = 16000


def noisy_tone(duration: float, seed: int, freq: float = 180.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(duration * SR)) / SR
    tone = 0.3 * np.sin(2 * np.pi * freq * t) + 0.05 * rng.standard_normal(t.size)
    return tone.astype(np.float32)


@pytest.fixture(scope="module")
def tiny():
    return emb.load_model("tiny-wavlm", seed=0)


@pytest.fixture(scope="module")
def three_lengths():
    """Clearly different lengths, so a batch pads the short ones by seconds."""
    return [noisy_tone(d, seed=i) for i, d in enumerate((0.5, 1.3, 2.2))]


def one_at_a_time(signals, model, extractor, **kw):
    return np.stack([emb.embed_signals([x], model, extractor, **kw)[0] for x in signals])


# ---------------------------------------------------------------- models


def test_tiny_model_is_labelled_as_a_stand_in(tiny):
    model, extractor, info = tiny
    assert info == {"name": "tiny-wavlm", "kind": "random-init stand-in",
                    "label": "tiny-wavlm (random-init stand-in)", "hidden_size": 64,
                    "num_layers": 2, "sampling_rate": 16000, "padding_is_safe": True}
    assert not model.training
    assert model.config.conv_stride == (5, 2, 2, 2, 2, 2, 2)
    assert extractor.return_attention_mask and extractor.do_normalize


def test_frame_counts_match_the_real_models_320x_stride(tiny):
    model, _, _ = tiny
    # 1 s at 16 kHz -> 49 frames in WavLM/wav2vec2 (20 ms hop, 25 ms receptive field)
    assert emb._frame_counts(model, [16000, 32000, 400, 399]).tolist() == [49, 99, 1, 0]


def test_same_seed_same_weights_other_seed_other_weights(three_lengths):
    a = emb.embed_signals(three_lengths, *emb.load_model("tiny-wavlm", seed=0)[:2])
    b = emb.embed_signals(three_lengths, *emb.load_model("tiny-wavlm", seed=0)[:2])
    c = emb.embed_signals(three_lengths, *emb.load_model("tiny-wavlm", seed=1)[:2])
    np.testing.assert_array_equal(a, b)
    assert np.abs(a - c).max() > 1e-2


def test_unknown_bare_name_lists_the_known_ones():
    with pytest.raises(InvalidParameterError) as err:
        emb.load_model("wavlm-large")
    for name in emb.KNOWN_MODELS:
        assert name in str(err.value)


def test_hub_checkpoint_offline_says_how_to_get_it(monkeypatch):
    huggingface_hub = pytest.importorskip("huggingface_hub")
    name = "microsoft/wavlm-large"
    if isinstance(huggingface_hub.try_to_load_from_cache(name, "config.json"), str):
        pytest.skip(f"{name} is in this machine's Hugging Face cache")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(emb.ModelNotAvailableError) as err:
        emb.load_model(name)
    message = str(err.value)
    assert name in message and "tiny-wavlm" in message
    assert "huggingface-cli download" in message and "local directory" in message


def test_local_directory_loads_the_saved_model(tmp_path, tiny, three_lengths):
    model, extractor, _ = tiny
    model.save_pretrained(tmp_path / "model")
    extractor.save_pretrained(tmp_path / "model")
    loaded, loaded_extractor, info = emb.load_model(str(tmp_path / "model"))
    assert info["kind"] == "pretrained" and info["hidden_size"] == 64 and not loaded.training
    np.testing.assert_allclose(emb.embed_signals(three_lengths, loaded, loaded_extractor),
                               emb.embed_signals(three_lengths, model, extractor), atol=1e-6)


def test_directory_without_config_is_not_available(tmp_path):
    with pytest.raises(emb.ModelNotAvailableError, match="no config.json"):
        emb.load_model(str(tmp_path))


# ---------------------------------------------------------------- embed_signals


def test_shape_and_layer_all(tiny, three_lengths):
    model, extractor, _ = tiny
    last = emb.embed_signals(three_lengths, model, extractor)
    every = emb.embed_signals(three_lengths, model, extractor, layer="all")
    assert last.shape == (3, 64) and last.dtype == np.float32 and np.isfinite(last).all()
    assert every.shape == (3, 3, 64)
    np.testing.assert_array_equal(every[:, -1], last)
    layer1 = emb.embed_signals(three_lengths, model, extractor, layer=1)
    np.testing.assert_array_equal(every[:, 1], layer1)
    assert np.abs(every[:, 0] - every[:, -1]).max() > 1e-2  # the layers really differ


def test_last_layer_is_the_models_final_output(tiny, three_lengths):
    model, extractor, _ = tiny
    x = three_lengths[1]
    with torch.inference_mode():
        inputs = extractor([x], sampling_rate=SR, return_tensors="pt")
        expected = model(inputs["input_values"]).last_hidden_state.mean(dim=1)[0].numpy()
    np.testing.assert_allclose(emb.embed_signals([x], model, extractor)[0], expected, atol=1e-5)


@pytest.mark.parametrize("name", emb.TINY_MODELS)
def test_batched_equals_one_at_a_time(name, three_lengths):
    model, extractor, _ = emb.load_model(name)
    batched = emb.embed_signals(three_lengths, model, extractor, layer="all", batch_size=8)
    single = one_at_a_time(three_lengths, model, extractor, layer="all")
    assert np.abs(batched - single).max() < 1e-4


@pytest.mark.filterwarnings("ignore:Support for mismatched key_padding_mask")
def test_padding_would_leak_without_the_frame_mask(tiny, three_lengths):
    """The guarantee above is not vacuous: averaging padded frames changes the answer."""
    model, extractor, _ = tiny
    inputs = extractor(three_lengths, sampling_rate=SR, padding=True, return_tensors="pt")
    with torch.inference_mode():
        out = model(inputs["input_values"], attention_mask=inputs["attention_mask"])
    naive = out.last_hidden_state.mean(dim=1).numpy()
    assert np.abs(naive[0] - emb.embed_signals(three_lengths[:1], model, extractor)[0]).max() > 1e-2


def test_order_is_kept_when_batches_are_length_sorted(tiny, three_lengths):
    model, extractor, _ = tiny
    shuffled = [three_lengths[i] for i in (2, 0, 1)]
    in_order = emb.embed_signals(three_lengths, model, extractor)
    np.testing.assert_allclose(emb.embed_signals(shuffled, model, extractor, batch_size=2),
                               in_order[[2, 0, 1]], atol=1e-5)


def test_group_norm_model_without_mask_is_never_padded(three_lengths):
    """wav2vec2-base-style encoders: zero padding shifts group norm, so only equal lengths batch."""
    torch.manual_seed(0)
    config = emb.tiny_config("tiny-wavlm", feat_extract_norm="group", do_stable_layer_norm=False)
    model = emb._model_class("wavlm")(config).eval()
    extractor = emb.tiny_feature_extractor(return_attention_mask=False)
    assert not emb.padding_is_safe(model, extractor)
    signals = three_lengths + [three_lengths[0][::-1].copy()]  # two of the same length
    assert emb._plan_batches([len(x) for x in signals], 8, pad_ok=False) == [[0, 3], [1], [2]]
    batched = emb.embed_signals(signals, model, extractor, batch_size=8)
    assert np.abs(batched - one_at_a_time(signals, model, extractor)).max() < 1e-4
    padded, _ = emb._forward_batch(signals, model, extractor, [-1], use_mask=False)
    assert np.abs(padded[0, 0] - batched[0]).max() > 1e-3  # what naive padding would have given


def test_long_signal_is_chunked_into_a_close_finite_vector(tiny):
    model, extractor, _ = tiny
    x = noisy_tone(3.0, seed=7)
    whole = emb.embed_signals([x], model, extractor, max_chunk_s=20.0)
    np.testing.assert_array_equal(whole, emb.embed_signals([x], model, extractor, max_chunk_s=3.5))
    chunked = emb.embed_signals([x], model, extractor, max_chunk_s=1.0)
    assert chunked.shape == (1, 64) and np.isfinite(chunked).all()
    assert np.abs(chunked - whole).max() > 0  # it really was chunked
    cosine = float(chunked[0] @ whole[0] / np.linalg.norm(chunked) / np.linalg.norm(whole))
    assert cosine > 0.95


def test_chunk_means_are_weighted_by_frame_counts():
    pooled = np.array([[[0.0]], [[3.0]], [[10.0]]], dtype=np.float32)
    combined = emb._combine_chunks(pooled, np.array([1, 2, 5]), np.array([0, 0, 1]), 2)
    np.testing.assert_allclose(combined[:, 0, 0], [2.0, 10.0])


def test_bad_arguments_fail_before_running(tiny, three_lengths):
    model, extractor, _ = tiny
    with pytest.raises(InvalidParameterError, match="from -3 to 2"):
        emb.embed_signals(three_lengths, model, extractor, layer=3)
    with pytest.raises(InvalidParameterError, match="batch_size"):
        emb.embed_signals(three_lengths, model, extractor, batch_size=0)
    with pytest.raises(InvalidParameterError, match="signal 1 has 300 samples"):
        emb.embed_signals([three_lengths[0], np.ones(300, np.float32)], model, extractor)
    assert emb.embed_signals([], model, extractor).shape == (0, 64)


# ---------------------------------------------------------------- embed_files


@pytest.fixture
def wav_files(tmp_path, write_wav):
    return [write_wav(tmp_path / "wav" / f"clip{i}.wav", noisy_tone(d, seed=i))
            for i, d in enumerate((0.5, 1.3, 2.2))]


def test_embed_files_matches_embed_signals_and_keeps_the_index(tmp_path, wav_files, tiny):
    import pandas as pd

    from helpers.audio import load_audio

    table = pd.DataFrame({"path": [str(p) for p in wav_files], "speaker": list("abc")},
                         index=[10, 20, 30])
    result = emb.embed_files(table, cache_root=tmp_path / "cache", progress=False)
    assert list(result.index) == [10, 20, 30]
    assert list(result.columns) == [f"emb_{i}" for i in range(64)]
    expected = emb.embed_signals([load_audio(p) for p in wav_files], *tiny[:2])
    np.testing.assert_allclose(result.to_numpy(), expected, atol=1e-4)
    assert result.attrs["skipped"] == []


def test_second_run_reads_the_cache_without_audio_or_model(tmp_path, wav_files, monkeypatch):
    import helpers.audio

    first = emb.embed_files(wav_files, cache_root=tmp_path / "cache", progress=False)
    assert len(list((tmp_path / "cache").rglob("*.npz"))) == 3

    def forbidden(*args, **kwargs):
        raise AssertionError("a cached run must not load audio or the model")

    monkeypatch.setattr(helpers.audio, "load_audio", forbidden)
    monkeypatch.setattr(emb, "load_model", forbidden)
    second = emb.embed_files(wav_files, cache_root=tmp_path / "cache", progress=False)
    np.testing.assert_array_equal(second.to_numpy(), first.to_numpy())
    assert list(second.index) == [str(p) for p in wav_files]


@pytest.mark.parametrize("bad", ["wrong shape", "NaN"])
def test_a_wrong_shape_or_nan_cache_entry_is_recomputed(tmp_path, wav_files, bad):
    first = emb.embed_files(wav_files, cache_root=tmp_path / "cache", progress=False)
    entries = sorted((tmp_path / "cache").rglob("*.npz"))
    assert len(entries) == 3
    for entry in entries:  # a stale layout, or NaN stored as such (FeatureCache.put records it)
        values = np.ones(32, np.float32) if bad == "wrong shape" else np.full(64, np.nan, np.float32)
        with open(entry, "wb") as handle:
            np.savez(handle, values=values, finite=np.asarray(bool(np.isfinite(values).all())))
    second = emb.embed_files(wav_files, cache_root=tmp_path / "cache", progress=False)
    np.testing.assert_allclose(second.to_numpy(), first.to_numpy(), atol=1e-6)
    for entry in sorted((tmp_path / "cache").rglob("*.npz")):  # rewritten with the right values
        with np.load(entry) as stored:
            assert stored["values"].shape == (64,) and np.isfinite(stored["values"]).all()


def test_cache_keys_depend_on_seed_and_layer(tmp_path, wav_files):
    base = emb.embed_files(wav_files[:1], cache_root=tmp_path / "cache", progress=False)
    cache = {"cache_root": tmp_path / "cache", "progress": False}
    other_seed = emb.embed_files(wav_files[:1], seed=1, **cache)
    every = emb.embed_files(wav_files[:1], layer="all", **cache)
    assert np.abs(base.to_numpy() - other_seed.to_numpy()).max() > 1e-2
    assert every.shape == (1, 3 * 64) and every.columns[-1] == "layer2_emb_63"
    np.testing.assert_allclose(every.filter(like="layer2_").to_numpy(), base.to_numpy(), atol=1e-6)


def test_bad_file_is_skipped_and_reported(tmp_path, wav_files):
    bad = tmp_path / "wav" / "noise.wav"
    bad.write_bytes(np.random.default_rng(0).bytes(2000))
    paths = [wav_files[0], bad, wav_files[1], tmp_path / "missing.wav"]
    with pytest.warns(emb.SkippedFilesWarning, match="skipped 2 file"):
        result = emb.embed_files(paths, cache=False, progress=False)
    assert list(result.index) == [str(wav_files[0]), str(wav_files[1])]
    assert np.isfinite(result.to_numpy()).all()
    skipped = dict(result.attrs["skipped"])
    assert set(skipped) == {str(bad), str(tmp_path / "missing.wav")}
    assert skipped[str(bad)].startswith("CorruptAudioError")
    with pytest.raises(CorruptAudioError, match="noise.wav"):
        emb.embed_files([wav_files[0], bad], cache=False, progress=False, on_error="raise")


def test_all_files_bad_gives_an_empty_table_with_the_right_columns(tmp_path):
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"not audio at all")
    with pytest.warns(emb.SkippedFilesWarning):
        result = emb.embed_files([bad], cache=False, progress=False)
    assert result.shape == (0, 64)


def test_invalid_on_error_is_rejected_before_work(wav_files):
    with pytest.raises(InvalidParameterError, match="on_error"):
        emb.embed_files(wav_files, on_error="ignore", cache=False, progress=False)


def test_an_interrupted_run_keeps_the_batches_already_done(tmp_path, wav_files, monkeypatch):
    real_embed = emb.embed_signals
    calls = []

    def crash_on_second_batch(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real_embed(*args, **kwargs)

    monkeypatch.setattr(emb, "embed_signals", crash_on_second_batch)
    with pytest.raises(KeyboardInterrupt):
        emb.embed_files(wav_files, batch_size=1, cache_root=tmp_path / "cache", progress=False)
    assert len(list((tmp_path / "cache").rglob("*.npz"))) == 1
