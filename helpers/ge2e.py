"""A pretrained speech encoder that needs no network: the GE2E speaker encoder in `resemblyzer`.

`resemblyzer` 0.1.4 (Apache-2.0) ships the weights of a generalised-end-to-end (GE2E)
speaker encoder inside its wheel (`pretrained.pt`): a 3-layer LSTM (256 units) over 40 mel
bands at 16 kHz (25 ms windows, 10 ms hop), then a linear projection to 256 dims, ReLU and L2
normalisation, trained to tell thousands of speakers apart. It is a *speaker* encoder, not an
emotion or SSL model: it stands in for "a pretrained deep embedding", never for the papers'
WavLM / wav2vec2.

resemblyzer embeds one clip at a time (`VoiceEncoder.embed_utterance`: overlapping 1.6-s
windows, the projection of each window's last LSTM state, averaged). Here the network is run
the way `helpers.embeddings` runs the transformers models instead: many clips per forward
pass, zero-padded at the end, each layer's frame sequence kept and mean-pooled over the
clip's own frames. The stacked LSTM is run layer by layer with the packaged weights, so the
hidden sequence of every layer is available:

    hidden_states[0..2]  the output sequences of LSTM layers 1..3 (256 dims each)
    hidden_states[3]     the projected embedding of every frame: ReLU(W h + b), L2-normalised

Padding cannot leak into a clip's frames: the LSTM is unidirectional (frame t sees frames
<= t only) and the mel frames are computed per clip before padding. The front end is
resemblyzer's own (`normalize_volume` to -30 dBFS, increase only, then
`wav_to_mel_spectrogram`: librosa power mel, not log). resemblyzer's `preprocess_wav` also
cuts long pauses with a voice activity detector; that step is left out, so that every frame
of the input is a frame of the output (explainers that mask time or bands rely on it).
"""
from __future__ import annotations

import importlib.util
import warnings
from contextlib import contextmanager
from functools import lru_cache
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch
from torch import nn

from .errors import InvalidParameterError, SerxaiError

WEIGHTS_FILE = "pretrained.pt"
RESEMBLYZER_VERSION = "0.1.4"


@dataclass(frozen=True)
class GE2EConfig:
    """The architecture (resemblyzer.hparams); what `helpers.embeddings` reads from a config."""

    model_type: str = "ge2e"
    n_mels: int = 40
    hidden_size: int = 256  # LSTM units = projection size, so every state has this width
    num_hidden_layers: int = 3  # LSTM layers; the projection is one more state
    sampling_rate: int = 16000
    window_ms: int = 25
    hop_ms: int = 10
    target_dbfs: float = -30.0

    @property
    def n_fft(self) -> int:
        return self.sampling_rate * self.window_ms // 1000

    @property
    def hop_length(self) -> int:
        return self.sampling_rate * self.hop_ms // 1000


CONFIG = GE2EConfig()


class ResemblyzerMissingError(SerxaiError):
    """resemblyzer (or webrtcvad, which it imports) is not installed."""


def _resemblyzer():
    """resemblyzer's audio module, imported without its SciPy deprecation warning."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            from resemblyzer import audio, hparams
    except ImportError as exc:
        raise ResemblyzerMissingError(
            f"the 'ge2e' model needs resemblyzer=={RESEMBLYZER_VERSION} and webrtcvad-wheels ({exc}); "
            f"install them with `pip install --no-deps -r requirements-nodeps.txt` and "
            f"`pip install -r requirements.txt`") from None
    settings = (hparams.mel_n_channels, hparams.sampling_rate, hparams.mel_window_length,
                hparams.mel_window_step, hparams.model_hidden_size, hparams.model_embedding_size,
                hparams.model_num_layers, hparams.audio_norm_target_dBFS)
    ours = (CONFIG.n_mels, CONFIG.sampling_rate, CONFIG.window_ms, CONFIG.hop_ms, CONFIG.hidden_size,
            CONFIG.hidden_size, CONFIG.num_hidden_layers, CONFIG.target_dbfs)
    if settings != ours:
        raise ResemblyzerMissingError(f"resemblyzer's settings {settings} differ from the ones this "
                                      f"code was written for {ours}; install resemblyzer=={RESEMBLYZER_VERSION}")
    return audio


def weights_path() -> Path:
    """The packaged `pretrained.pt`, found without importing resemblyzer."""
    spec = importlib.util.find_spec("resemblyzer")
    if spec is None or not spec.submodule_search_locations:
        _resemblyzer()  # raises the how-to-install error
    path = Path(list(spec.submodule_search_locations)[0]) / WEIGHTS_FILE
    if not path.is_file():
        raise ResemblyzerMissingError(f"{path} is missing: reinstall resemblyzer=={RESEMBLYZER_VERSION}")
    return path


# ---------------------------------------------------------------- front end


@contextmanager
def _torch_threads(n: int | None):
    """torch's intra-op thread count set to `n` (None: unchanged) for the block, then restored."""
    before = torch.get_num_threads()
    if n is not None and n != before:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        if torch.get_num_threads() != before:
            torch.set_num_threads(before)


