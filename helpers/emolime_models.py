"""The two black boxes EmoLIME explains (Hjulér et al. 2025, §III): SVCs with probability
outputs on ComParE_2016 functionals and on mean-pooled wav2vec2 last hidden states, trained
leave-one-speaker-out; each utterance is explained by the fold model that never saw its speaker.

Our additions (the paper is silent): features are standardised inside each fold
(`StandardScaler`), and the SVC is linear (the paper says "linear SVC") with
`probability=True` and a fixed `random_state` so Platt scaling is reproducible.
Features of in-memory signals (crops and perturbations) are cached by a hash of the samples.
"""
from __future__ import annotations

import hashlib
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import features
from .cache import FeatureCache
from .errors import InvalidParameterError

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
    """(n, n_features) openSMILE functionals of in-memory signals, extracted in parallel threads.

    One cache entry per call (keyed by the samples), so a rerun with the same perturbations
    reads them back instead of recomputing.
    """
    store = FeatureCache(enabled=cache)
    key = _digest(signals, f"{feature_set}:{sr}:{features._version()}")
    hit = store.get(f"emolime-{feature_set}", key)
    if hit is not None:
        return hit.values
    with ThreadPoolExecutor(max_workers=n_jobs or features.default_jobs()) as pool:
        rows = list(pool.map(lambda x: features.functionals_of_signal(x, sr, feature_set), signals))
    values = np.vstack(rows) if rows else np.empty((0, features.N_FUNCTIONALS[feature_set]))
    store.put(f"emolime-{feature_set}", key, values)
    return values


@dataclass
class Featurizer:
    """signals → feature matrix, for one model family ('compare' or 'wav2vec2')."""

    name: str
    model: object = None
    extractor: object = None
    batch_size: int = 16

    def __call__(self, signals) -> np.ndarray:
        if self.name == "compare":
            return functionals(signals)
        from .embeddings import embed_signals

        return embed_signals(signals, self.model, self.extractor, batch_size=self.batch_size).astype(np.float64)


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
