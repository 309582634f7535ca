"""EmoLIME (Hjulér, Clemmensen & Das, ICASSP 2025): LIME over spectral components of speech.

An utterance is split into 8 frequency components between 0 and 8 kHz (paper §V). A
perturbation switches components off; LIME (paper §III, Eq. 1) fits a locally weighted
ridge surrogate on the binary on/off vectors to the black box's probability of the
explained class, and its coefficients are the components' weights.

Decomposition (`band_edges`):
  * `bands="mel"` (default, as the authors' code): 128 Slaney mel filters up to 8 kHz in
    blocks of 16. A block boundary lies between the last filter of one block and the first
    of the next; we place it where those two triangles cross, which for Slaney filters
    (linear in Hz between neighbouring centres) is the midpoint of the two centre
    frequencies. Edges ≈ 0, 386, 760, 1148, 1689, 2484, 3654, 5374, 8000 Hz. (The paper's
    figures label the components as even 1-kHz steps, which these are not.)
  * `bands="hz"`: 8 equal ranges of 1 kHz.

Perturbation (`SpectralSplit.perturb`): each STFT bin belongs to the component whose range
holds its centre frequency (the upper edge belongs to the next component; the last
component also takes the bins above its upper edge, i.e. only the Nyquist bin at 16 kHz).
Removed components are zeroed (`fill="zero"`), or set to a floor `floor_db` below the
utterance's peak magnitude (`fill="noise"`), and the signal is rebuilt with the original
phase, so the all-on mask reproduces the input to float precision.
`inversion="griffinlim"` instead rebuilds the masked mel spectrogram with Griffin-Lim
(32 iterations, n_fft 2048), as the authors' code does; it never reproduces the input.

LIME (`lime_masks`, `explain_scores`): the authors' settings are the defaults — 64 masks
drawn independently with p = 0.5 from a fresh `RandomState(42)`, the first one all on;
cosine distance to the all-on mask; kernel sqrt(exp(-d²/0.25²)); lime's `LimeBase` with its
default ridge (α = 1) on all 8 components. LimeBase returns the weights sorted by |weight|;
`reindex` puts them back in component order.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .errors import InvalidParameterError, check_choice

SAMPLE_RATE = 16000
N_COMPONENTS = 8
FMAX_HZ = 8000.0
N_MELS = 128
BANDS = ("mel", "hz")
INVERSIONS = ("stft", "griffinlim")
FILLS = ("zero", "noise")
N_FFT = 2048
HOP = 512
GRIFFINLIM_ITERATIONS = 32
KERNEL_WIDTH = 0.25
LIME_RANDOM_STATE = 42


# ---------------------------------------------------------------- decomposition


def band_edges(bands: str = "mel", n_components: int = N_COMPONENTS, fmax: float = FMAX_HZ,
               n_mels: int = N_MELS) -> np.ndarray:
    """The n_components + 1 edges (Hz) of the spectral components (see the module docstring)."""
    check_choice("bands", bands, BANDS)
    if bands == "hz":
        return np.linspace(0.0, fmax, n_components + 1)
    import librosa

    if n_mels % n_components:
        raise InvalidParameterError(f"n_mels={n_mels} is not a multiple of n_components={n_components}")
    points = librosa.mel_frequencies(n_mels + 2, fmin=0.0, fmax=fmax, htk=False)  # filter k: points[k:k+3]
    size = n_mels // n_components
    inner = [(points[b * size] + points[b * size + 1]) / 2 for b in range(1, n_components)]
    # boundary after filter b*size-1 (centre points[b*size]) and before filter b*size (centre points[b*size+1])
    return np.array([0.0, *inner, fmax])


def component_of_frequency(freqs_hz, edges) -> np.ndarray:
    """Index of the component holding each frequency (edge → upper component; above fmax → last)."""
    index = np.searchsorted(np.asarray(edges)[1:-1], np.asarray(freqs_hz, dtype=float), side="right")
    return index.astype(np.int64)


def component_of_band(lo_hz: float, hi_hz: float, edges) -> int:
    """The one component that holds the band [lo, hi]; raises if the band straddles an edge."""
    lo, hi = component_of_frequency([lo_hz, hi_hz], edges)
    if lo != hi:
        raise InvalidParameterError(f"band {lo_hz:g}–{hi_hz:g} Hz spans components {lo + 1}–{hi + 1} "
                                    f"(edges {np.round(edges).astype(int).tolist()} Hz)")
    return int(lo)


def component_labels(edges) -> list[str]:
    """'1: 0–386 Hz', … (1-based, like the paper's figures)."""
    e = np.round(np.asarray(edges)).astype(int)
    return [f"{i + 1}: {e[i]}–{e[i + 1]} Hz" for i in range(len(e) - 1)]


def _check_masks(masks, n_components: int) -> np.ndarray:
    masks = np.atleast_2d(np.asarray(masks))
    if masks.shape[1] != n_components or not np.isin(masks, (0, 1)).all():
        raise InvalidParameterError(f"masks must be 0/1 with {n_components} columns, got shape {masks.shape}")
    return masks.astype(np.float32)


@dataclass
class SpectralSplit:
    """One utterance's STFT and the component of every frequency bin, ready to perturb."""

    signal: np.ndarray
    sr: int
    edges: np.ndarray
    n_fft: int = N_FFT
    hop: int = HOP
    stft: np.ndarray = field(init=False, repr=False)
    bin_component: np.ndarray = field(init=False, repr=False)

    def __post_init__(self):
        import librosa

        self.signal = np.asarray(self.signal, dtype=np.float32)
        self.stft = librosa.stft(self.signal, n_fft=self.n_fft, hop_length=self.hop, window="hann", center=True)
        freqs = librosa.fft_frequencies(sr=self.sr, n_fft=self.n_fft)
        self.bin_component = component_of_frequency(freqs, self.edges)

    @property
    def n_components(self) -> int:
        return len(self.edges) - 1

    def gains(self, masks) -> np.ndarray:
        """(n_masks, n_bins) 0/1 gain of every STFT bin."""
        return _check_masks(masks, self.n_components)[:, self.bin_component]

    def perturb(self, masks, fill: str = "zero", floor_db: float = -60.0) -> np.ndarray:
        """(n_masks, n_samples) signals with the masked-off components removed, original phase."""
        import librosa

        check_choice("fill", fill, FILLS)
        gains = self.gains(masks)[:, :, None]  # (n, bins, 1)
        spec = self.stft[None] * gains
        if fill == "noise":  # removed bins keep their phase at a fixed floor below the peak
            floor = np.abs(self.stft).max() * 10 ** (floor_db / 20)
            phase = np.exp(1j * np.angle(self.stft))[None]
            spec = spec + (1 - gains) * floor * phase
        out = librosa.istft(spec, hop_length=self.hop, n_fft=self.n_fft, window="hann", center=True,
                            length=len(self.signal))
        return out.astype(np.float32)


def perturb_griffinlim(signal, masks, sr: int = SAMPLE_RATE, n_iter: int = GRIFFINLIM_ITERATIONS,
                       n_fft: int = N_FFT, n_mels: int = N_MELS, fmax: float = FMAX_HZ,
                       random_state: int = 0) -> np.ndarray:
    """The authors' inversion: mel power spectrogram, zero blocks of mel bins, Griffin-Lim."""
    import librosa

    n_components = _check_masks(masks, N_COMPONENTS).shape[1]
    masks = _check_masks(masks, n_components)
    mel = librosa.feature.melspectrogram(y=np.asarray(signal, dtype=np.float32), sr=sr, n_fft=n_fft,
                                         n_mels=n_mels, fmax=fmax)
    rows = np.repeat(masks, n_mels // n_components, axis=1)[:, :, None]  # (n, mels, 1)
    magnitude = librosa.feature.inverse.mel_to_stft(mel[None] * rows, sr=sr, n_fft=n_fft, fmax=fmax)
    out = librosa.griffinlim(magnitude, n_iter=n_iter, n_fft=n_fft, length=len(signal),
                             random_state=random_state)
    return np.atleast_2d(out).astype(np.float32)


def perturbations(signal, masks, bands: str = "mel", inversion: str = "stft", fill: str = "zero",
                  sr: int = SAMPLE_RATE) -> np.ndarray:
    """All perturbed signals of one utterance, (n_masks, n_samples)."""
    check_choice("bands", bands, BANDS)
    check_choice("inversion", inversion, INVERSIONS)
    check_choice("fill", fill, FILLS)
    if inversion == "griffinlim":
        if bands != "mel":
            raise InvalidParameterError("inversion='griffinlim' masks mel blocks: use bands='mel'")
        return perturb_griffinlim(signal, masks, sr=sr)
    return SpectralSplit(signal, sr, band_edges(bands)).perturb(masks, fill=fill)


# ---------------------------------------------------------------- LIME


def lime_masks(n_samples: int = 64, n_components: int = N_COMPONENTS,
               random_state: int = LIME_RANDOM_STATE) -> np.ndarray:
    """Independent p = 0.5 masks from a fresh RandomState, first row all on (the authors' scheme)."""
    if not isinstance(n_samples, (int, np.integer)) or n_samples < 2:
        raise InvalidParameterError(f"invalid n_samples {n_samples!r}; expected an integer >= 2")
    rng = np.random.RandomState(random_state)
    masks = rng.randint(0, 2, n_samples * n_components).reshape(n_samples, n_components)
    masks[0, :] = 1
    return masks


def cosine_distances_to_original(masks) -> np.ndarray:
    """Cosine distance of each mask to the first (all-on) one; the all-off mask gets 1."""
    from sklearn.metrics import pairwise_distances

    masks = np.asarray(masks, dtype=float)
    return pairwise_distances(masks, masks[:1], metric="cosine").ravel()


def lime_kernel(distances, width: float = KERNEL_WIDTH) -> np.ndarray:
    """lime's default kernel: sqrt(exp(-d² / width²))."""
    d = np.asarray(distances, dtype=float)
    return np.sqrt(np.exp(-(d ** 2) / width ** 2))


def reindex(sorted_weights, n_components: int = N_COMPONENTS) -> np.ndarray:
    """LIME's [(component, weight), …] sorted by |weight| → weights in component order (0 if absent)."""
    weights = np.zeros(n_components)
    seen = set()
    for component, weight in sorted_weights:
        component = int(component)
        if not 0 <= component < n_components or component in seen:
            raise InvalidParameterError(f"bad or repeated component {component} in LIME output")
        seen.add(component)
        weights[component] = weight
    return weights


@dataclass
class Explanation:
    weights: np.ndarray  # (n_components,) in component order
    raw: list  # LimeBase's (component, weight) pairs, sorted by |weight|
    intercept: float
    score: float  # surrogate R² on the weighted perturbations
    local_pred: float
    n_used: int
    n_dropped: int


def explain_scores(masks, scores, kernel_width: float = KERNEL_WIDTH, alpha: float = 1.0) -> Explanation:
    """Fit LIME's surrogate to black-box `scores` of the perturbations `masks` (LimeBase).

    Rows whose score is not finite (e.g. features of the all-off, silent perturbation)
    are dropped and counted; the first (all-on) row must be finite.
    """
    from lime.lime_base import LimeBase
    from sklearn.linear_model import Ridge

    masks, scores = np.asarray(masks), np.asarray(scores, dtype=float)
    if len(masks) != len(scores):
        raise InvalidParameterError(f"{len(masks)} masks but {len(scores)} scores")
    keep = np.isfinite(scores)
    if not keep[0]:
        raise InvalidParameterError("the all-on perturbation has no finite score")
    used, values = masks[keep], scores[keep]
    base = LimeBase(lambda d: lime_kernel(d, kernel_width), verbose=False, random_state=None)
    intercept, raw, score, local_pred = base.explain_instance_with_data(
        used, values[:, None], cosine_distances_to_original(used), label=0,
        num_features=used.shape[1], model_regressor=Ridge(alpha=alpha, fit_intercept=True))
    raw = [(int(c), float(w)) for c, w in raw]
    return Explanation(reindex(raw, used.shape[1]), raw, float(intercept), float(score),
                       float(np.ravel(local_pred)[0]), int(keep.sum()), int((~keep).sum()))


def explain_signal(signal, predictors: dict, labels: dict, masks, bands: str = "mel",
                   inversion: str = "stft", fill: str = "zero", sr: int = SAMPLE_RATE) -> dict:
    """Explain one utterance for several models on the SAME perturbed audio.

    predictors: name → f(list of signals) → (n, n_classes) probabilities (one batched call);
    labels: name → column of the explained class. Returns name → Explanation.
    """
    audio = perturbations(signal, masks, bands=bands, inversion=inversion, fill=fill, sr=sr)
    result = {}
    for name, predict in predictors.items():
        proba = np.asarray(predict(list(audio)), dtype=float)
        result[name] = explain_scores(masks, proba[:, labels[name]])
    return result


# ---------------------------------------------------------------- selection and summaries


def select_utterances(table, n_per_class: int, seed: int, class_column: str = "emotion",
                      speaker_column: str = "speaker", correct_column: str = "correct"):
    """Up to n rows per class among the correct ones, spread over speakers (round robin in a
    seeded order), as a table sorted by class and speaker; `short` lists classes with fewer."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    chosen, short = [], {}
    for label, group in table[table[correct_column]].groupby(class_column, sort=True):
        order = group.iloc[rng.permutation(len(group))]
        speakers = sorted(order[speaker_column].unique())
        speakers = [speakers[i] for i in rng.permutation(len(speakers))]
        queues = {s: list(order.index[order[speaker_column] == s]) for s in speakers}
        picked = []
        while len(picked) < n_per_class and any(queues.values()):
            for s in speakers:
                if queues[s] and len(picked) < n_per_class:
                    picked.append(queues[s].pop(0))
        chosen += picked
        if len(picked) < n_per_class:
            short[label] = len(picked)
    for label in sorted(set(table[class_column]) - set(table.loc[table[correct_column], class_column])):
        short[label] = 0
    selected = table.loc[chosen].sort_values([class_column, speaker_column], kind="stable")
    selected.attrs["short"] = short
    return selected


def rank_of_component(weights, component: int) -> int:
    """1-based rank of `component` when weights are sorted from most positive down (ties: lower rank)."""
    weights = np.asarray(weights, dtype=float)
    return int(1 + np.sum(weights > weights[component]))


def rank_agreement(a, b) -> float:
    """Spearman correlation between two weight vectors (rank agreement of two LIME runs)."""
    from scipy.stats import spearmanr

    return float(spearmanr(a, b).statistic)
