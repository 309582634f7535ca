"""Nasr et al.'s saliency pipeline: preprocessing, occlusion and CRP maps, top-k time windows.

Preprocessing follows the authors' code: 16 kHz, keep the first non-silent segment (pydub's
rule: silences are stretches of ≥ 500 ms whose RMS lies more than 14 dB below the peak
level), pad with zeros or crop to 2 s, log-Mel (n_fft 1024, window 480, hop 240, 128 mels,
dB re the maximum) via `helpers.spectrograms.log_mel`.

Windows (paper §2): the time axis is tiled into windows of 10 frames (0.15 s at hop 240)
with hop = width; the relevance map is set to zero where it is below its mean; windows are
ranked by summed relevance and the top k (= 5) kept. Windows are mapped to samples of the
*trimmed* signal the model saw (the authors' code reads cues from the untrimmed file, which
shifts every window by the trimmed lead-in; we do not copy that).
"""
from __future__ import annotations

import copy
import functools
from dataclasses import dataclass

import numpy as np
import torch

from .errors import check_choice
from .spectrograms import log_mel
from .zennit_compat import import_zennit

SAMPLE_RATE = 16000
HOP_LENGTH = 240
WINDOW_FRAMES = 10  # 10 × 240 samples = 0.15 s
OCCLUSION_BASELINES = ("min", "zero")
TRIM_REFERENCES = ("rms", "peak")
ON_SHORT = ("error", "all")
# Occlusion patches as (mel bins, frames); None = every Mel bin. "authors": a 1-bin × 10-frame
# patch slid with stride (1, 3), as in the authors' repository; "time": ours, all bins × 10
# frames with stride 5 (a time span; ~30 instead of ~5,000 forward passes per clip).
OCCLUSION_PATCHES = {"time": {"window": (None, WINDOW_FRAMES), "stride": (None, 5)},
                     "authors": {"window": (1, WINDOW_FRAMES), "stride": (1, 3)}}
# The concept the authors' repository conditions CRP on: channel 35 of the first convolution
# of the first residual block (with relevance seeded at the predicted class).
AUTHORS_CRP_CONDITIONS = {"layer1.conv1": [35]}
RELEVANCE_SEEDS = ("logit", "one-hot")


# --- preprocessing -------------------------------------------------------------------------

def _db(x: np.ndarray) -> np.ndarray:
    return 20 * np.log10(np.maximum(x, 1e-10))


def nonsilent_ranges(y: np.ndarray, sr: int = SAMPLE_RATE, below_db: float = 14.0, min_silence_s: float = 0.5,
                     reference: str = "rms", step_s: float = 0.01) -> list[tuple[int, int]]:
    """Non-silent (start, stop) sample ranges, pydub `detect_nonsilent` style.

    A silence is any stretch covered by windows of `min_silence_s` whose RMS (dBFS) is below
    the reference level minus `below_db`. We slide in 10-ms steps (pydub: 1 ms).
    reference "rms": the whole signal's RMS level (pydub's `AudioSegment.dBFS`, our default);
    "peak": the peak sample level (`max_dBFS`), as the issue describes the authors' rule. With
    500-ms RMS windows the peak rule marks every EmoDB-subset file as silent throughout (the
    crest factor of speech exceeds 14 dB), so it is an option, not the default.
    """
    check_choice("trim reference", reference, TRIM_REFERENCES)
    y = np.asarray(y, dtype=np.float64)
    length, step = int(round(min_silence_s * sr)), max(1, int(round(step_s * sr)))
    if len(y) == 0:
        raise ValueError("empty signal: nothing to trim")
    level = np.abs(y).max() if reference == "peak" else np.sqrt(np.mean(y ** 2))
    threshold = _db(level) - below_db
    if len(y) < length:
        return [(0, len(y))] if _db(np.sqrt(np.mean(y ** 2))) >= threshold else []
    starts = np.arange(0, len(y) - length + 1, step)
    cumulative = np.concatenate([[0.0], np.cumsum(y ** 2)])
    rms = np.sqrt((cumulative[starts + length] - cumulative[starts]) / length)
    silent = np.zeros(len(y), dtype=bool)
    for start in starts[_db(rms) < threshold]:
        silent[start:start + length] = True
    edges = np.flatnonzero(np.diff(np.concatenate([[True], silent, [True]]).astype(int)))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2])]


