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
    the best model's R. Returns (table with envelope_rmse, f0_rmse_hz, energy_ratio, mask_area, n_voiced,
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
        area = mask_coverage(masks[(record.gender, record.emotion)], valid, beta)
        rows.append(dict(envelope_rmse=env, f0_rmse_hz=rmse(trajectory, f0), energy_ratio=ratio, mask_area=area,
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
    """paper_vs_run rows: each paper mean (Tables 3–5) beside ours, `agrees` n/a: a mean of
    another corpus, split and model is orientation, not a test. `summaries[measure]` is a summary_table."""
    from .verdicts import row

    rows = []
    for measure, paper in PAPER_MEANS.items():
        table = summaries[measure].set_index(["gender", "statistic"])
        for gender, values in paper.items():
            for emotion, value in zip(PAPER_EMOTION_ORDER, values):
                ours = table.loc[(gender, "mean"), emotion] if (gender, "mean") in table.index and emotion in table else float("nan")
                rows.append(row(f"{PAPER_TABLES[measure]} mean {measure} {gender} {emotion}", value,
                                round(float(ours), 3) if np.isfinite(ours) else "no sample", basis="paper text",
                                note="number of another corpus/model: compared only as orientation"
                                if dataset != "emodb" else "EmoDB, our split and run: orientation, not a test"))
    return rows


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    a, b = np.ravel(a).astype(np.float64), np.ravel(b).astype(np.float64)
    return float(np.corrcoef(a, b)[0, 1]) if a.std() > 0 and b.std() > 0 else float("nan")


def mask_similarity(masks: dict, masks_all: dict, gender: str, digits: int = 4) -> pd.DataFrame:
    """Per emotion with a non-zero best-model mask R: `correlation` r(R, R̂) as the paper looks at
    it (Fig 3), and `others` r(R, R̂ − R), the best model against the sum of the other models'
    masks: R̂ contains R, so r(R, R̂) is high by construction when there are few models. NaN when
    the other models have no map for that emotion (or there is only one model)."""
    rows = []
    for emotion, mask in masks.items():
        if np.max(mask) <= 0:
            continue
        rows.append(dict(gender=gender, emotion=emotion, correlation=round(_pearson(mask, masks_all[emotion]), digits),
                         others=round(_pearson(mask, masks_all[emotion] - mask), digits)))
    return pd.DataFrame(rows, columns=["gender", "emotion", "correlation", "others"])


ENERGY_FLOOR_PCT = 85.0  # our reading of the paper's "about 90 %" (its cell means: 88.5–93.9 %)
SIMILAR_R = 0.8  # our reading of "very similar" masks (Pearson r over the mask cells)
MIN_CELL = 3  # the paper leaves cells with fewer correctly classified recordings out (§3.3.3)
SLOW = ("sadness", "boredom")


def _values(df: pd.DataFrame, column: str, **where) -> np.ndarray:
    keep = np.ones(len(df), dtype=bool)
    for key, value in where.items():
        keep &= df[key].isin(value if isinstance(value, (list, tuple, set)) else [value]).to_numpy()
    values = df.loc[keep, column].to_numpy(dtype=float)
    return values[np.isfinite(values)]


def _group_contrast(analysis, column, gender, group, direction, seed, digits=3):
    """compare() of recordings in `group` against the other emotions of one gender."""
    from .verdicts import compare

    inside = _values(analysis, column, gender=gender, emotion=list(group))
    others = _values(analysis, column, gender=gender, emotion=sorted(set(analysis.emotion) - set(group)))
    if len(inside) < 2 or len(others) < 2:
        return dict(this_run=f"{len(inside)} vs {len(others)} recordings: too few", agrees="unclear", sampling_noise="yes")
    out = compare(inside, others, direction=direction, seed=seed, digits=digits)
    out["this_run"] = f"difference {out['this_run']} ({len(inside)} vs {len(others)} recordings)"
    return out


def _mean_order(analysis, column, gender) -> str:
    means = analysis[analysis.gender == gender].groupby("emotion")[column].mean().dropna()
    return f"lowest mean {means.idxmin()}, highest {means.idxmax()}" if len(means) else "no recordings"


def energy_cell_verdict(analysis: pd.DataFrame, floor: float = ENERGY_FLOOR_PCT, min_cell: int = MIN_CELL,
                        seed: int = 0) -> dict:
    """The paper's headline (§3.3.3): mean Ê about 90 % in every gender × emotion cell. Each cell
    with ≥ min_cell recordings gets a bootstrap CI of its mean Ê (in %); 'yes' when every cell's
    interval lies above `floor`, 'no' when any lies wholly below, else 'unclear'. this_run
    names the cell means' range and the lowest cell with its interval."""
    from .verdicts import compare, format_ci, bootstrap_difference

    cells = []
    for (gender, emotion), part in analysis.groupby(["gender", "emotion"], sort=True):
        values = part["energy_ratio_pct"].to_numpy(dtype=float)
        values = values[np.isfinite(values)]
        if len(values) >= min_cell:
            verdict = compare(values, direction=">", threshold=floor, seed=seed)["agrees"]
            cells.append((float(values.mean()), gender, emotion, values, verdict))
    if not cells:
        return dict(this_run=f"no cell with ≥ {min_cell} recordings", agrees="unclear", sampling_noise="yes")
    verdicts = [c[4] for c in cells]
    agrees = "no" if "no" in verdicts else "yes" if all(v == "yes" for v in verdicts) else "unclear"
    low = min(cells, key=lambda c: (c[0], c[1], c[2]))
    estimate, lo, hi = bootstrap_difference(low[3], seed=seed)
    return dict(this_run=f"cell means {min(c[0] for c in cells):.1f}–{max(c[0] for c in cells):.1f} % over {len(cells)} cells; "
                         f"lowest {low[1]} {low[2]} {format_ci(estimate, lo, hi, 1).lstrip('+')} %",
                agrees=agrees, sampling_noise="yes")


def comparison_rows(*, dataset: str, n_files: int, table2: pd.DataFrame, counts: dict, accuracy: pd.DataFrame,
                    analysis: pd.DataFrame, summaries: dict, similarity: pd.DataFrame, correct_counts: pd.DataFrame,
                    split_correct=None, held_out: pd.DataFrame | None = None, recovery: pd.DataFrame | None = None,
                    ground_truth: str = "", n_models: int = 2, filters=(64, 128, 256), seed: int = 0) -> list[dict]:
    """Every paper-vs-run row of the smietanka2023 notebook (helpers.verdicts.row dicts).

    dataset / n_files: the corpus and its file count after the paper's selection; table2:
    simplenet.table2_shapes rows; counts: last_conv and dense_kernel parameter counts;
    accuracy: gender, model, accuracy (paper split); analysis: one row per analysed recording
    (gender, emotion, envelope_rmse, f0_rmse_hz, energy_ratio_pct, mask_area, padding_mass,
    padding_share, edge_mass, edge_share); summaries: Tables 3–5 (summary_table); similarity:
    gender, emotion, correlation (R with R̂) and others (R with R̂ − R); correct_counts:
    emotion × gender; split_correct: per-test-file correctness of model 1 on the paper's
    split; held_out: held_out_speaker_runs rows (gender, speaker, correct); recovery:
    mass_inside, window_share per file of the planted-window check on `ground_truth`.
    Claims that sampling noise decides use a bootstrap CI over recordings (seeded)."""
    from .verdicts import compare, row

    paper_filters = tuple(filters) == (64, 128, 256)
    model_note = "SimpleNet with the paper's filters" if paper_filters else f"SimpleNet with filters {tuple(filters)} (paper: 64, 128, 256)"
    rows = []
    full = dataset == "emodb" and n_files in (417, 421)
    rows.append(row("Table 1 files", 417, n_files, basis="paper text", agrees=("yes" if n_files == 417 else "no") if full else "n/a",
                    note="the published EmoDB gives 421 under the paper's rule (speakers 08 and 16: 9 sadness takes each)"
                    if full or dataset != "emodb" else "a subset of EmoDB: the count says nothing about Table 1"))
    for r in table2.itertuples():
        rows.append(row(f"Table 2 last conv {r.model}", r.paper, r.shape, basis="paper text", agrees=r.agrees,
                        note="built from §3.2" if r.model == "SimpleNet" else "keras.applications, weights=None: architecture only"))
    for item, paper, ours, note in (("third conv parameters", 295168, counts["last_conv"], "paper filters"),
                                    ("first Dense weights", 33914880, counts["dense_kernel"], "kernel only; + 128 biases")):
        rows.append(row(item, paper, ours, basis="paper text", agrees="yes" if ours == paper else "no", note=note))
    spans = "; ".join(f"{g} {p.accuracy.min():.2f}–{p.accuracy.max():.2f}" for g, p in accuracy.groupby("gender"))
    rows.append(row("test accuracy per model", "Fig 2 (no number in the text)", spans, basis="paper figure (read by eye)",
                    note=f"{n_models} models per gender, {model_note}; the best is picked on the test set, as in the paper"))
    if held_out is not None and len(held_out) and split_correct is not None and len(split_correct):
        held = held_out["correct"].to_numpy(dtype=float)
        split_acc = np.asarray(split_correct, dtype=float)
        test = compare(split_acc, held, direction=">", seed=seed)
        rows.append(row("test accuracy with the test speakers held out (not in paper)",
                        "not tested: every speaker and sentence is in training and test (§2)",
                        f"paper split {split_acc.mean():.2f} (model 1, {len(split_acc)} files), held-out speakers {held.mean():.2f} "
                        f"({len(held)} files, {held_out.speaker.nunique()} folds); difference {test['this_run']}",
                        basis="paper text", sampling_noise="yes",
                        note="n/a: not a claim of the paper; bootstrap over test files; a difference > 0 is what speaker overlap buys"))
    pairs = similarity.dropna(subset=["others"]) if "others" in similarity else similarity.iloc[:0]
    if n_models > 1 and len(pairs) >= 2:
        test = compare(pairs.others.to_numpy(), direction=">", threshold=SIMILAR_R, seed=seed)
        rows.append(row("masks R and R̂ very similar (Fig 3)", "very similar (§2)",
                        f"r(R, R̂ − R) mean {test['this_run']} vs {SIMILAR_R} over {len(pairs)} masks; r(R, R̂) {similarity.correlation.mean():.2f}",
                        basis="paper text", agrees=test["agrees"], sampling_noise="yes",
                        note=f"R against the sum of the other {n_models - 1} models' masks (R̂ contains R itself, which inflates r(R, R̂)); "
                             f"{SIMILAR_R} is our reading of 'very similar'"))
    else:
        rows.append(row("masks R and R̂ very similar (Fig 3)", "very similar (§2)", f"{n_models} model(s) per gender",
                        basis="paper text", note="needs two or more models per gender"))
    for (gender, emotion), paper in {("female", "happiness"): "< 3", ("male", "fear"): 1, ("male", "sadness"): "< 3"}.items():
        ours = int(correct_counts.loc[emotion, gender]) if emotion in correct_counts.index and gender in correct_counts else 0
        rows.append(row(f"correct test samples {gender} {emotion}", paper, ours, basis="paper text",
                        note="best model; counts of another corpus, split and model"))
    for gender in ("female", "male"):
        test = _group_contrast(analysis, "envelope_rmse", gender, SLOW, "<", seed)
        rows.append(row(f"envelope RMSE lower for sadness and boredom than for the rest ({gender})",
                        "lowest for sadness, boredom (§3.3.1, Table 3)", test["this_run"], basis="paper text",
                        agrees=test["agrees"], sampling_noise="yes", note=f"{_mean_order(analysis, 'envelope_rmse', gender)}; bootstrap over recordings"))
    for gender in ("female", "male"):
        test = _group_contrast(analysis, "f0_rmse_hz", gender, ("anger",), ">", seed, digits=1)
        rows.append(row(f"F0-trajectory RMSE higher for anger than for the rest ({gender})",
                        "anger worst (§3.3.2, Table 4)", test["this_run"], basis="paper text",
                        agrees=test["agrees"], sampling_noise="yes", note=f"{_mean_order(analysis, 'f0_rmse_hz', gender)}; in Hz; bootstrap over recordings"))
    test = energy_cell_verdict(analysis, seed=seed)
    rows.append(row("Ê mean about 90 % in every gender × emotion cell", "88.5–93.9 % (§3.3.3, Table 5)", test["this_run"],
                    basis="paper text", agrees=test["agrees"], sampling_noise="yes",
                    note=f"each cell with ≥ {MIN_CELL} recordings (the paper's rule): CI of its mean above {ENERGY_FLOOR_PCT:.0f} %"))
    if "mask_area" in analysis:
        area = _values(analysis, "mask_area")
        rows.append(row("share of the spectrogram inside the binarised mask (not in paper)", "not reported",
                        f"{100 * area.mean():.1f} % of the unpadded cells on average" if len(area) else "no recordings",
                        basis="paper text", note="Ê near 100 % means little when the mask covers most cells (Exercise 1)"))
    if "padding_mass" in analysis:
        for column, share, item in (("padding_mass", "padding_share", "Grad-CAM mass in the zero-padded columns (not in paper)"),
                                    ("edge_mass", "edge_share", "Grad-CAM mass at the speech/padding edge (not in paper)")):
            part = analysis[[column, share]].dropna()
            if len(part) >= 2:
                test = compare(part[column].to_numpy(), part[share].to_numpy(), paired=True, seed=seed, digits=3)
                this_run = f"{part[column].mean():.3f} vs column share {part[share].mean():.3f}; difference {test['this_run']}"
            else:
                this_run = f"{len(part)} recordings with padding"
            rows.append(row(item, "not discussed (inputs padded to 96 × 202)", this_run, basis="paper text",
                            sampling_noise="yes", note="n/a: not a claim of the paper; > 0 means the maps favour that region"))
    if ground_truth and recovery is not None and len(recovery):
        test = compare(recovery.mass_inside.to_numpy(), recovery.window_share.to_numpy(), paired=True, seed=seed, digits=3)
        rows.append(row("Grad-CAM mass in the planted 0.4 s window (not in paper)", "n/a",
                        f"{recovery.mass_inside.mean():.3f} vs window share {recovery.window_share.mean():.3f}; difference {test['this_run']}",
                        basis="by construction", dataset=ground_truth, sampling_noise="yes",
                        note="the window is planted by the generator: a check of the explainer, not of the paper"))
    rows += paper_mean_rows(summaries, dataset)
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
