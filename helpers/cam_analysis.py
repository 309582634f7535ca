"""Smietanka & Maka (2023) §3.3: what upscaled Grad-CAM maps share with the envelope, F0 and energy.

Every function takes the number of unpadded CQT columns `n_valid` and ignores the rest:
the zero-padding added to reach 202 columns is not speech.

- Envelope (Eqs. 6–8): q = column sums of the map; Q_n = energy of non-overlapping blocks of
  K = ⌊N/W⌋ samples with W = n_valid; both divided by their maximum; RMSE.
- Activation trajectory (Eq. 9): in each voiced column keep the cells ≥ half the column's
  maximum and average their bin centre frequencies (unweighted); RMSE in Hz against F0.
- F0: Praat's autocorrelation method (Boersma 1993, the paper's [18]) via parselmouth, with
  the time step equal to the CQT hop, read at each CQT column's centre.
- Energy ratio (Eqs. 10–11): P̄ = 1 where the emotion mask R ≥ β · max R (β = 0.1);
  Ê = Σ (P̄ · C)² / Σ C² over the linear CQT magnitude C.
- Padding (not in the paper): the analyses above never look at the zero-padded columns, but
  the network does. `padding_mass` reports the share of a map's mass in the padded columns
  and in a band around the speech/padding edge, beside the shares of columns they hold.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .spectrograms import block_energy, normalise_max

PRAAT_FLOOR_HZ = 75.0  # Praat's default pitch floor and ceiling (the paper gives none)
PRAAT_CEILING_HZ = 600.0


def rmse(a, b) -> float:
    """Eq. 8 over positions where both are finite (NaN if there are none)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    ok = np.isfinite(a) & np.isfinite(b)
    return float(np.sqrt(np.mean((a[ok] - b[ok]) ** 2))) if ok.any() else float("nan")


def _check_valid(cam: np.ndarray, n_valid: int) -> int:
    n_valid = int(n_valid)
    if not 1 <= n_valid <= cam.shape[-1]:
        raise ValueError(f"n_valid {n_valid} outside 1..{cam.shape[-1]} columns")
    return n_valid


def envelope(cam: np.ndarray, signal: np.ndarray, n_valid: int) -> tuple[np.ndarray, np.ndarray, float]:
    """(q, Q, RMSE): activation contour and block-energy envelope over the unpadded columns,
    each divided by its maximum (Eqs. 6–8)."""
    n_valid = _check_valid(cam, n_valid)
    q = normalise_max(np.asarray(cam, dtype=np.float64)[:, :n_valid].sum(axis=0))
    energy = normalise_max(block_energy(np.asarray(signal), n_valid))
    return q, energy, rmse(q, energy)


def activation_trajectory(cam: np.ndarray, freqs: np.ndarray, n_valid: int, columns=None,
                          fraction: float = 0.5) -> np.ndarray:
    """c̄ per unpadded column (Eq. 9): mean centre frequency of the cells ≥ fraction × column max.

    `columns`: boolean mask (length n_valid) of the columns to use (the voiced ones); others,
    and columns whose maximum is 0, are NaN."""
    n_valid = _check_valid(cam, n_valid)
    part = np.asarray(cam, dtype=np.float64)[:, :n_valid]
    peak = part.max(axis=0)
    keep = (part >= fraction * peak[None, :]) & (peak[None, :] > 0)
    counts = keep.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        trajectory = (keep * np.asarray(freqs, dtype=np.float64)[:, None]).sum(axis=0) / counts
    trajectory[counts == 0] = np.nan
    if columns is not None:
        trajectory[~np.asarray(columns, dtype=bool)[:n_valid]] = np.nan
    return trajectory


def praat_f0(signal: np.ndarray, sr: int, hop_length: int, n_columns: int,
             floor: float = PRAAT_FLOOR_HZ, ceiling: float = PRAAT_CEILING_HZ) -> np.ndarray:
    """F0 (Hz, NaN when unvoiced) at the centre of each of `n_columns` CQT columns (column j at
    j · hop / sr, librosa's centred frames), from Praat's autocorrelation pitch with time step = hop."""
    import parselmouth

    sound = parselmouth.Sound(np.asarray(signal, dtype=np.float64), sampling_frequency=float(sr))
    step = hop_length / sr
    pitch = sound.to_pitch_ac(time_step=step, pitch_floor=floor, pitch_ceiling=ceiling)
    times, f0 = np.asarray(pitch.xs()), pitch.selected_array["frequency"].astype(np.float64)
    out = np.full(int(n_columns), np.nan)
    if len(times) == 0:
        return out
    centres = np.arange(int(n_columns)) * step
    nearest = np.clip(np.searchsorted(times, centres), 1, len(times) - 1)
    nearest = np.where(np.abs(times[nearest - 1] - centres) <= np.abs(times[nearest] - centres), nearest - 1, nearest)
    close = np.abs(times[nearest] - centres) <= step / 2 + 1e-9
    values = f0[nearest]
    out[close & (values > 0)] = values[close & (values > 0)]
    return out


