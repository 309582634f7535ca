"""The two black boxes EmoLIME explains (Hjulér et al. 2025, §III): SVCs with probability
outputs on ComParE_2016 functionals and on mean-pooled wav2vec2 last hidden states, trained
leave-one-speaker-out; each utterance is explained by the fold model that never saw its speaker.

Our additions (the paper is silent): features are standardised inside each fold
(`StandardScaler`), and the SVC is linear (the paper says "linear SVC") with
`probability=True` and a fixed `random_state` so Platt scaling is reproducible.
Features of in-memory signals (crops and perturbations) are cached by a hash of the samples.
"""
from __future__ import annotations

import functools
import hashlib
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import features
from .cache import FeatureCache
from .errors import InvalidParameterError
from .parallel import parallel_map

FEATURE_SET = "ComParE_2016"
EMOTIONS = ("anger", "happiness", "sadness", "neutral")


def load_signals(paths, sr: int = 16000, max_seconds: float = 0.0) -> list[np.ndarray]:
    """Mono signals at `sr`, cropped to the first `max_seconds` (0 = whole file)."""
    from .audio import load_audio

    keep = int(max_seconds * sr) if max_seconds else None
    return [load_audio(p, sr=sr)[:keep] for p in paths]


def _digest(signals, tag: str) -> str:
    h = hashlib.sha256(tag.encode())
    for x in signals:
        x = np.ascontiguousarray(x, dtype=np.float32)
        h.update(str(len(x)).encode())
        h.update(x.tobytes())
    return h.hexdigest()


def functionals(signals, sr: int = 16000, feature_set: str = FEATURE_SET, n_jobs: int | None = None,
                cache: bool = True) -> np.ndarray:
    """(n, n_features) openSMILE functionals of in-memory signals, extracted in parallel threads
    (or on the workers `helpers.parallel.use_scheduler` chose).

    One cache entry per call (keyed by the samples), so a rerun with the same perturbations
    reads them back instead of recomputing.
    """
    store = FeatureCache(enabled=cache)
    key = _digest(signals, f"{feature_set}:{sr}:{features._version()}")
    hit = store.get(f"emolime-{feature_set}", key)
    if hit is not None:
        return hit.values
    task = functools.partial(features.functionals_of_signal, sr=sr, feature_set=feature_set)
    rows = parallel_map(task, signals, n_jobs=n_jobs, show_progress=False)
    values = np.vstack(rows) if rows else np.empty((0, features.N_FUNCTIONALS[feature_set]))
    store.put(f"emolime-{feature_set}", key, values)
    return values


@dataclass
class Featurizer:
    """signals → feature matrix, for one model family ('compare' or 'wav2vec2')."""

    name: str
    model: object = None
    extractor: object = None
    batch_size: int | None = None  # None: 16 clips per forward pass on the CPU (devices.batch_size_for)
    cache: bool = True  # ComParE only: read/write the feature cache
    device: object = "auto"  # wav2vec2 only: where the model runs (helpers.devices.resolve_device)

    def __call__(self, signals) -> np.ndarray:
        if self.name == "compare":
            return functionals(signals, cache=self.cache)
        from .devices import batch_size_for
        from .embeddings import embed_signals

        batch_size = self.batch_size or batch_size_for(self.device, 16)
        return embed_signals(signals, self.model, self.extractor, batch_size=batch_size,
                             device=self.device).astype(np.float64)


def make_svc(seed: int):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    return make_pipeline(StandardScaler(), SVC(kernel="linear", probability=True, random_state=seed))


@dataclass
class LosoModels:
    """One fitted pipeline per held-out speaker and the out-of-fold predictions."""

    classes: list
    models: dict  # speaker → fitted pipeline (trained without that speaker)
    predictions: pd.DataFrame  # index of the input, speaker, emotion, predicted, p_<class>

    def proba_for(self, speaker, X) -> np.ndarray:
        """Class probabilities (columns in `classes` order) from the fold that held out `speaker`."""
        model = self.models[speaker]
        order = [list(model.classes_).index(c) for c in self.classes]
        return model.predict_proba(X)[:, order]


def fit_loso(X, labels, speakers, seed: int, classes=EMOTIONS, index=None) -> LosoModels:
    """Leave-one-speaker-out SVCs; raises if any fold would mix a speaker into train and test."""
    from sklearn.model_selection import LeaveOneGroupOut

    X, labels, speakers = np.asarray(X), np.asarray(labels), np.asarray(speakers)
    if len(np.unique(speakers)) < 2:
        raise InvalidParameterError("leave-one-speaker-out needs at least 2 speakers")
    classes = [c for c in classes if c in set(labels)]
    index = pd.RangeIndex(len(X)) if index is None else index
    models, rows = {}, []
    for train, test in LeaveOneGroupOut().split(X, labels, groups=speakers):
        held_out = set(speakers[test])
        assert len(held_out) == 1 and not held_out & set(speakers[train])
        speaker = held_out.pop()
        with warnings.catch_warnings():  # sklearn 1.9 deprecates probability=True; it is the authors' setting
            warnings.filterwarnings("ignore", message=".*probability.*", category=FutureWarning)
            models[speaker] = make_svc(seed).fit(X[train], labels[train])
        fold = LosoModels(classes, {speaker: models[speaker]}, None)
        proba = fold.proba_for(speaker, X[test])
        for i, p in zip(test, proba):
            rows.append({"row": index[i], "speaker": speaker, "emotion": labels[i],
                         "predicted": classes[int(np.argmax(p))],
                         **{f"p_{c}": float(v) for c, v in zip(classes, p)}})
    predictions = pd.DataFrame(rows).set_index("row").loc[list(index)]
    return LosoModels(classes, models, predictions)


