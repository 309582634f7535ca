"""Data for Smietanka & Maka (2023): the EmoDB selection, Table 1, the per-group split and CQT-96 inputs.

- Selection (paper §3.1): EmoDB without *disgust* and without speakers 09 and 12.
- Table 1: the paper lists 417 files; the published corpus gives 421 under the same rule
  (speaker 08 has 9 sadness takes, not 6; speaker 16 has 9, not 8). Which takes the authors
  dropped cannot be known from the paper, so nothing here tries to guess them.
- Split (paper §2): per gender; inside every speaker × emotion group ≈ 50/25/25 %, which we
  make exact as n_val = n_test = max(1, ⌊n/4⌋) and the rest training (seeded shuffle).
- The paper's split puts every speaker, and every sentence, in training and test, and the
  best of ten models is chosen on the test set. `speaker_split` is the held-out-speaker
  variant (our addition): the test speakers' files are never seen in training.
- Inputs (paper §2.1): CQT-96 from C1, 12 bins per octave, at 22.05 kHz; the linear
  magnitude is kept for the energy analysis (Eq. 10), the network sees log-magnitude
  normalised with training statistics, padded/cropped to 96 × 202. The hop is not in the
  paper: 512 samples (23.2 ms) by default; the authors' published images suggest ≈ 31 ms
  (hop ≈ 683), which `hop_length` allows. Every analysis uses the unpadded columns only.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import memo, paths
from .audio import load_audio
from .errors import InvalidParameterError
from .spectrograms import CQT_FRAMES, CQT_SR, cqt

# The paper's tables list emotions in this order (Tables 3–5); Table 1 uses another one.
EMOTIONS = ("anger", "boredom", "fear", "happiness", "neutral", "sadness")
TABLE1_COLUMNS = ("sadness", "fear", "happiness", "neutral", "boredom", "anger")
EXCLUDED_SPEAKERS = ("09", "12")
EXCLUDED_EMOTIONS = ("disgust",)

# Paper Table 1 (speaker → counts in TABLE1_COLUMNS order), 417 files.
PAPER_TABLE1 = {
    "08": (6, 6, 11, 10, 10, 12),
    "03": (7, 4, 7, 11, 5, 14),
    "14": (10, 12, 8, 7, 8, 16),
    "11": (7, 10, 8, 9, 8, 11),
    "10": (3, 8, 4, 4, 8, 10),
    "13": (5, 7, 10, 9, 10, 12),
    "16": (8, 7, 11, 5, 14, 14),
    "15": (4, 8, 6, 11, 9, 13),
}
# The published EmoDB under the same rule (421 files): as Table 1 except two sadness cells.
PUBLISHED_DIFFERENCES = {("08", "sadness"): 9, ("16", "sadness"): 9}

LOG_FLOOR_DB = -100.0  # log-magnitude floor (amin 1e-5) and the value padded columns get


def paper_table1() -> pd.DataFrame:
    """Paper Table 1 as speaker × emotion counts (index speaker, columns TABLE1_COLUMNS)."""
    table = pd.DataFrame.from_dict(PAPER_TABLE1, orient="index", columns=list(TABLE1_COLUMNS))
    table.index.name = "speaker"
    return table


def published_table1() -> pd.DataFrame:
    """What the published EmoDB gives under the paper's rule (421 files)."""
    table = paper_table1()
    for (speaker, emotion), count in PUBLISHED_DIFFERENCES.items():
        table.loc[speaker, emotion] = count
    return table


def select_emodb(df: pd.DataFrame) -> pd.DataFrame:
    """The paper's rule: drop disgust and speakers 09 and 12 (works on any corpus table)."""
    keep = ~df["emotion"].isin(EXCLUDED_EMOTIONS) & ~df["speaker"].astype(str).isin(EXCLUDED_SPEAKERS)
    return df[keep].reset_index(drop=True)


def distribution(df: pd.DataFrame, columns=TABLE1_COLUMNS) -> pd.DataFrame:
    """Files per speaker × emotion (Table 1 layout) of a corpus table."""
    table = pd.crosstab(df["speaker"].astype(str), df["emotion"]).reindex(columns=list(columns), fill_value=0)
    table.index.name = "speaker"
    table.columns.name = None
    return table


