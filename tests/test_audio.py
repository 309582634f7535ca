"""load_audio / audio_info / load_many: mono, resampling and a clear error per bad file."""
from __future__ import annotations

import numpy as np
import pytest

from helpers.audio import SkipReport, audio_info, load_audio, load_many
from helpers.errors import (
    AudioError,
    CorruptAudioError,
    EmptyAudioError,
    NonFiniteAudioError,
    SilentAudioError,
    TooShortAudioError,
)


def dominant_frequency(x: np.ndarray, sr: int) -> float:
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.fft.rfftfreq(len(x), 1 / sr)[np.argmax(spectrum)])


def test_stereo_is_averaged_to_mono(tmp_path, write_wav, sine_wave):
    left = sine_wave(300, 0.5, 16000, amp=0.4)
    right = np.full_like(left, 0.2)
    path = write_wav(tmp_path / "stereo.wav", np.stack([left, right], axis=1), subtype="FLOAT")
    x = load_audio(path, sr=16000)
    assert x.dtype == np.float32 and x.ndim == 1 and len(x) == 8000
    np.testing.assert_allclose(x, (left + right) / 2, atol=1e-6)


def test_multichannel_is_averaged(tmp_path, write_wav):
    wave = np.sin(np.arange(4000) / 5.0).astype(np.float32)
    chans = np.stack([v * wave for v in (0.1, 0.2, 0.3, 0.6)], axis=1)
    x = load_audio(write_wav(tmp_path / "quad.wav", chans, subtype="FLOAT"), sr=None)
    np.testing.assert_allclose(x, 0.3 * wave, atol=1e-6)


@pytest.mark.parametrize("native_sr", [8000, 22050, 44100, 48000])
def test_resampled_to_16k_keeps_length_and_pitch(tmp_path, write_wav, native_sr, sine_wave):
    path = write_wav(tmp_path / f"tone_{native_sr}.wav", sine_wave(440, 1.0, native_sr), native_sr)
    x = load_audio(path, sr=16000)
    assert abs(len(x) - 16000) <= 1
    assert dominant_frequency(x, 16000) == pytest.approx(440, abs=2)
    assert 0.45 < np.max(np.abs(x)) < 0.55  # amplitude survives resampling


def test_sr_none_keeps_native_rate(tmp_path, write_wav, sine_wave):
    path = write_wav(tmp_path / "a.wav", sine_wave(440, 0.5, 44100), 44100)
    assert len(load_audio(path, sr=None)) == 22050


def test_audio_info_reports_header(tmp_path, write_wav):
    path = write_wav(tmp_path / "s.wav", np.zeros((4410, 2), np.float32) + 0.1, 44100)
    info = audio_info(path)
    assert (info.sample_rate, info.channels, info.frames) == (44100, 2, 4410)
    assert info.duration == pytest.approx(0.1)
    assert info.subtype == "PCM_16"


def _expect(exc_type, path, *, match=None, **kw):
    with pytest.raises(exc_type) as err:
        load_audio(path, **kw)
    assert str(path) in str(err.value)
    assert err.value.path == str(path)
    if match:
        assert match in str(err.value)
    return err.value


def test_random_bytes_named_wav_is_corrupt(tmp_path):
    path = tmp_path / "noise.wav"
    path.write_bytes(np.random.default_rng(0).integers(0, 256, 3000, dtype=np.uint8).tobytes())
    _expect(CorruptAudioError, path, match="cannot be decoded")


def test_text_file_is_corrupt(tmp_path):
    path = tmp_path / "notes.wav"
    path.write_text("this is not audio\n" * 50)
    _expect(CorruptAudioError, path, match="cannot be decoded")


def test_missing_file_says_so(tmp_path):
    _expect(CorruptAudioError, tmp_path / "absent.wav", match="does not exist")


def test_zero_frame_wav_is_empty(tmp_path, write_wav):
    path = write_wav(tmp_path / "empty.wav", np.zeros(0, np.float32))
    assert path.stat().st_size > 0  # a valid header with no samples
    _expect(EmptyAudioError, path, match="no samples")


def test_zero_byte_file_is_empty(tmp_path):
    path = tmp_path / "zero.wav"
    path.write_bytes(b"")
    _expect(EmptyAudioError, path, match="0 bytes")


def test_all_zero_wav_is_silent(tmp_path, write_wav):
    path = write_wav(tmp_path / "silence.wav", np.zeros(16000, np.float32))
    _expect(SilentAudioError, path, match="silent")


def test_short_wav_is_too_short_unless_allowed(tmp_path, write_wav, sine_wave):
    path = write_wav(tmp_path / "short.wav", sine_wave(440, 0.1, 16000))
    _expect(TooShortAudioError, path, match="0.100 s")
    assert len(load_audio(path, min_duration=0.05)) == 1600


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_float_wav_with_nonfinite_samples(tmp_path, write_wav, bad, sine_wave):
    x = sine_wave(440, 0.5, 16000)
    x[100:103] = bad
    path = write_wav(tmp_path / "nan.wav", x, subtype="FLOAT")
    _expect(NonFiniteAudioError, path, match="3 of 8000")


def test_errors_share_a_base_class():
    for cls in (CorruptAudioError, EmptyAudioError, SilentAudioError, TooShortAudioError,
                NonFiniteAudioError):
        assert issubclass(cls, AudioError) and issubclass(cls, ValueError)


def test_load_many_skips_and_reports_bad_files(tmp_path, write_wav, sine_wave):
    good1 = write_wav(tmp_path / "good1.wav", sine_wave(440, 0.5, 8000), 8000)
    silent = write_wav(tmp_path / "silent.wav", np.zeros(8000, np.float32))
    good2 = write_wav(tmp_path / "good2.wav", sine_wave(440, 0.5, 48000), 48000)
    corrupt = tmp_path / "corrupt.wav"
    corrupt.write_bytes(b"RIFF\x00\x00garbage" * 20)
    missing = tmp_path / "missing.wav"

    loaded, report = load_many([good1, silent, good2, corrupt, missing], sr=16000)

    assert list(loaded) == [str(good1), str(good2)]
    assert all(len(v) == 8000 for v in loaded.values())
    assert isinstance(report, SkipReport) and len(report) == 3 and report.total == 5
    assert report.paths == [str(silent), str(corrupt), str(missing)]
    assert [s.error for s in report] == ["SilentAudioError", "CorruptAudioError", "CorruptAudioError"]
    frame = report.to_frame()
    assert frame.shape == (3, 3) and list(frame.columns) == ["path", "error", "message"]
    text = str(report)
    assert text.startswith("skipped 3 of 5 files")
    assert str(missing) in text and "does not exist" in text


def test_load_many_all_good_report_is_empty(tmp_path, write_wav, sine_wave):
    path = write_wav(tmp_path / "a.wav", sine_wave(440, 0.3, 16000))
    loaded, report = load_many([path])
    assert len(loaded) == 1 and len(report) == 0 and str(report) == "all 1 files loaded"


def test_real_subset_file_resamples_to_2s(emodb_subset_dir):
    path = emodb_subset_dir / "wav" / "03a01Wa.wav"
    info = audio_info(path)
    assert info.sample_rate == 22050 and info.duration == pytest.approx(2.0)
    x = load_audio(path, sr=16000)
    assert len(x) == 32000 and np.isfinite(x).all() and np.abs(x).max() > 0.01