def octave_jumps(f0: np.ndarray, half_width: int = 5, threshold_octaves: float = 0.75) -> int:
    """Number of voiced frames more than `threshold_octaves` away from the median of their voiced
    neighbours (± half_width frames): likely octave errors of the F0 tracker (paper Fig 13)."""
    f0 = np.asarray(f0, dtype=np.float64)
    count = 0
    for i in np.flatnonzero(np.isfinite(f0)):
        window = f0[max(0, i - half_width): i + half_width + 1]
        window = window[np.isfinite(window)]
        if len(window) >= 3 and abs(np.log2(f0[i] / np.median(window))) > threshold_octaves:
            count += 1
    return count


def energy_ratio(linear: np.ndarray, n_valid: int, mask: np.ndarray, beta: float = 0.1) -> float:
    """Ê (fraction, Eqs. 10–11): CQT energy inside the binarised mask over the total energy,
    both over the unpadded columns; the threshold is β × the maximum of the whole mask."""
    n_valid = _check_valid(linear, n_valid)
    mask = np.asarray(mask, dtype=np.float64)
    if mask.max() <= 0:
        return float("nan")
    binary = mask[:, :n_valid] >= beta * mask.max()
    energy = np.square(np.asarray(linear, dtype=np.float64)[:, :n_valid])
    total = energy.sum()
    return float(energy[binary].sum() / total) if total > 0 else float("nan")


def mass_inside(cam: np.ndarray, n_valid: int, hop_length: int, sr: int, start_s: float, end_s: float):
    """(fraction of the map's mass in the columns whose centre lies in [start_s, end_s),
    that window's share of the unpadded columns); the share is what a uniform map would give."""
    n_valid = _check_valid(cam, n_valid)
    times = np.arange(n_valid) * hop_length / sr
    inside = (times >= start_s) & (times < end_s)
    mass = np.asarray(cam, dtype=np.float64)[:, :n_valid].sum(axis=0)
    total = mass.sum()
    return (float(mass[inside].sum() / total) if total > 0 else float("nan")), float(inside.mean())


EDGE_HALF_WIDTH = 9  # columns: half SimpleNet's 18-column receptive field of a last-conv cell


def padding_mass(cam: np.ndarray, n_valid: int, half_width: int = EDGE_HALF_WIDTH) -> dict:
    """Where an upscaled map puts its mass relative to the zero-padding (all columns counted).

    padding_mass: share of the map's mass in the padded columns (≥ n_valid); edge_mass: share
    in the columns n_valid − half_width … n_valid + half_width − 1 (the last-conv cells whose
    receptive field straddles the speech/padding edge); padding_share and edge_share: the
    shares of columns those regions hold, i.e. what a uniform map would score. NaN masses
    for an all-zero map; the edge band is empty (NaN) when nothing is padded."""
    cam = np.asarray(cam, dtype=np.float64)
    n_valid = _check_valid(cam, n_valid)
    width = cam.shape[-1]
    columns = cam.sum(axis=0)
    total = columns.sum()
    padded = np.arange(width) >= n_valid
    edge = (np.abs(np.arange(width) + 0.5 - n_valid) < half_width) if n_valid < width else np.zeros(width, bool)
    share = (lambda region: float(columns[region].sum() / total)) if total > 0 else (lambda region: float("nan"))
    return dict(padding_mass=share(padded), edge_mass=share(edge) if edge.any() else float("nan"),
                padding_share=float(padded.mean()), edge_share=float(edge.mean()) if edge.any() else float("nan"))


def summary_table(df: pd.DataFrame, value: str, emotions, genders=("female", "male"), scale: float = 1.0) -> pd.DataFrame:
    """Paper Tables 3–5 layout: rows gender × (min, max, mean, range), one column per emotion."""
    rows = []
    for gender in genders:
        part = df[df["gender"] == gender]
        for stat in ("min", "max", "mean", "range", "n"):
            row = {"gender": gender, "statistic": stat}
            for emotion in emotions:
                values = part.loc[part["emotion"] == emotion, value].dropna().to_numpy() * scale
                if stat == "n":
                    row[emotion] = float(len(values))
                elif len(values) == 0:
                    row[emotion] = float("nan")
                else:
                    row[emotion] = {"min": values.min(), "max": values.max(), "mean": values.mean(),
                                    "range": values.max() - values.min()}[stat]
            rows.append(row)
    return pd.DataFrame(rows)