def frame_counts(n_samples) -> np.ndarray:
    """Mel frames of clips of these lengths (librosa's centred frames: 1 + n // hop); 0 for a
    clip shorter than one 25-ms window."""
    n = np.asarray(n_samples, dtype=np.int64)
    return np.where(n >= CONFIG.n_fft, 1 + n // CONFIG.hop_length, 0)


@lru_cache(maxsize=1)
def _mel_basis() -> np.ndarray:
    import librosa

    return librosa.filters.mel(sr=CONFIG.sampling_rate, n_fft=CONFIG.n_fft, n_mels=CONFIG.n_mels)


def mel_frames(signal: np.ndarray) -> np.ndarray:
    """(frames, 40) float32: resemblyzer's volume normalisation and mel spectrogram of one clip
    at 16 kHz. A silent clip is left at zero (resemblyzer would divide by its zero level).

    The spectrogram is what resemblyzer's `wav_to_mel_spectrogram` computes (librosa's power
    mel: centred Hann frames, constant padding, Slaney filters), with the filter bank built once
    and applied by torch on one thread: librosa's call rebuilt the bank every time, and numpy's
    threaded BLAS took 20 ms for this small product on 2 busy cores (0.1 ms on one thread)."""
    import librosa

    audio = _resemblyzer()
    x = np.asarray(signal, dtype=np.float32)
    if np.any(x):
        x = audio.normalize_volume(x, CONFIG.target_dbfs, increase_only=True).astype(np.float32)
    power = np.abs(librosa.stft(x, n_fft=CONFIG.n_fft, hop_length=CONFIG.hop_length)) ** 2
    with _torch_threads(1):
        mel = torch.from_numpy(_mel_basis()) @ torch.from_numpy(power.astype(np.float32))
    return mel.T.contiguous().numpy()


class FrontEnd:
    """Per-clip mel frames, zero-padded at the end into one batch, with a frame mask. Called
    like a transformers feature extractor, so `helpers.embeddings` batches it the same way."""

    sampling_rate = CONFIG.sampling_rate
    return_attention_mask = True

    def __call__(self, pieces, sampling_rate=None, return_tensors="pt", **_):
        if sampling_rate not in (None, self.sampling_rate):
            raise InvalidParameterError(f"the GE2E front end takes {self.sampling_rate} Hz, not {sampling_rate}")
        with _torch_threads(1):  # once for the batch, not per clip
            mels = [mel_frames(x) for x in pieces]
        batch = np.zeros((len(mels), max(len(m) for m in mels), CONFIG.n_mels), dtype=np.float32)
        mask = np.zeros(batch.shape[:2], dtype=np.int64)
        for i, mel in enumerate(mels):
            batch[i, :len(mel)], mask[i, :len(mel)] = mel, 1
        return {"input_values": torch.from_numpy(batch), "attention_mask": torch.from_numpy(mask)}


# ---------------------------------------------------------------- network


class GE2EOutput(NamedTuple):
    last_hidden_state: torch.Tensor
    hidden_states: tuple


class GE2E(nn.Module):
    """The GE2E encoder as one single-layer LSTM per layer (same weights as resemblyzer's
    stacked `nn.LSTM`), returning every layer's frame sequence and the per-frame embedding."""

    pads_safely = True  # unidirectional: padding after a clip never reaches its frames
    default_batch_size = 32  # clips per forward pass when the caller does not say
    # The LSTM steps through time with one small matrix product per frame; splitting each over
    # threads costs more in synchronisation than it gains (measured on 2 busy cores: 2 threads
    # 4x slower than 1 at batch 8). None: torch's own thread setting.
    threads: int | None = 1

    def __init__(self, config: GE2EConfig = CONFIG):
        super().__init__()
        self.config = config
        widths = [config.n_mels] + [config.hidden_size] * config.num_hidden_layers
        self.lstms = nn.ModuleList(nn.LSTM(a, b, batch_first=True) for a, b in zip(widths, widths[1:]))
        self.linear = nn.Linear(config.hidden_size, config.hidden_size)

    def load_stacked(self, state: dict) -> None:
        """Weights of resemblyzer's `VoiceEncoder` (`lstm.weight_ih_l<k>`, `linear.*`); every
        tensor must be used and every parameter set (its GE2E loss scalars are ignored)."""
        ours = {}
        for key, value in state.items():
            if key.startswith("lstm."):
                name, layer = key[len("lstm."):].rsplit("_l", 1)
                ours[f"lstms.{layer}.{name}_l0"] = value
            elif key.startswith("linear."):
                ours[key] = value
        self.load_state_dict(ours, strict=True)

    @staticmethod
    def frame_counts(n_samples) -> np.ndarray:
        return frame_counts(n_samples)

    def forward(self, input_values, attention_mask=None, output_hidden_states=True) -> GE2EOutput:
        """All frames of every clip (the padding too: the caller pools over valid frames only)."""
        states, x = [], input_values
        with _torch_threads(self.threads):
            for lstm in self.lstms:
                x, _ = lstm(x)
                states.append(x)
            projected = torch.relu(self.linear(x))
            # resemblyzer divides by the norm; an all-zero frame stays zero here instead of NaN
            projected = projected / projected.norm(dim=-1, keepdim=True).clamp_min(1e-12)
        states.append(projected)
        return GE2EOutput(projected, tuple(states))


def build(pretrained: bool = True, seed: int = 0) -> GE2E:
    """The packaged pretrained encoder (read from the installed wheel, no network), or the same
    network with PyTorch's default random initialisation drawn from `seed`."""
    torch.manual_seed(seed)
    model = GE2E()
    if pretrained:
        _resemblyzer()  # the front end must be there too; fail before the 17 MB read
        checkpoint = torch.load(weights_path(), map_location="cpu", weights_only=True)
        model.load_stacked(checkpoint["model_state"])
    return model.eval()


# ---------------------------------------------------------------- does an encoder know speakers?


def nearest_centroid_accuracy(X, speakers, train) -> float:
    """Speaker identification: each test row (train == False) gets the speaker whose mean train
    row is nearest (Euclidean); the fraction right. Every test speaker must have train rows."""
    X, speakers, train = np.asarray(X, dtype=np.float64), np.asarray(speakers), np.asarray(train, dtype=bool)
    labels = np.unique(speakers[train])
    if not set(speakers[~train]) <= set(labels) or not (~train).any():
        raise InvalidParameterError("every test speaker needs training rows, and there must be test rows")
    centroids = np.stack([X[train & (speakers == s)].mean(axis=0) for s in labels])
    distances = ((X[~train, None, :] - centroids[None]) ** 2).sum(axis=-1)
    return float(np.mean(labels[distances.argmin(axis=1)] == speakers[~train]))


def same_speaker_auc(X, speakers) -> float:
    """Speaker verification without a threshold: the probability that a same-speaker pair of rows
    has a higher cosine similarity than a different-speaker pair (ties count half); 0.5 = chance."""
    from scipy.stats import rankdata

    X, speakers = np.asarray(X, dtype=np.float64), np.asarray(speakers)
    unit = X / np.maximum(np.linalg.norm(X, axis=1, keepdims=True), 1e-12)
    rows, cols = np.triu_indices(len(X), k=1)
    similarity, same = (unit[rows] * unit[cols]).sum(axis=1), speakers[rows] == speakers[cols]
    n_same, n_other = int(same.sum()), int((~same).sum())
    if n_same == 0 or n_other == 0:
        raise InvalidParameterError("need pairs of the same speaker and pairs of different speakers")
    ranks = rankdata(similarity)  # Mann-Whitney U from ranks
    return float((ranks[same].sum() - n_same * (n_same + 1) / 2) / (n_same * n_other))