# ---------------------------------------------------------------- one dataset, end to end


def balanced_speakers(table: pd.DataFrame, n: int) -> pd.DataFrame:
    """Keep n speakers (half per gender where genders are known, first ids first); 0 = all."""
    if not n:
        return table
    per_gender = table.groupby(table["gender"].fillna("unknown"))["speaker"].unique()
    keep = []
    for speakers in per_gender:
        keep += sorted(speakers)[: max(1, n // len(per_gender))]
    return table[table["speaker"].isin(keep)].reset_index(drop=True)


@dataclass
class DatasetRun:
    """A corpus prepared for EmoLIME: files, cropped signals, features and LOSO models."""

    name: str
    table: pd.DataFrame  # one row per file: path, speaker, emotion, utterance, + corpus columns
    signals: list
    loso: dict  # model name → LosoModels

    def predictor(self, model: str, speaker, featurizer: Featurizer):
        """signals → class probabilities from the fold that held out `speaker`."""
        return lambda signals: self.loso[model].proba_for(speaker, featurizer(signals))

    def outcomes(self) -> pd.DataFrame:
        """Per file: each model's out-of-fold prediction and whether both are correct."""
        out = self.table[["utterance", "speaker", "emotion"]].copy()
        for model, loso in self.loso.items():
            out[f"pred_{model}"] = loso.predictions["predicted"].to_numpy()
        out["correct"] = np.logical_and.reduce([out[f"pred_{m}"] == out["emotion"] for m in self.loso])
        return out


def emotion_map_for(name: str, merge_excited: bool = False) -> dict | None:
    """The label override passed to `datasets.load`: IEMOCAP's "excited" (`exc`) is its own
    class unless `merge_excited`.

    The IEMOCAP manifest merges `exc` into happiness by default, as many IEMOCAP papers do.
    Hjulér et al. (§III) use the four classes happiness, anger, sadness and neutral and never
    mention "excited"; our paper profile keeps the classes apart, so `exc` files are dropped
    (and counted in the loader's report) unless `merge_excited=True`.
    """
    from .manifest import load_manifest, synthetic_variants

    if merge_excited or name in synthetic_variants():
        return None
    return {"exc": None} if "exc" in load_manifest(name)["emotions"] else None


def load_table(name: str, data_dir=None, emotions=EMOTIONS, max_speakers: int = 0,
               merge_excited: bool = False) -> pd.DataFrame:
    """The corpus restricted to the four emotions; synthetic variants ignore `data_dir`.

    `merge_excited`: IEMOCAP only, count "excited" as happiness (default: drop it, see
    `emotion_map_for`).
    """
    from . import datasets
    from .manifest import synthetic_variants

    if name in synthetic_variants():  # generated quietly in the per-user data folder
        from .paths import data_dir as default_data_dir
        from .synthetic import ensure_corpus

        table = ensure_corpus(root=default_data_dir() / name, variant=name, seed=0, progress=False)
        table = table[table["emotion"].isin(list(emotions))].reset_index(drop=True)
    else:
        table = datasets.load(name, data_dir=data_dir, emotions=list(emotions),
                              emotion_map=emotion_map_for(name, merge_excited))
    return _utterance_table(table, max_speakers)


def _utterance_table(table: pd.DataFrame, max_speakers: int) -> pd.DataFrame:
    """Balanced speakers, an `utterance` id from the file name, sorted by speaker/emotion/utterance."""
    table = balanced_speakers(table, max_speakers)
    table["utterance"] = [p.rsplit("/", 1)[-1].rsplit(".", 1)[0] for p in table["path"]]
    return table.sort_values(["speaker", "emotion", "utterance"]).reset_index(drop=True)


def prepare_dataset(name: str, featurizers: dict, seed: int, data_dir=None, max_speakers: int = 0,
                    max_seconds: float = 0.0, merge_excited: bool = False) -> DatasetRun:
    """Load, crop, featurise and fit LOSO SVCs for every model in `featurizers`."""
    table = load_table(name, data_dir, max_speakers=max_speakers, merge_excited=merge_excited)
    return _fit_run(name, table, featurizers, seed, max_seconds)


def _fit_run(name: str, table: pd.DataFrame, featurizers: dict, seed: int, max_seconds: float) -> DatasetRun:
    signals = load_signals(table["path"], max_seconds=max_seconds)
    loso = {model: fit_loso(featurize(signals), table["emotion"], table["speaker"], seed, index=table.index)
            for model, featurize in featurizers.items()}
    return DatasetRun(name, table, signals, loso)


def uar_rows(run: DatasetRun) -> list[dict]:
    from .evaluation import uar

    return [{"dataset": run.name, "model": model, "uar": round(uar(l.predictions["emotion"], l.predictions["predicted"]), 4),
             "files": len(run.table), "speakers": run.table["speaker"].nunique()} for model, l in run.loso.items()]


def explain_rows(run: DatasetRun, rows, featurizers: dict, masks, bands: str = "mel",
                 inversion: str = "stft", fill: str = "zero") -> pd.DataFrame:
    """EmoLIME weights (long: one row per utterance × model × component) for table rows `rows`."""
    from . import emolime

    edges = emolime.band_edges(bands)
    records = []
    for i in rows:
        row = run.table.loc[i]
        predictors = {m: run.predictor(m, row["speaker"], f) for m, f in featurizers.items()}
        labels = {m: run.loso[m].classes.index(row["emotion"]) for m in featurizers}
        result = emolime.explain_signal(run.signals[i], predictors, labels, masks, bands, inversion, fill)
        for model, exp in result.items():
            order = {c: k + 1 for k, (c, _) in enumerate(exp.raw)}
            for c in range(len(edges) - 1):
                records.append(dict(dataset=run.name, model=model, utterance=row["utterance"],
                                    speaker=row["speaker"], emotion=row["emotion"], component=c + 1,
                                    lo_hz=round(edges[c], 1), hi_hz=round(edges[c + 1], 1),
                                    weight=round(float(exp.weights[c]), 6), lime_order=order.get(c, 0),
                                    intercept=round(exp.intercept, 6), r2=round(exp.score, 6),
                                    n_dropped=exp.n_dropped))
    return pd.DataFrame(records)


# ---------------------------------------------------------------- Table I and the paper's claims

MODELS = ("compare", "wav2vec2")
EMOTION_CODES = {"anger": "A", "happiness": "H", "sadness": "S", "neutral": "N"}
PAPER_DATASETS = ("EDB", "RV", "IE")  # our datasets are matched to these by position
# Table I of the paper: (statistic, critical value, p-value as printed, null accepted?)
PAPER_TABLE1 = {
    ("models", "EDB"): {"A": (0.88, 0.44, "<0.01", False), "H": (0.32, 0.56, "0.32", True),
                        "S": (0.29, 0.21, "<0.05", False), "N": (0.45, 0.36, "<0.05", False)},
    ("models", "RV"): {"A": (0.25, 0.37, "0.22", True), "H": (0.15, 0.25, "0.35", True),
                       "S": (0.21, 0.38, "0.39", True), "N": (0.14, 0.44, "0.65", True)},
    ("models", "IE"): {"A": (0.77, 0.24, "<0.01", False), "H": (0.24, 0.49, "0.33", True),
                       "S": (0.26, 0.35, "0.16", True), "N": (0.25, 0.35, "0.17", True)},
    ("compare", "EDB vs RV"): {"A": (0.32, 0.31, "<0.05", False), "H": (0.33, 0.40, "0.10", True),
                               "S": (0.88, 0.39, "<0.01", False), "N": (0.80, 0.42, "<0.01", False)},
    ("compare", "EDB vs IE"): {"A": (0.22, 0.14, "<0.01", False), "H": (0.51, 0.58, "0.07", True),
                               "S": (0.70, 0.37, "<0.01", False), "N": (0.40, 0.35, "<0.05", False)},
    ("compare", "RV vs IE"): {"A": (0.60, 0.32, "<0.01", False), "H": (0.95, 0.44, "<0.01", False),
                              "S": (0.44, 0.46, "0.06", True), "N": (0.30, 0.46, "0.14", True)},
    ("wav2vec2", "EDB vs RV"): {"A": (0.52, 0.49, "<0.05", False), "H": (0.64, 0.48, "<0.05", False),
                                "S": (0.22, 0.29, "0.17", True), "N": (1.32, 0.56, "<0.01", False)},
    ("wav2vec2", "EDB vs IE"): {"A": (0.74, 0.43, "<0.01", False), "H": (0.34, 0.54, "0.23", True),
                                "S": (0.18, 0.25, "0.17", True), "N": (0.87, 0.41, "<0.01", False)},
    ("wav2vec2", "RV vs IE"): {"A": (0.22, 0.25, "0.08", True), "H": (0.68, 0.45, "<0.01", False),
                               "S": (0.19, 0.30, "0.24", True), "N": (0.41, 0.38, "<0.05", False)},
}
# Example weights of the wav2vec2-SVC printed in Figs 2 (happy, 10b01Fa) and 3 (angry, 11b03Wa)
PAPER_EXAMPLE_WEIGHTS = {
    "happiness": (0.01, 0.10, -0.10, 0.12, 0.22, 0.12, 0.02, 0.06),
    "anger": (0.23, 0.34, 0.10, -0.14, -0.17, 0.07, 0.13, -0.22),
}


def weight_matrix(weights: pd.DataFrame, dataset: str, model: str, emotion: str) -> np.ndarray:
    """(utterances, components) weights of one cell, utterances in name order."""
    part = weights[(weights.dataset == dataset) & (weights.model == model) & (weights.emotion == emotion)]
    return part.pivot(index="utterance", columns="component", values="weight").sort_index().to_numpy()


def _paper_key(family_model: str, names: list, datasets: list) -> str:
    position = [PAPER_DATASETS[datasets.index(n)] if datasets.index(n) < 3 else "?" for n in names]
    return position[0] if family_model == "models" else " vs ".join(position)


def cramer_table(weights: pd.DataFrame, datasets: list, replicates: int = 1000, seed: int = 0) -> pd.DataFrame:
    """Table I: model vs model within each dataset, dataset vs dataset within each model."""
    from itertools import combinations

    from .stats import cramer_test

    plan = [("models", "compare vs wav2vec2", [d], (d, "compare"), (d, "wav2vec2")) for d in datasets]
    plan += [(m, m, [a, b], (a, m), (b, m)) for m in MODELS for a, b in combinations(datasets, 2)]
    rows = []
    for family, label, names, (da, ma), (db, mb) in plan:
        for emotion, code in EMOTION_CODES.items():
            x, y = weight_matrix(weights, da, ma, emotion), weight_matrix(weights, db, mb, emotion)
            if len(x) < 2 or len(y) < 2:
                continue
            r = cramer_test(x, y, replicates=replicates, seed=seed + len(rows))
            paper = PAPER_TABLE1.get((family, _paper_key(family, names, datasets)), {}).get(code)
            rows.append(dict(family="model vs model" if family == "models" else f"datasets ({label})",
                             comparison=" vs ".join(names) if family != "models" else f"{names[0]}: {label}",
                             emotion=code, m=r.m, n=r.n, statistic=round(r.statistic, 4),
                             crit_value=round(r.crit_value, 4), p_value=round(r.p_value, 4), accepted=r.accepted,
                             paper_cell=_paper_key(family, names, datasets) if paper else "",
                             paper_statistic=paper[0] if paper else np.nan,
                             paper_p=paper[2] if paper else "", paper_accepted=paper[3] if paper else None))
    return pd.DataFrame(rows)


def band_summary(weights: pd.DataFrame) -> pd.DataFrame:
    """Mean ± sd of each component's weight per dataset, model and emotion (Fig 4)."""
    grouped = weights.groupby(["model", "emotion", "dataset", "component", "lo_hz", "hi_hz"])["weight"]
    out = grouped.agg(mean="mean", sd="std", n="count").reset_index()
    return out.round({"mean": 6, "sd": 6})


# ---------------------------------------------------------------- paper vs this run
# Verdict rules (helpers.verdicts): yes/no only from a bootstrap CI that excludes the paper's
# threshold (utterances or components are few, so noise decides), else unclear; rows about the
# wav2vec2 model are n/a when it is a random-init stand-in (their `dataset` says so); rows that
# follow from how the synthetic corpus was built are n/a "by construction".

def arm_title(model_name: str) -> str:
    """The figure/table name of the deep-feature arm: 'wav2vec2-SVC (…)' for a wav2vec2 model,
    'deep-embedding SVC (…)' for any other encoder (e.g. the GE2E speaker encoder), with
    `embeddings.model_label` in brackets, so a stand-in says what it is."""
    from .embeddings import model_label

    kind = "wav2vec2-SVC" if "wav2vec2" in str(model_name).lower() else "deep-embedding SVC"
    return f"{kind} ({model_label(model_name)})"


def arm_stand_in(model_name: str) -> str | None:
    """`model_label(model_name)` when the deep arm's model is a stand-in (random-init, or the
    pretrained GE2E speaker encoder, which is not the paper's SER model), else None."""
    from .embeddings import model_label
    from .verdicts import STAND_IN_MARK

    label = model_label(model_name)
    return label if STAND_IN_MARK in label else None


def _stand_in_name(stand_in) -> str:
    """`stand_in` is the stand-in's label (`arm_stand_in`), or True for the tiny wav2vec2 stand-in."""
    return stand_in if isinstance(stand_in, str) else "the random-init wav2vec2 stand-in"


def stand_in_note(stand_in) -> str:
    """The note of a row about the deep arm when its model is a stand-in."""
    return f"the deep arm is {_stand_in_name(stand_in)}, not the paper's wav2vec2 model: measured, not scored"


def stand_in_dataset(dataset: str, stand_in=True) -> str:
    """The per-row `dataset` of a row about the deep arm's stand-in model."""
    what = f"deep arm {_stand_in_name(stand_in)}"
    return f"{dataset} ({what})" if dataset else what


def _all_of(verdicts: list[str]) -> str:
    """One verdict for a claim made of parts: yes if every part is yes, no if any is no."""
    if verdicts and all(v == "yes" for v in verdicts):
        return "yes"
    return "no" if "no" in verdicts else "unclear"


def _about_model(r: dict, model: str, stand_in: bool | str, dataset: str) -> dict:
    """A row about `model` (or comparing it): n/a with a stand-in dataset when it is the stand-in.

    `stand_in`: False, True, or the stand-in's label (`arm_stand_in`), which the note and the
    row's `dataset` then name ('wav2vec2' is the key of the deep arm, whatever model it runs).
    """
    if stand_in and model == "wav2vec2":
        note = stand_in_note(stand_in)
        r = dict(r, agrees="n/a", dataset=stand_in_dataset(dataset, stand_in),
                 note=f"{note}; {r['note']}" if r.get("note") else note)
    return r


def component_note(weights: pd.DataFrame) -> str:
    """What the paper's '<3 kHz', '>3 kHz', '>4 kHz' (components 1–3, 4–8, 5–8) are in this split."""
    edges = weights.drop_duplicates("component").set_index("component").sort_index()
    hz = lambda a, b: f"{edges.lo_hz.loc[a]:g}–{edges.hi_hz.loc[b]:g} Hz"
    return f"components 1–3 = {hz(1, 3)}, 4–8 = {hz(4, 8)}, 5–8 = {hz(5, 8)}"


def per_utterance(weights: pd.DataFrame, model: str, emotions=None) -> pd.DataFrame:
    """(dataset, emotion, utterance) × component weights of one model."""
    part = weights[weights.model == model]
    if emotions is not None:
        part = part[part.emotion.isin(list(emotions))]
    return part.pivot_table(index=["dataset", "emotion", "utterance"], columns="component", values="weight").sort_index()


def takeaway_checks(weights: pd.DataFrame, stand_in: bool | str = False, dataset: str = "", seed: int = 0) -> list[dict]:
    """The four Fig 4 takeaways' first three and §V's 'highest component near zero', each with a
    bootstrap CI over the explained utterances (paper text, §V).

    The paper labels component k as (k-1)–k kHz, so its '<3 kHz' is components 1–3, '>3 kHz'
    components 4–8 and '>4 kHz' components 5–8 (with the authors' mel blocks: 0–1148,
    1148–8000 and 1689–8000 Hz). Per utterance: (i) mean weight of 1–3 minus mean of 4–8, for
    anger and for sadness (yes only if both CIs are above 0); (ii) mean weight of 4–8, anger and
    happiness against sadness and neutral; (iii) mean |weight| of 5–8, ComParE minus wav2vec2 on
    the same utterance, anger, happiness and neutral pooled; §V: |weight of 8| minus the
    utterance's mean |weight|, per model.
    """
    from .verdicts import compare, row

    note = component_note(weights)
    low, high, very_high = [1, 2, 3], [4, 5, 6, 7, 8], [5, 6, 7, 8]
    w2v = per_utterance(weights, "wav2vec2")
    rows = []
    low_minus_high = w2v.loc[:, low].mean(1) - w2v.loc[:, high].mean(1)
    of = lambda values, e: values[values.index.get_level_values("emotion") == e]
    parts = {e: compare(of(low_minus_high, e), seed=seed, digits=3) for e in ("anger", "sadness")}
    rows.append(row("Fig 4 (i) wav2vec2: components 1–3 ('<3 kHz') weigh most for anger and sadness", "yes",
                    "; ".join(f"{EMOTION_CODES[e]} {p['this_run']}" for e, p in parts.items()), basis="paper text",
                    agrees=_all_of([p["agrees"] for p in parts.values()]), sampling_noise="yes",
                    note=f"per utterance: mean weight 1–3 minus 4–8, 95 % CI; yes only if both are above 0; {note}"))
    arousal = w2v.loc[:, high].mean(1)
    is_high = arousal.index.get_level_values("emotion").isin(["anger", "happiness"])
    r = compare(arousal[is_high], arousal[~is_high], direction=">", seed=seed, digits=3)
    means = arousal.groupby(level="emotion").mean()
    rows.append(row("Fig 4 (ii) wav2vec2: components 4–8 ('>3 kHz') weigh more for anger/happiness than sadness/neutral",
                    "yes", r["this_run"], basis="paper text", agrees=r["agrees"], sampling_noise="yes",
                    note="A+H minus S+N, mean weight of 4–8 per utterance, 95 % CI; means "
                         + ", ".join(f"{EMOTION_CODES[e]} {means.get(e, np.nan):+.3f}" for e in EMOTION_CODES) + f"; {note}"))
    emotions = ("anger", "happiness", "neutral")
    mag = {m: per_utterance(weights, m, emotions).loc[:, very_high].abs().mean(1) for m in MODELS}
    both = pd.concat(mag, axis=1, join="inner")
    r = compare(both["compare"], both["wav2vec2"], direction="<", paired=True, seed=seed, digits=3)
    rows.append(row("Fig 4 (iii) ComParE: components 5–8 ('>4 kHz') nearer zero than wav2vec2 (except sadness)", "yes",
                    r["this_run"], basis="paper text", agrees=r["agrees"], sampling_noise="yes",
                    note=f"mean |weight| of 5–8, ComParE minus wav2vec2 on the same utterance (A, H, N pooled), 95 % CI; {note}"))
    for model in MODELS:
        w = per_utterance(weights, model).abs()
        r = compare(w.loc[:, 8] - w.mean(1), direction="<", seed=seed, digits=3)
        rows.append(row(f"§V: the highest component (8) gets near-zero weight ({model})", "yes", r["this_run"],
                        basis="paper text", agrees=r["agrees"], sampling_noise="yes",
                        note=f"|weight of 8| minus the utterance's mean |weight|, 95 % CI; {note}"))
    # (i), (ii), (iii) and the wav2vec2 §V row are about (or compare with) the wav2vec2 model
    return [_about_model(r, "compare" if r["item"].endswith("(compare)") else "wav2vec2", stand_in, dataset) for r in rows]


def example_checks(example_weights: pd.DataFrame, stand_in: bool | str = False, dataset: str = "", seed: int = 0) -> list[dict]:
    """Figs 2/3 as their captions say (paper text): wav2vec2 favours high components for the
    happy example and low ones for the angry one; the ComParE model does not show the happy
    pattern (Fig 2b) and spreads its weights more evenly than wav2vec2 on the angry one (Fig 3b).

    One utterance each, so the CI resamples its 8 component weights: components 5–8 against
    1–4, and for 'more uniform' |w − mean w| of ComParE against wav2vec2, component by component.
    """
    from .verdicts import compare, row

    w = example_weights.set_index(["emotion", "model", "component"])["weight"].sort_index()
    low, high = [1, 2, 3, 4], [5, 6, 7, 8]
    where = "bootstrap over the 8 component weights of one utterance"
    rows = []
    happy_w2v, happy_compare = w.loc[("happiness", "wav2vec2")], w.loc[("happiness", "compare")]
    r = compare(happy_w2v.loc[high], happy_w2v.loc[low], direction=">", seed=seed, digits=3)
    rows.append(_about_model(row("Fig 2a: wav2vec2 gives the high components more weight (happiness)", "yes",
                                 r["this_run"], basis="paper text", agrees=r["agrees"], sampling_noise="yes",
                                 note=f"mean weight of 5–8 minus 1–4, {where}"), "wav2vec2", stand_in, dataset))
    r = compare(happy_compare.loc[high], happy_compare.loc[low], direction="<", seed=seed, digits=3)
    rows.append(row("Fig 2b: the ComParE model does not show that pattern (happiness)", "yes (pattern absent)",
                    r["this_run"], basis="paper text", agrees=r["agrees"], sampling_noise="yes",
                    note=f"mean weight of 5–8 minus 1–4, {where}; yes if below 0, no if above 0; "
                         "an interval across 0 fits 'absent' but cannot show it (unclear)"))
    angry_w2v, angry_compare = w.loc[("anger", "wav2vec2")], w.loc[("anger", "compare")]
    r = compare(angry_w2v.loc[low], angry_w2v.loc[high], direction=">", seed=seed, digits=3)
    rows.append(_about_model(row("Fig 3a: wav2vec2 gives the low components more weight (anger)", "yes",
                                 r["this_run"], basis="paper text", agrees=r["agrees"], sampling_noise="yes",
                                 note=f"mean weight of 1–4 minus 5–8, {where}"), "wav2vec2", stand_in, dataset))
    spread = {m: (v - v.mean()).abs() for m, v in (("compare", angry_compare), ("wav2vec2", angry_w2v))}
    r = compare(spread["compare"].to_numpy(), spread["wav2vec2"].to_numpy(), direction="<", paired=True, seed=seed, digits=3)
    rows.append(_about_model(row("Fig 3b: ComParE weights more uniform than wav2vec2 (anger)", "yes", r["this_run"],
                                 basis="paper text", agrees=r["agrees"], sampling_noise="yes",
                                 note=f"|w − mean w| ComParE minus wav2vec2, paired by component, {where}; "
                                      f"sd ComParE {angry_compare.std():.3f}, wav2vec2 {angry_w2v.std():.3f}"),
                             "wav2vec2", stand_in, dataset))
    return rows


def table1_checks(table1: pd.DataFrame, stand_in: bool | str = False, dataset: str = "", seed: int = 0) -> list[dict]:
    """The §V counts of accepted nulls (8/12, 9/24), takeaway (iv) and the cell-by-cell comparison.

    (iv) is decided by a bootstrap CI of (share accepted, model pairs) − (share accepted,
    dataset pairs); every Table I family involves the wav2vec2 model, so with the stand-in all
    rows are n/a.
    """
    from .verdicts import compare, row

    within = table1.family == "model vs model"
    rows = [row("model-vs-model nulls accepted (Table I, §V)", "8/12 (67 %)",
                f"{int(table1[within].accepted.sum())}/{int(within.sum())}", basis="paper text",
                note="a count, no test: it depends on corpora, models and sample size"),
            row("dataset-vs-dataset nulls accepted (Table I, §V)", "9/24 (38 %)",
                f"{int(table1[~within].accepted.sum())}/{int((~within).sum())}", basis="paper text",
                note="a count, no test")]
    if (~within).any() and within.any():
        r = compare(table1[within].accepted.astype(float), table1[~within].accepted.astype(float), direction=">", seed=seed)
        rows.append(row("Fig 4 (iv): more robust across models than across datasets", "yes (67 % vs 38 % accepted)",
                        f"{table1[within].accepted.mean():.0%} vs {table1[~within].accepted.mean():.0%}; difference {r['this_run']}",
                        basis="paper text", agrees=r["agrees"], sampling_noise="yes",
                        note="share of accepted nulls, model pairs minus dataset pairs, 95 % CI over Cramér tests"))
    else:
        rows.append(row("Fig 4 (iv): more robust across models than across datasets", "yes (67 % vs 38 % accepted)",
                        "not tested: one corpus, no dataset pairs", basis="paper text"))
    cells = table1[table1.paper_accepted.notna()]
    rows.append(row("Table I cells with the paper's accept/reject decision", f"{len(cells)} cells compared",
                    f"{int((cells.accepted == cells.paper_accepted.astype(bool)).sum())}/{len(cells)} agree",
                    basis="paper text", note="our corpora stand in for EDB, RV, IE by position; cell by cell in table1_cramer"))
    return [_about_model(r, "wav2vec2", stand_in, dataset) for r in rows]


def paper_vs_run_rows(weights: pd.DataFrame, examples: pd.DataFrame, table1: pd.DataFrame, uar_table: pd.DataFrame,
                      corpora: list, stand_in: bool | str, picks: dict, gt_summary: pd.DataFrame | None = None,
                      gt_dataset: str = "", gt_component: int | None = None, seed: int = 0) -> list[dict]:
    """Every row of the hjuler2025 paper-vs-run table, in the order of the paper's argument.

    `picks`: emotion → utterance of Figs 2–3; `gt_summary`: mean_rank and share_rank1 per
    model on the planted-band corpus `gt_dataset`, whose cue lies in component `gt_component`
    (1-based; None skips that row).
    Use with `helpers.plotting.paper_vs_run(rows, PAPER, table_dataset(corpora))`.
    """
    from . import emolime
    from .verdicts import row

    dataset = table_dataset(corpora)
    rows = table1_checks(table1, stand_in, dataset, seed)
    rows += takeaway_checks(weights, stand_in, dataset, seed)
    rows += example_checks(examples, stand_in, dataset, seed)
    for emotion, paper_w in PAPER_EXAMPLE_WEIGHTS.items():
        ours = examples[(examples.emotion == emotion) & (examples.model == "wav2vec2")].sort_values("component").weight
        rows.append(_about_model(row(
            f"wav2vec2 example weights, {emotion} (components 1→8)", " ".join(f"{w:+.2f}" for w in paper_w),
            " ".join(f"{w:+.2f}" for w in ours) + f" (Spearman {emolime.rank_agreement(paper_w, ours):+.2f})",
            basis="paper figure (read by eye)",
            note=f"{picks[emotion]}; the paper's weights are those printed in Fig {2 if emotion == 'happiness' else 3}"),
            "wav2vec2", stand_in, dataset))
    rows.append(_about_model(row("LOSO UAR of the six models", "not reported",
                                 "; ".join(f"{r.dataset}/{r.model} {r.uar:.2f}" for r in uar_table.itertuples()),
                                 basis="paper text", note="the paper reports no accuracy"), "wav2vec2", stand_in, dataset))
    if gt_summary is not None and len(gt_summary):
        rows.append(_about_model(row(
            "ground truth: rank of the planted band (1 best, chance 4.5)", "(not in paper)",
            "; ".join(f"{m} {r.mean_rank:.2f} (rank 1 in {r.share_rank1:.0%})" for m, r in gt_summary.iterrows()),
            basis="by construction", dataset=gt_dataset,
            note=f"the cue planted in component {gt_component} is known by construction; a check of EmoLIME, not of the paper"),
            "wav2vec2", stand_in, gt_dataset))
    return rows


def table_dataset(corpora: list) -> str:
    """The table-level `dataset` of the paper-vs-run table: the corpora, first in EmoDB's role."""
    return ", ".join(corpora)


# ---------------------------------------------------------------- figures


def draw_pipeline(ax) -> None:
    """Fig 1 as boxes and arrows: audio → 8 components → masks → audio → model → LIME → weights."""
    steps = ["audio\n(16 kHz)", "STFT, 8 spectral\ncomponents", "n on/off masks\n(p = 0.5, 1st all on)",
             "perturbed audio\n(original phase)", "black box: SVC on\nComParE | wav2vec2",
             "P(explained class)", "weighted ridge\n(LimeBase, α = 1)", "8 component\nweights"]
    for i, text in enumerate(steps):
        x = (i % 4) * 2.6
        y = 1.6 if i < 4 else 0.0
        ax.text(x if i < 4 else (3 - i % 4) * 2.6, y, text, ha="center", va="center", fontsize=8,
                bbox=dict(boxstyle="round", fc="#e8f0fe" if i not in (4,) else "#fde8e8", ec="grey"))
    from matplotlib.patches import FancyArrowPatch

    def arrow(start, end):
        ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=12, color="black", lw=1))

    for i in range(3):
        arrow((i * 2.6 + 0.75, 1.6), (i * 2.6 + 1.85, 1.6))
        arrow(((3 - i) * 2.6 - 0.75, 0.0), ((2 - i) * 2.6 + 0.75, 0.0))
    arrow((7.8, 1.2), (7.8, 0.4))
    ax.set(xlim=(-1.2, 9.0), ylim=(-0.7, 2.3))
    ax.axis("off")