def compare_table1(ours: pd.DataFrame) -> pd.DataFrame:
    """Long table: speaker, emotion, paper (Table 1), published_emodb (the same rule on the
    published corpus), ours (this run), difference (ours − paper), with 'total' rows.

    Speakers missing from a table count 0 there (synthetic speakers are not in the paper)."""
    tables = {"paper": paper_table1(), "published_emodb": published_table1(),
              "ours": ours.reindex(columns=list(TABLE1_COLUMNS), fill_value=0)}
    speakers = list(tables["paper"].index) + [s for s in ours.index if s not in tables["paper"].index]
    rows = []
    for speaker in speakers + ["total"]:
        for emotion in list(TABLE1_COLUMNS) + ["total"]:
            row = dict(speaker=speaker, emotion=emotion)
            for name, table in tables.items():
                part = table if speaker == "total" else table.loc[[speaker]] if speaker in table.index else table.iloc[:0]
                row[name] = int(part.to_numpy().sum() if emotion == "total" else part[emotion].sum())
            rows.append(row)
    out = pd.DataFrame(rows)
    out["difference"] = out["ours"] - out["paper"]
    return out


def split_sizes(n: int) -> tuple[int, int, int]:
    """(train, val, test) for a speaker × emotion group of n files: n_val = n_test = max(1, ⌊n/4⌋)."""
    if n < 3:
        raise InvalidParameterError(
            f"a speaker × emotion group of {n} file(s) cannot give train, validation and test "
            "files (need at least 3); drop the speaker or emotion as the paper did")
    held = max(1, n // 4)
    return n - 2 * held, held, held


def split(df: pd.DataFrame, seed: int = 0) -> pd.Series:
    """'train' / 'val' / 'test' per row: within each speaker × emotion group, a seeded shuffle
    then split_sizes. Groups are visited in sorted order, so the result depends only on the seed
    and the table's content (rows are ordered by path inside a group before shuffling)."""
    rng = np.random.default_rng(seed)
    out = pd.Series("", index=df.index, dtype=object, name="subset")
    for key, group in df.groupby(["speaker", "emotion"], sort=True):
        n_train, n_val, n_test = split_sizes(len(group))
        order = group.sort_values("path").index.to_numpy()[rng.permutation(len(group))]
        out[order[:n_train]] = "train"
        out[order[n_train:n_train + n_val]] = "val"
        out[order[n_train + n_val:]] = "test"
    return out


def speaker_split(df: pd.DataFrame, test_speakers, seed: int = 0) -> pd.Series:
    """Held-out-speaker variant of `split`: every file of `test_speakers` is 'test'; inside each
    speaker × emotion group of the other speakers n_val = max(1, ⌊n/4⌋) files are 'val' (for
    early stopping) and the rest 'train' (seeded shuffle, groups in sorted order)."""
    test_speakers = {str(s) for s in np.atleast_1d(test_speakers)}
    speakers = df["speaker"].astype(str)
    missing = test_speakers - set(speakers)
    if missing or test_speakers == set(speakers):
        raise InvalidParameterError(f"invalid test speakers {sorted(test_speakers)}; choose some, not all, of {sorted(set(speakers))}")
    rng = np.random.default_rng(seed)
    out = pd.Series("test", index=df.index, dtype=object, name="subset")
    for key, group in df[~speakers.isin(test_speakers)].groupby(["speaker", "emotion"], sort=True):
        if len(group) < 2:
            raise InvalidParameterError(f"speaker × emotion group {key} has {len(group)} file; need 2 for train and val")
        held = max(1, len(group) // 4)
        order = group.sort_values("path").index.to_numpy()[rng.permutation(len(group))]
        out[order[:held]] = "val"
        out[order[held:]] = "train"
    return out


@memo.cached()
def held_out_speaker_runs(part: pd.DataFrame, log_db: np.ndarray, n_valid: np.ndarray, y: np.ndarray, n_classes: int,
                          filters, epochs: int, batch_size: int, patience: int, seed: int,
                          max_folds: int = 0) -> pd.DataFrame:
    """One SimpleNet per held-out speaker of one gender (`part`: its corpus rows, aligned with
    log_db, n_valid and y). Each fold standardises with its own training files (`normaliser`),
    so nothing of the held-out speaker reaches training. Speakers are held out in sorted order,
    at most `max_folds` of them (0: all).
    Returns one row per test file: speaker (held out), path, emotion, predicted class, correct.
    Read from the result cache (`helpers.memo`) when the same data and settings ran before."""
    from .simplenet import run_models

    speakers = sorted(part["speaker"].astype(str).unique())
    if len(speakers) < 2:
        raise InvalidParameterError(f"a held-out-speaker split needs at least 2 speakers, got {speakers}")
    rows = []
    for fold, speaker in enumerate(speakers[: int(max_folds) or None]):
        subset = speaker_split(part, [speaker], seed=seed).to_numpy()
        x = network_input(log_db, *normaliser(log_db, n_valid, np.flatnonzero(subset == "train")))
        run = run_models(x, y, subset, n_classes, 1, filters, epochs, batch_size, patience, seed + 100 * (fold + 1),
                         explain=False)[0]
        test = part[subset == "test"]
        rows.append(pd.DataFrame({"speaker": speaker, "path": test["path"].to_numpy(), "emotion": test["emotion"].to_numpy(),
                                  "predicted": run.y_pred, "correct": run.y_pred == y[subset == "test"]}))
    return pd.concat(rows, ignore_index=True)


def load_corpus(dataset: str, data_dir=None, seed: int = 0, takes: int = 4) -> pd.DataFrame:
    """A corpus table. Synthetic variants (`takes` per speaker × emotion) are generated under
    <data dir>/<variant>-seed<seed>-takes<takes>, so notebooks with other settings never
    regenerate each other's copy; `takes` is ignored for real corpora."""
    from . import datasets, synthetic
    from .manifest import synthetic_variants

    if dataset in synthetic_variants():
        root = paths.data_dir(data_dir) / f"{dataset}-seed{seed}-takes{takes}"
        return synthetic.ensure_corpus(root=root, variant=dataset, seed=seed, takes=takes, progress=False)
    return datasets.load(dataset, data_dir=data_dir)


def first_speakers(df: pd.DataFrame, per_gender: int) -> pd.DataFrame:
    """Keep the first `per_gender` speakers (sorted ids) of each gender; 0 keeps everyone."""
    if not per_gender:
        return df
    keep = df.groupby("gender").speaker.unique().apply(sorted).explode().groupby(level=0).head(int(per_gender))
    return df[df.speaker.isin(set(keep))]


@dataclass
class CqtInputs:
    """Per file: linear CQT magnitude padded with zeros, log input (dB, floor -100), valid columns,
    and the 22.05 kHz signal cut to what the valid columns cover."""

    linear: np.ndarray  # (n, 96, width) float32, zero in padded columns
    log_db: np.ndarray  # (n, 96, width) float32, LOG_FLOOR_DB in padded columns
    n_valid: np.ndarray  # (n,) int
    signals: list
    hop_length: int
    sr: int = CQT_SR


def log_magnitude(linear: np.ndarray) -> np.ndarray:
    """dB re 1.0 with a -100 dB floor: absolute level kept (loudness is an emotion cue)."""
    return (20.0 * np.log10(np.maximum(linear, 10 ** (LOG_FLOOR_DB / 20)))).astype(np.float32)


def _cqt_cached(path, hop_length: int, cache) -> np.ndarray:
    import librosa

    from .cache import make_key

    key = make_key(path, "cqt96", {"hop_length": hop_length, "sr": CQT_SR}, librosa.__version__)
    hit = cache.get("cqt96", key)
    if hit is not None:
        return hit.values
    spec = cqt(load_audio(path, sr=CQT_SR), sr=CQT_SR, hop_length=hop_length, db=False)
    cache.put("cqt96", key, spec)
    return spec


def build_inputs(paths_list, hop_length: int = 512, width: int = CQT_FRAMES, use_cache: bool = True) -> CqtInputs:
    """CQT-96 of every file at 22.05 kHz, cropped or zero-padded to `width` columns (linear
    magnitudes cached per file content and hop, outside the repository)."""
    from .cache import FeatureCache

    cache = FeatureCache(enabled=use_cache)
    if int(hop_length) < 32 or int(hop_length) % 32:
        raise InvalidParameterError(f"invalid hop_length {hop_length!r}; give a multiple of 32 (e.g. 512, 672)")
    linear, n_valid, signals = [], [], []
    for path in paths_list:
        y = load_audio(path, sr=CQT_SR)
        spec = _cqt_cached(path, int(hop_length), cache)
        valid = min(spec.shape[1], width)
        padded = np.zeros((spec.shape[0], width), dtype=np.float32)
        padded[:, :valid] = spec[:, :valid]
        linear.append(padded)
        n_valid.append(valid)
        signals.append(y[: valid * int(hop_length)])  # cropped files: only the samples the columns cover
    linear = np.stack(linear)
    log_db = log_magnitude(linear)
    for i, valid in enumerate(n_valid):
        log_db[i, :, valid:] = LOG_FLOOR_DB
    return CqtInputs(linear, log_db, np.asarray(n_valid), signals, int(hop_length))


def normaliser(log_db: np.ndarray, n_valid: np.ndarray, train_index) -> tuple[float, float]:
    """Mean and standard deviation of the training files' unpadded log-CQT cells (our choice:
    one global scalar pair; the paper does not say how it normalised)."""
    cells = np.concatenate([log_db[i, :, : n_valid[i]].ravel() for i in train_index])
    return float(cells.mean()), float(cells.std() + 1e-8)


def network_input(log_db: np.ndarray, mean: float, std: float) -> np.ndarray:
    """(n, 96, width, 1) float32: standardised log-CQT, frequency on rows, time on columns."""
    return ((log_db - mean) / std).astype(np.float32)[..., None]