def analyse(records: pd.DataFrame, cams: np.ndarray, linear: np.ndarray, n_valid, signals, masks: dict,
            freqs: np.ndarray, hop_length: int, sr: int, beta: float = 0.1):
    """The three analyses for each recording (one row of `records` with gender, emotion, per map).

    cams: upscaled maps (n, 96, width); linear: linear CQT (n, 96, width); masks[(gender, emotion)]
    the best model's R. Returns (table with envelope_rmse, f0_rmse_hz, energy_ratio, n_voiced,
    octave_jumps, padding_mass, edge_mass, padding_share, edge_share per recording; dict of
    per-recording curves q, Q, f0, trajectory)."""
    rows, curves = [], []
    for i, record in enumerate(records.itertuples(index=False)):
        valid = int(n_valid[i])
        q, big_q, env = envelope(cams[i], signals[i], valid)
        f0 = praat_f0(signals[i], sr, hop_length, valid)
        voiced = np.isfinite(f0)
        trajectory = activation_trajectory(cams[i], freqs, valid, columns=voiced)
        ratio = energy_ratio(linear[i], valid, masks[(record.gender, record.emotion)], beta)
        rows.append(dict(envelope_rmse=env, f0_rmse_hz=rmse(trajectory, f0), energy_ratio=ratio,
                         n_voiced=int(voiced.sum()), octave_jumps=octave_jumps(f0), **padding_mass(cams[i], valid)))
        curves.append(dict(q=q, Q=big_q, f0=f0, trajectory=trajectory))
    table = pd.concat([records.reset_index(drop=True), pd.DataFrame(rows)], axis=1)
    return table, curves


# The paper's means (Tables 3, 4, 5) in the order anger, boredom, fear, happiness, neutral, sadness.
PAPER_EMOTION_ORDER = ("anger", "boredom", "fear", "happiness", "neutral", "sadness")
PAPER_MEANS = {
    "envelope_rmse": {"female": (0.204, 0.109, 0.189, 0.144, 0.156, 0.104),
                      "male": (0.205, 0.143, 0.290, 0.271, 0.194, 0.235)},
    "f0_rmse_hz": {"female": (533.10, 91.62, 249.22, 248.43, 116.56, 110.43),
                   "male": (604.01, 34.70, 134.71, 232.55, 93.41, 49.12)},
    "energy_ratio_pct": {"female": (93.9, 91.0, 93.7, 90.7, 91.2, 88.5),
                         "male": (92.4, 88.9, 93.0, 93.3, 90.4, 90.2)},
}
PAPER_TABLES = {"envelope_rmse": "Table 3", "f0_rmse_hz": "Table 4", "energy_ratio_pct": "Table 5"}


def paper_mean_rows(summaries: dict, dataset: str) -> list[dict]:
    """paper_vs_run rows: each paper mean beside ours. `summaries[measure]` is a summary_table.
    Means on another corpus (or synthetic speech) are not comparable: agrees = n/a unless EmoDB."""
    rows = []
    for measure, paper in PAPER_MEANS.items():
        table = summaries[measure].set_index(["gender", "statistic"])
        for gender, values in paper.items():
            for emotion, value in zip(PAPER_EMOTION_ORDER, values):
                ours = table.loc[(gender, "mean"), emotion] if (gender, "mean") in table.index and emotion in table else float("nan")
                rows.append(dict(item=f"{PAPER_TABLES[measure]} mean {measure} {gender} {emotion}", paper=value,
                                 this_run=round(float(ours), 3) if np.isfinite(ours) else "no sample",
                                 agrees="n/a", note="number of another corpus/model: compared only as orientation"
                                 if dataset != "emodb" else "EmoDB, our split and small run: not expected to match exactly"))
    return rows


# ---------------------------------------------------------------- exercises


def mask_coverage(mask: np.ndarray, n_valid: int, beta: float = 0.1) -> float:
    """Share of the unpadded cells inside the binarised mask (R ≥ β · max R): the area behind Ê."""
    mask = np.asarray(mask, dtype=np.float64)
    n_valid = _check_valid(mask, n_valid)
    if mask.max() <= 0:
        return float("nan")
    return float(np.mean(mask[:, :n_valid] >= beta * mask.max()))


def loudest_window(linear: np.ndarray, n_valid: int, hop_length: int, sr: int, length_s: float) -> tuple[float, float]:
    """(start_s, end_s) of the run of unpadded columns lasting `length_s` with the most CQT energy.
    Column c sits at c · hop / sr, as in `mass_inside`, so that window holds exactly those columns."""
    n_valid = _check_valid(linear, n_valid)
    width = int(min(n_valid, max(1, round(length_s * sr / hop_length))))
    energy = np.square(np.asarray(linear, dtype=np.float64)[:, :n_valid]).sum(axis=0)
    totals = np.convolve(energy, np.ones(width), mode="valid")  # totals[c] = columns c .. c + width - 1
    start = int(np.argmax(totals))
    return start * hop_length / sr, (start + width) * hop_length / sr