def plot_example(ax, signal, weights, edges, title: str, sr: int = 16000) -> None:
    """Spectrogram (dB, linear Hz up to 8 kHz) with each component shaded by its weight."""
    import librosa

    spec = librosa.amplitude_to_db(np.abs(librosa.stft(signal, n_fft=1024, hop_length=256)), ref=np.max, top_db=80)
    freqs = librosa.fft_frequencies(sr=sr, n_fft=1024)
    duration = len(signal) / sr
    ax.imshow(spec, origin="lower", aspect="auto", cmap="gray_r", extent=(0, duration, 0, freqs[-1]), vmin=-80, vmax=0)
    scale = max(np.abs(weights).max(), 1e-9)
    for c, w in enumerate(weights):
        colour = "tab:green" if w > 0 else "tab:red"
        ax.axhspan(edges[c], edges[c + 1], color=colour, alpha=0.45 * abs(w) / scale, lw=0)
        ax.axhline(edges[c], color="black", lw=0.4)
        ax.text(duration * 0.98, (edges[c] + edges[c + 1]) / 2, f"{w:+.2f}", ha="right", va="center", fontsize=7,
                bbox=dict(fc="white", ec="none", alpha=0.7, pad=0.5))
    ax.set(title=title, xlabel="time (s)", ylabel="Hz (true component edges)", ylim=(0, edges[-1]))
    ax.set_yticks(np.round(edges).astype(int))