@dataclass
class Clip:
    """One preprocessed utterance: the trimmed signal (no padding) and the model input."""
    trimmed: np.ndarray  # the first non-silent segment, cropped to clip_s (no padding)
    offset: int  # where `trimmed` starts in the original signal (samples)
    padded: np.ndarray  # trimmed, zero-padded to clip_s
    spectrogram: np.ndarray  # (n_mels, frames) log-Mel of `padded`
    n_valid_frames: int  # frames whose start lies inside `trimmed`
    sr: int = SAMPLE_RATE


def preprocess(y: np.ndarray, sr: int = SAMPLE_RATE, clip_s: float = 2.0, trim: bool = True, below_db: float = 14.0,
               min_silence_s: float = 0.5, reference: str = "rms", n_mels: int = 128, n_fft: int = 1024, win_length: int = 480,
               hop_length: int = HOP_LENGTH) -> Clip:
    """First non-silent segment → pad/crop to `clip_s` → log-Mel (the authors' pipeline).

    A signal with no non-silent range under the rule is kept whole (documented fallback).
    """
    offset, stop = 0, len(y)
    if trim:
        ranges = nonsilent_ranges(y, sr, below_db, min_silence_s, reference)
        if ranges:
            offset, stop = ranges[0]
    n = int(round(clip_s * sr))
    trimmed = np.asarray(y[offset:min(stop, offset + n)], dtype=np.float32)
    padded = np.zeros(n, dtype=np.float32)
    padded[:len(trimmed)] = trimmed
    spec = log_mel(padded, sr, n_fft=n_fft, win_length=win_length, hop_length=hop_length, n_mels=n_mels)
    n_valid = min(spec.shape[1], int(np.ceil(len(trimmed) / hop_length)))
    return Clip(trimmed, offset, padded, spec, n_valid, sr)


# --- saliency maps -------------------------------------------------------------------------

def _as_batch(x) -> torch.Tensor:
    x = torch.as_tensor(np.asarray(x), dtype=torch.float32)
    return x[:, None] if x.ndim == 3 else x


def occlusion_patch(name: str) -> dict:
    """`window` and `stride` keyword arguments of `occlusion_maps` for a named patch
    ("time": ours, "authors": 1 bin × 10 frames, stride (1, 3))."""
    check_choice("occlusion patch", name, tuple(OCCLUSION_PATCHES))
    return {key: tuple(value) for key, value in OCCLUSION_PATCHES[name].items()}


def occlusion_passes(n_mels: int, n_frames: int, window=(None, WINDOW_FRAMES), stride=(None, 5)) -> int:
    """Forward passes captum's Occlusion needs for one clip: the number of patch positions."""
    height, step_h = window[0] or n_mels, stride[0] or n_mels
    return ((n_mels - height) // step_h + 1) * ((n_frames - window[1]) // stride[1] + 1)


OCCLUSION_BATCH_INPUTS = 256  # perturbed clips per forward pass at most: bounds the activations' memory


def _occlude_group(group, model, shape, strides, perturbations_per_eval: int, device) -> np.ndarray:
    """captum Occlusion of one group of clips: (x, baseline, targets) → (n, n_mels, frames)."""
    from captum.attr import Occlusion

    x, base, targets = (t.to(device) for t in group)
    return (Occlusion(model).attribute(x, sliding_window_shapes=shape, strides=strides, baselines=base, target=targets,
                                       perturbations_per_eval=perturbations_per_eval, show_progress=False)[:, 0]
            .detach().cpu().numpy())


def _occlude_on_worker(group, model, shape, strides, perturbations_per_eval: int, device) -> np.ndarray:
    """One group on a worker process (`helpers.parallel`): the model arrives pickled, so it is
    put in eval mode and on the worker's device there."""
    from .devices import resolve_device

    device = resolve_device(device)
    model = model.to(device).eval()
    return _occlude_group(group, model, shape, strides, perturbations_per_eval, device)


def occlusion_maps(model, x, targets, window=(None, WINDOW_FRAMES), stride=(None, 5), baseline: str = "min",
                   perturbations_per_eval: int | None = None, device="auto") -> np.ndarray:
    """captum Occlusion for each clip's target class → (N, n_mels, frames).

    window/stride are (mel bins, frames); None = all mel bins (our default patch, a time span).
    The authors' patch is window (1, 10) with stride (1, 3). The occluded patch is replaced by
    the clip's minimum (silence in dB) by default (our choice); "zero" = 0 dB, the loudest value.
    Clips go to captum in groups of OCCLUSION_BATCH_INPUTS // perturbations_per_eval: captum
    runs every clip of a call times perturbations_per_eval in one forward pass, which for 48
    clips of 128 Mel bands held about 0.7 GB of activations at once.

    `device`: where the model runs ("auto": a GPU when there is one; the model is moved there);
    `perturbations_per_eval=None` is 32 on the CPU, more on a GPU (helpers.devices). Under a
    scheduler chosen with `helpers.parallel.use_scheduler` the groups go to its workers; on
    the default the groups run one after the other in this process, as before.
    """
    from . import parallel
    from .devices import batch_size_for, resolve_device

    check_choice("occlusion baseline", baseline, OCCLUSION_BASELINES)
    requested, device = device, resolve_device(device)
    if perturbations_per_eval is None:
        perturbations_per_eval = batch_size_for(device, 32)
    x = _as_batch(x)
    n_mels = x.shape[2]
    shape = (1, window[0] or n_mels, window[1])
    strides = (1, stride[0] or n_mels, stride[1])
    base = x.amin(dim=(1, 2, 3), keepdim=True).expand_as(x).contiguous() if baseline == "min" else torch.zeros_like(x)
    targets = torch.as_tensor(np.asarray(targets), dtype=torch.long)
    model.eval()
    group = max(1, OCCLUSION_BATCH_INPUTS // max(1, int(perturbations_per_eval)))
    groups = [(x[i:i + group], base[i:i + group], targets[i:i + group]) for i in range(0, len(x), group)]
    if parallel.is_default() or len(groups) < 2:
        model.to(device)
        maps = [_occlude_group(g, model, shape, strides, perturbations_per_eval, device) for g in groups]
    else:
        # each worker picks its own device for "auto"; the model travels on the CPU
        task = functools.partial(_occlude_on_worker, model=copy.deepcopy(model).cpu(), shape=shape, strides=strides,
                                 perturbations_per_eval=perturbations_per_eval,
                                 device=requested if isinstance(requested, str) else str(device))
        maps = parallel.parallel_map(task, groups, show_progress=False)
    return np.concatenate(maps) if maps else np.zeros((0,) + tuple(x.shape[2:]), dtype=np.float32)


def crp_maps(model, x, targets, conditions: dict | None = None, batch_size: int | None = None,
             relevance_seed: str = "logit", device="auto") -> tuple[np.ndarray, np.ndarray]:
    """zennit-crp relevance (EpsilonPlusFlat + BatchNorm merged into its conv) → (maps, logits).

    `conditions` restricts relevance to concepts, e.g. {"layer1.conv1": [35]} (the authors');
    None = plain relevance of the target logit.

    `relevance_seed`: "logit" (crp's default and the authors') starts the backward pass with
    the target's logit, so on a bias-free network each map sums to that logit and, through the
    ε-rule of the last linear layer, a region that raised the logit gets positive relevance
    whatever the logit's sign. "one-hot" starts with 1: the map then sums to 1 and equals the
    logit-seeded map divided by the logit (every rule is linear in the seed), i.e. its sign
    flips when the logit is negative. Neither makes a map of a clip whose explained logit is
    ≤ 0 a ranking of evidence *for* the class: see `crp_explainable`.

    Runs on `device` ("auto": a GPU when there is one; the model is moved there), 16 clips per
    batch on the CPU (`batch_size=None`), more on a GPU; results come back as CPU numpy.
    """
    from .devices import batch_size_for, resolve_device

    device = resolve_device(device)
    batch_size = batch_size or batch_size_for(device, 16)
    import_zennit()
    from crp.attribution import CondAttribution
    from zennit.canonizers import SequentialMergeBatchNorm
    from zennit.composites import EpsilonPlusFlat

    check_choice("relevance seed", relevance_seed, RELEVANCE_SEEDS)
    x, targets = _as_batch(x), [int(t) for t in np.asarray(targets)]
    model.to(device)
    model.eval()
    attribution = CondAttribution(model, no_param_grad=True)
    init_rel = torch.ones_like if relevance_seed == "one-hot" else None  # crp masks it to the target class
    maps, logits = [], []
    for start in range(0, len(x), batch_size):
        batch = x[start:start + batch_size].clone().to(device).requires_grad_(True)
        conds = [{"y": [t], **(conditions or {})} for t in targets[start:start + batch_size]]
        composite = EpsilonPlusFlat(canonizers=[SequentialMergeBatchNorm()])
        result = attribution(batch, conds, composite, init_rel=init_rel)
        maps.append(result.heatmap.detach().cpu().numpy())
        logits.append(result.prediction.detach().cpu().numpy())
    return np.concatenate(maps), np.concatenate(logits)


def conserved_fraction(maps: np.ndarray, logits: np.ndarray, targets, relevance_seed: str = "logit") -> np.ndarray:
    """Sum of each relevance map divided by the seeded relevance (1 = fully conserved): the
    explained logit for the "logit" seed, 1 for "one-hot"."""
    check_choice("relevance seed", relevance_seed, RELEVANCE_SEEDS)
    explained = logits[np.arange(len(logits)), np.asarray(targets)] if relevance_seed == "logit" else np.ones(len(maps))
    return maps.reshape(len(maps), -1).sum(axis=1) / explained


def crp_explainable(logits: np.ndarray, targets) -> np.ndarray:
    """Per clip: is the explained logit > 0, so that a CRP map has positive relevance to rank?

    With the logit seed, a clip whose explained logit is ≤ 0 gets a map that sums to ≤ 0:
    the rule "zero below the mean, keep the largest windows" then ranks the least negative
    stretches, often near-zero pauses; with the one-hot seed the same map flips sign and the
    rule ranks what pushed the logit *down*. The notebook reports such clips and leaves them
    out of the CRP window analysis (`crp_nonpositive = "exclude"`).
    """
    return logits[np.arange(len(logits)), np.asarray(targets, dtype=int)] > 0


# --- windows -------------------------------------------------------------------------------

def tile_windows(n_frames: int, width: int = WINDOW_FRAMES, hop: int | None = None) -> np.ndarray:
    """(start, stop) frame pairs: windows of `width` every `hop` (default = width), the last one
    clipped to `n_frames` (a shorter final window is kept, as in the authors' code)."""
    hop = hop or width
    if width < 1 or hop < 1 or n_frames < 1:
        raise ValueError(f"width, hop and n_frames must be ≥ 1 (got {width}, {hop}, {n_frames})")
    starts = np.arange(0, n_frames, hop)
    if hop < width:  # overlapping grid: only windows that start a full width before the end
        starts = starts[(starts + width <= n_frames) | (starts == 0)]
    return np.stack([starts, np.minimum(starts + width, n_frames)], axis=1)


def window_scores(relevance: np.ndarray, windows: np.ndarray, zero_below_mean: bool = True) -> np.ndarray:
    """Summed relevance per window of a (n_mels, frames) map; below-mean values zeroed first."""
    relevance = np.asarray(relevance, dtype=np.float64)
    if zero_below_mean:
        relevance = np.where(relevance >= relevance.mean(), relevance, 0.0)
    per_frame = relevance.sum(axis=0)
    return np.array([per_frame[a:b].sum() for a, b in windows])


def top_k_windows(relevance: np.ndarray, k: int = 5, width: int = WINDOW_FRAMES, hop: int | None = None,
                  n_valid_frames: int | None = None, zero_below_mean: bool = True, on_short: str = "error") -> np.ndarray:
    """The k highest-scoring windows as (start, stop) frames, best first.

    Only windows starting inside the first `n_valid_frames` (the unpadded audio) compete. With
    hop < width, windows are chosen greedily and any window overlapping a chosen one is dropped.
    Fewer than k candidate windows: `on_short="error"` raises; "all" returns every candidate.
    """
    check_choice("on_short", on_short, ON_SHORT)
    relevance = np.asarray(relevance)
    n_frames = relevance.shape[1] if n_valid_frames is None else min(n_valid_frames, relevance.shape[1])
    windows = tile_windows(n_frames, width, hop)
    if zero_below_mean:  # the mean is over the whole map the model saw
        relevance = np.where(relevance >= relevance.mean(), relevance, 0.0)
    scores = window_scores(relevance, windows, zero_below_mean=False)
    order = np.argsort(-scores, kind="stable")
    chosen: list[int] = []
    for i in order:
        a, b = windows[i]
        if all(b <= windows[j][0] or a >= windows[j][1] for j in chosen):
            chosen.append(int(i))
        if len(chosen) == k:
            break
    if len(chosen) < k and on_short == "error":
        raise ValueError(f"only {len(chosen)} non-overlapping windows of {width} frames fit in {n_frames} frames, "
                         f"fewer than k={k}; lower k or pass on_short='all' to keep them all")
    return windows[chosen]


def frames_to_samples(windows: np.ndarray, hop_length: int = HOP_LENGTH, n_samples: int | None = None) -> np.ndarray:
    """Frame windows → sample windows of the trimmed signal (frame f starts at f × hop)."""
    samples = np.asarray(windows, dtype=np.int64) * hop_length
    if n_samples is not None:
        samples = np.minimum(samples, n_samples)
    return samples


def overlaps(windows_s: np.ndarray, start_s: float, end_s: float) -> np.ndarray:
    """Does each (start, stop) window in seconds overlap the interval [start_s, end_s)?"""
    windows_s = np.asarray(windows_s, dtype=float).reshape(-1, 2)
    return (windows_s[:, 0] < end_s) & (windows_s[:, 1] > start_s)


# --- figure --------------------------------------------------------------------------------

def plot_topk(axes, clip: Clip, maps: dict, windows: dict, hop_length: int = HOP_LENGTH, title: str = "") -> None:
    """Spectrogram, one relevance map per method with its top-k windows, waveform with windows.

    `axes`: 2 + len(maps) axes (top to bottom); `windows`: method → (start_s, end_s) array.
    """
    import matplotlib.pyplot as plt

    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    seconds = clip.spectrogram.shape[1] * hop_length / clip.sr
    extent = (0, seconds, 0, clip.spectrogram.shape[0])
    axes[0].imshow(clip.spectrogram, origin="lower", aspect="auto", cmap="magma", extent=extent)
    axes[0].set(ylabel="Mel bin", title=title or "log-Mel input (dB re max)")
    for ax, (colour, (method, relevance)) in zip(axes[1:], zip(colours, maps.items())):
        limit = np.abs(relevance).max() or 1.0
        ax.imshow(relevance, origin="lower", aspect="auto", cmap="bwr", vmin=-limit, vmax=limit, extent=extent)
        for rank, (a, b) in enumerate(windows[method], start=1):
            ax.axvspan(a, b, fill=False, edgecolor=colour, lw=1.5)
            ax.text(a, extent[3] * 0.92, str(rank), color=colour, fontsize=7)
        ax.set(ylabel="Mel bin", title=f"{method}: relevance and top-{len(windows[method])} windows")
    wave = axes[-1]
    wave.plot(np.arange(len(clip.padded)) / clip.sr, clip.padded, color="0.4", lw=0.4)
    for offset, (colour, method) in enumerate(zip(colours, maps)):
        for a, b in windows[method]:
            low = (len(maps) - 1 - offset) / len(maps)  # first method in the top band
            wave.axvspan(a, b, ymin=low, ymax=low + 1 / len(maps), color=colour, alpha=0.3, lw=0)
    wave.axvline(len(clip.trimmed) / clip.sr, color="k", ls=":", lw=0.8)
    wave.set(xlabel="time in the trimmed clip (s); dotted line: start of padding", ylabel="amplitude",
             title="waveform with the windows (top to bottom band: " + ", ".join(maps) + ")", xlim=(0, seconds))


def ground_truth_overlap(windows, clips, width: int = WINDOW_FRAMES, hop_length: int = HOP_LENGTH, sr: int = SAMPLE_RATE):
    """Fraction of top-k windows overlapping the planted window, per method, with chance levels.

    `windows`: utterance, method, start_s, end_s (times in the trimmed clip; random draws included as
    method "random windows"); `clips`: utterance, planted_start_s, planted_end_s (trimmed-clip times),
    n_valid_frames. Analytic chance = share of the clip's grid windows that overlap the planted
    window (what a uniform random window scores on average). Returns per utterance × method rows.
    """
    import pandas as pd

    planted = clips.set_index("utterance")
    rows = []
    for (clip, method), part in windows.groupby(["utterance", "method"], sort=True):
        start, end = planted.loc[clip, ["planted_start_s", "planted_end_s"]]
        if not np.isfinite(start):
            continue
        hit = overlaps(part[["start_s", "end_s"]].to_numpy(), start, end)
        grid = frames_to_samples(tile_windows(int(planted.loc[clip, "n_valid_frames"]), width), hop_length) / sr
        rows.append(dict(utterance=clip, method=method, fraction_overlapping=float(hit.mean()),
                         chance=float(overlaps(grid, start, end).mean())))
    return pd.DataFrame(rows)


def planted_hit_fraction(relevance: np.ndarray, clip: Clip, start_s: float, end_s: float, k: int = 5,
                         width: int = WINDOW_FRAMES, hop: int | None = None, hop_length: int = HOP_LENGTH) -> float:
    """Share of the top-k windows of one map that overlap a planted window [start_s, end_s) (trimmed-clip
    seconds), with the windows chosen as for the cue analysis (unpadded audio, fewer than k: all).
    NaN when the clip has no planted window."""
    if not np.isfinite(start_s):
        return float("nan")
    top = top_k_windows(relevance, k, width, hop, clip.n_valid_frames, on_short="all")
    top_s = frames_to_samples(top, hop_length, len(clip.trimmed)) / clip.sr
    return float(overlaps(top_s, start_s, end_s).mean())