def plot_band_weights(axes, summary: pd.DataFrame, datasets: list, model_titles: dict) -> None:
    """Fig 4: rows = models, columns = emotions, mean ± sd per component, datasets as markers."""
    markers = ["o", "s", "^", "D", "v"]
    for r, model in enumerate(MODELS):
        for c, emotion in enumerate(EMOTION_CODES):
            ax = axes[r, c]
            for k, dataset in enumerate(datasets):
                part = summary[(summary.model == model) & (summary.emotion == emotion) & (summary.dataset == dataset)]
                ax.errorbar(part.component + (k - 1) * 0.15, part["mean"], yerr=part["sd"].fillna(0), fmt=markers[k % 5],
                            ms=4, capsize=2, lw=0.8, label=dataset)
            ax.axhline(0, color="grey", lw=0.6)
            ax.set_xticks(range(1, 9))
            ax.set_title(f"{model_titles[model].split(' (')[0]} · {emotion}", fontsize=8)
    axes[0, 0].legend(fontsize=7)
    axes[0, 0].figure.suptitle(f"mean ± sd of component weights; {model_titles['wav2vec2']}", fontsize=9)


# ---------------------------------------------------------------- exercises: a planted band moved elsewhere


def moved_band_table(lo_hz: float, hi_hz: float, max_speakers: int = 0, root=None) -> pd.DataFrame:
    """`synthetic-band` re-rendered with its cue in [lo_hz, hi_hz] Hz (four emotions), in a folder of
    its own (default: <data dir>/synthetic-band-<lo>-<hi>Hz), laid out like `load_table`'s output."""
    from .paths import data_dir as default_data_dir
    from .synthetic import ensure_corpus

    root = root or default_data_dir() / f"synthetic-band-{lo_hz:g}-{hi_hz:g}Hz"
    table = ensure_corpus(root=root, variant="synthetic-band", seed=0, emotions=list(EMOTIONS),
                          cue_band=(float(lo_hz), float(hi_hz)), progress=False)
    return _utterance_table(table.reset_index(drop=True), max_speakers)


def prepare_moved_band(lo_hz: float, hi_hz: float, featurizers: dict, seed: int, max_speakers: int = 0,
                       max_seconds: float = 0.0, root=None) -> DatasetRun:
    """`prepare_dataset` for the synthetic-band corpus with its planted band moved to [lo_hz, hi_hz]."""
    return _fit_run(f"synthetic-band {lo_hz:g}-{hi_hz:g} Hz", moved_band_table(lo_hz, hi_hz, max_speakers, root),
                    featurizers, seed, max_seconds)
