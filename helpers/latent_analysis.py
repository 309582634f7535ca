"""Das et al. 2022: outlier rule and scaling, linear SVCs on raw / PCA / UAE / DAE features,
10-fold CV with fixed transfer corpora, triads, latent-space analysis and DeepLIFT.

Datasets inside one run are named "train" (the training folds), "valid" (the held-out fold)
and the transfer corpora by name. Transfer corpora are only ever transformed and predicted:
no model, scaler or outlier statistic is fitted on them, except under
`scaling="per_corpus"`, where each corpus is standardised on its own statistics (the
paper's reading of §2 "Preprocessing"), which uses their features but never their labels.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.decomposition import PCA
from sklearn.metrics import accuracy_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from . import autoencoders as ae
from .errors import InvalidParameterError, check_choice
from .evaluation import confusion_table, mean_ci, speaker_folds, uar

EMOTIONS = ("neutral", "sadness", "happiness", "anger")  # Das 2022 §2: N, S, H, A
CODES = {"neutral": "N", "sadness": "S", "happiness": "H", "anger": "A"}
METHODS = ("raw", "pca", "uae", "dae")
METHOD_LABELS = {"raw": "SVC (raw)", "pca": "PCA", "uae": "UAE", "dae": "DAE"}
SCALINGS = ("train", "per_corpus")
FOLD_MODES = ("stratified", "speaker")
OUTLIER_Z = 10.0  # Das 2022 §2: drop samples with any |z| > 10
SVC_MAX_ITER = 20000  # our choice (sklearn's 1000 does not always converge on 88 features)
TRIADS = (("neutral", "sadness", "happiness"), ("neutral", "sadness", "anger"),
          ("neutral", "happiness", "anger"), ("sadness", "happiness", "anger"))


def triad_name(triad) -> str:
    return "-".join(CODES.get(e, e[:1].upper()) for e in triad)


# --- Outliers and standardisation ----------------------------------------------------------

class Preprocessor:
    """Das 2022 §2: samples with any |z| > threshold are outliers; the rest are standardised.

    `fit(X)` takes z-scores on X's own mean/std, flags outliers (`fit_keep_`), then fits the
    standardisation on the kept rows. `outliers(X)` applies the fitted first-pass statistics
    to other rows. Constant columns get std 1 (they stay 0 after centring)."""

    def __init__(self, threshold: float = OUTLIER_Z):
        if not threshold > 0:
            raise InvalidParameterError(f"outlier threshold must be > 0, got {threshold}")
        self.threshold = float(threshold)

    @staticmethod
    def _stats(X):
        sd = X.std(axis=0)
        return X.mean(axis=0), np.where(sd > 0, sd, 1.0)

    def fit(self, X):
        X = np.asarray(X, dtype=np.float64)
        self.z_mean_, self.z_std_ = self._stats(X)
        self.fit_keep_ = ~self.outliers(X)
        if not self.fit_keep_.any():
            raise ValueError("every sample is an outlier; check the features")
        self.mean_, self.std_ = self._stats(X[self.fit_keep_])
        return self

    def outliers(self, X) -> np.ndarray:
        z = (np.asarray(X, dtype=np.float64) - self.z_mean_) / self.z_std_
        return (np.abs(z) > self.threshold).any(axis=1)

    def transform(self, X) -> np.ndarray:
        return (np.asarray(X, dtype=np.float64) - self.mean_) / self.std_


@dataclass
class Corpus:
    """Features (n × 88), labels, speakers, and the row ids of the feature table."""

    X: np.ndarray
    y: np.ndarray
    groups: np.ndarray
    ids: np.ndarray
    extra: pd.DataFrame = field(default_factory=pd.DataFrame)

    @classmethod
    def from_frames(cls, meta: pd.DataFrame, feats: pd.DataFrame, extra_columns=()):
        meta = meta.loc[feats.index]
        cols = [c for c in extra_columns if c in meta]
        return cls(feats.to_numpy(np.float64), meta["emotion"].to_numpy(), meta["speaker"].astype(str).to_numpy(),
                   np.asarray(feats.index), meta[cols].reset_index(drop=True))

    def subset(self, mask) -> "Corpus":
        rows = np.arange(len(self.y))[np.asarray(mask)]  # boolean mask or positions
        extra = self.extra.iloc[rows].reset_index(drop=True) if len(self.extra.columns) else self.extra
        return Corpus(self.X[rows], self.y[rows], self.groups[rows], self.ids[rows], extra)

    def with_emotions(self, emotions) -> "Corpus":
        return self.subset(np.isin(self.y, list(emotions)))


def clean_per_corpus(corpus: Corpus, threshold: float = OUTLIER_Z) -> tuple[Corpus, int]:
    """`scaling="per_corpus"`: drop the corpus's own outliers and standardise it on its own
    statistics. Returns the cleaned corpus and the number of samples dropped."""
    prep = Preprocessor(threshold).fit(corpus.X)
    kept = corpus.subset(prep.fit_keep_)
    kept.X = prep.transform(kept.X)
    return kept, int((~prep.fit_keep_).sum())


# --- The four methods ------------------------------------------------------------------------

class MethodModel:
    """One of Das's four pipelines: a 2-D reducer (none / PCA / UAE / DAE) then a linear SVC.

    Our choices (paper silent): the reducer's output is standardised before the SVC;
    LinearSVC(C=1, max_iter=20000); PCA keeps 2 components like the autoencoders' latent."""

    def __init__(self, method: str, seed: int = 0, ae_config: ae.TrainConfig | None = None):
        check_choice("method", method, METHODS)
        self.method, self.seed = method, int(seed)
        self.ae_config = ae_config or ae.TrainConfig()
        self.reducer = None

    def fit(self, X, y):
        if self.method == "pca":
            self.reducer = PCA(n_components=2, random_state=self.seed).fit(X)
        elif self.method in ("uae", "dae"):
            config = ae.TrainConfig(**{**self.ae_config.__dict__, "kind": self.method})
            self.reducer, self.history = ae.train_autoencoder(X, config, seed=self.seed)
        self.svc = make_pipeline(StandardScaler(), LinearSVC(C=1.0, max_iter=SVC_MAX_ITER, random_state=self.seed))
        self.svc.fit(self.embed(X), y)
        return self

    def embed(self, X) -> np.ndarray:
        if self.method == "raw":
            return np.asarray(X, dtype=np.float64)
        if self.method == "pca":
            return self.reducer.transform(X)
        return ae.encode(self.reducer, X)

    def predict(self, X) -> np.ndarray:
        return self.svc.predict(self.embed(X))


def folds(corpus: Corpus, n_splits: int = 10, mode: str = "stratified", seed: int = 0) -> list:
    """Stratified shuffled seeded K-fold (Das 2022 §3: 10-fold CV), or speaker-grouped folds."""
    check_choice("fold_mode", mode, FOLD_MODES)
    if mode == "speaker":
        return list(speaker_folds(corpus.groups, n_splits))
    smallest = pd.Series(corpus.y).value_counts().min()
    if smallest < n_splits:
        raise InvalidParameterError(f"{n_splits}-fold CV needs ≥ {n_splits} samples per class; "
                                    f"the smallest class has {smallest}")
    splitter = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    return list(splitter.split(corpus.X, corpus.y))


@dataclass
class FoldResult:
    scores: list
    predictions: dict
    embeddings: dict
    models: dict
    data: dict


def run_fold(train: Corpus, valid: Corpus, transfers: dict, methods=METHODS, scaling: str = "train",
             seed: int = 0, ae_config=None, threshold: float = OUTLIER_Z) -> FoldResult:
    """Fit every method on `train`, score it on train / valid / each transfer corpus.

    scaling="train": outlier rule and standardisation fitted on the training fold only;
    flagged training rows are left out of fitting, evaluation rows are never dropped (a
    deployed model cannot refuse inputs; our choice). scaling="per_corpus": the corpora
    arrive already cleaned and standardised by `clean_per_corpus`."""
    check_choice("scaling", scaling, SCALINGS)
    sets = {"train": train, "valid": valid, **transfers}
    if scaling == "train":
        prep = Preprocessor(threshold).fit(train.X)
        sets["train"] = train.subset(prep.fit_keep_)
        sets = {name: Corpus(prep.transform(c.X), c.y, c.groups, c.ids, c.extra) for name, c in sets.items()}
    result = FoldResult([], {}, {}, {}, sets)
    fit_set = sets["train"]
    for method in methods:
        model = MethodModel(method, seed=seed, ae_config=ae_config).fit(fit_set.X, fit_set.y)
        result.models[method] = model
        for name, corpus in sets.items():
            if len(corpus.y) == 0:
                continue
            pred = model.predict(corpus.X)
            result.predictions[(method, name)] = pred
            if method in ("uae", "dae", "pca"):
                result.embeddings[(method, name)] = model.embed(corpus.X)
            result.scores.append({"method": method, "dataset": name, "uar": uar(corpus.y, pred),
                                  "accuracy": float(accuracy_score(corpus.y, pred)), "n": len(corpus.y)})
    return result


@dataclass
class CVResult:
    scores: pd.DataFrame
    kept_fold: int
    fold: FoldResult
    dropped: pd.DataFrame


def cross_validate(train: Corpus, transfers: dict | None = None, methods=METHODS, scaling: str = "train",
                   n_splits: int = 10, fold_mode: str = "stratified", seed: int = 0, ae_config=None,
                   threshold: float = OUTLIER_Z, keep_fold: int | None = None) -> CVResult:
    """K-fold CV on the training corpus; every fold's models also score the transfer corpora.

    Returns the per-fold scores and the full `FoldResult` of one fold (`keep_fold`, default
    a seeded random fold) for confusion matrices, latent plots and DeepLIFT."""
    check_choice("scaling", scaling, SCALINGS)
    for method in methods:
        check_choice("method", method, METHODS)
    transfers = dict(transfers or {})
    dropped = []
    if scaling == "per_corpus":
        train, n = clean_per_corpus(train, threshold)
        dropped.append({"dataset": "train corpus", "dropped": n, "kept": len(train.y)})
        for name in list(transfers):
            transfers[name], n = clean_per_corpus(transfers[name], threshold)
            dropped.append({"dataset": name, "dropped": n, "kept": len(transfers[name].y)})
    splits = folds(train, n_splits, fold_mode, seed)
    if keep_fold is None:
        keep_fold = int(np.random.default_rng(seed).integers(len(splits)))
    rows, kept = [], None
    for k, (tr, va) in enumerate(splits):
        fold = run_fold(train.subset(tr), train.subset(va), transfers, methods, scaling,
                        seed=seed * 1000 + k, ae_config=ae_config, threshold=threshold)
        rows += [{"fold": k, **row} for row in fold.scores]
        if scaling == "train":
            dropped.append({"dataset": f"train fold {k}", "dropped": len(tr) - len(fold.data["train"].y),
                            "kept": len(fold.data["train"].y)})
        if k == keep_fold:
            kept = fold
    return CVResult(pd.DataFrame(rows), keep_fold, kept, pd.DataFrame(dropped))


def summarise(scores: pd.DataFrame, metrics=("uar", "accuracy")) -> pd.DataFrame:
    """Mean and 95 % t-interval over folds per method × dataset (Das 2022 Fig. 2)."""
    rows = []
    for (method, dataset), part in scores.groupby(["method", "dataset"], sort=False):
        row = {"method": method, "dataset": dataset, "folds": len(part)}
        for metric in metrics:
            mean, low, high = mean_ci(part[metric])
            row.update({metric: mean, f"{metric}_low": low, f"{metric}_high": high})
        rows.append(row)
    return pd.DataFrame(rows)


def confusions(fold: FoldResult, method: str, labels) -> pd.DataFrame:
    """Long table of row-normalised confusion matrices of one method on every dataset of a fold."""
    parts = []
    for name, corpus in fold.data.items():
        if (method, name) in fold.predictions:
            table = confusion_table(corpus.y, fold.predictions[(method, name)], labels)
            long = table.stack().rename("fraction").reset_index()
            parts.append(long.assign(method=method, dataset=name))
    return pd.concat(parts, ignore_index=True)


def run_triads(train: Corpus, transfers: dict, seed: int = 0, triads=TRIADS, **kw):
    """Every method retrained on each 3-emotion subset (Das 2022 §3 'Analysing emotions in
    triads'). Returns (scores with a `triad` column, DAE confusions of the kept fold)."""
    scores, confs = [], []
    for triad in triads:
        sub = {name: c.with_emotions(triad) for name, c in transfers.items()}
        sub = {name: c for name, c in sub.items() if len(c.y)}
        cv = cross_validate(train.with_emotions(triad), sub, seed=seed, **kw)
        scores.append(cv.scores.assign(triad=triad_name(triad)))
        confs.append(confusions(cv.fold, "dae", list(triad)).assign(triad=triad_name(triad)))
    return pd.concat(scores, ignore_index=True), pd.concat(confs, ignore_index=True)


# --- Latent analysis --------------------------------------------------------------------------

def arousal_correlation(latent, arousal) -> pd.DataFrame:
    """Spearman ρ of each latent dimension with activation/arousal (order and sign of the
    dimensions are arbitrary, so the dimension with the largest |ρ| is the one to report)."""
    rows = []
    for d in range(latent.shape[1]):
        rho, p = stats.spearmanr(latent[:, d], arousal)
        rows.append({"dim": d + 1, "rho": float(rho), "abs_rho": abs(float(rho)), "p": float(p)})
    table = pd.DataFrame(rows)
    table["best"] = table.abs_rho == table.abs_rho.max()
    return table


def centroids(latent, labels, emotions) -> np.ndarray:
    labels = np.asarray(labels)
    return np.vstack([latent[labels == e].mean(axis=0) for e in emotions])


def procrustes_angle(reference, other) -> dict:
    """Rotation (degrees, counter-clockwise) that best maps `other`'s class-centroid layout
    onto `reference`'s after centring and scaling both to unit norm (proper rotations only,
    Kabsch), plus the residual disparity (0 = same layout up to rotation)."""
    a, b = (np.asarray(m, dtype=np.float64) for m in (reference, other))
    if a.shape != b.shape or a.shape[1] != 2:
        raise ValueError(f"need two equal k × 2 centroid layouts, got {a.shape} and {b.shape}")
    a, b = a - a.mean(axis=0), b - b.mean(axis=0)
    a, b = a / np.linalg.norm(a), b / np.linalg.norm(b)
    u, _, vt = np.linalg.svd(b.T @ a)
    d = np.sign(np.linalg.det(u @ vt)) or 1.0
    rotation = u @ np.diag([1.0, d]) @ vt  # row vectors: b @ rotation ≈ a
    disparity = float(((b @ rotation - a) ** 2).sum())
    return {"angle_deg": float(np.degrees(np.arctan2(rotation[0, 1], rotation[0, 0]))), "disparity": disparity}


# --- DeepLIFT per Table 1 group ------------------------------------------------------------

def neutral_reference(X, y, pred) -> tuple[np.ndarray, str]:
    """Das 2022 §3: the mean input of correctly classified neutral validation samples; falls
    back to all neutral validation samples when none is correct (the note says which)."""
    y, pred = np.asarray(y), np.asarray(pred)
    tp = (y == "neutral") & (pred == "neutral")
    if tp.any():
        return X[tp].mean(axis=0), f"mean of {int(tp.sum())} correctly classified neutral validation samples"
    if (y == "neutral").any():
        return X[y == "neutral"].mean(axis=0), "no neutral validation sample was correct: mean of all neutral ones"
    raise ValueError("no neutral sample in the validation set: DeepLIFT's reference is undefined")


def deeplift(model: ae.Autoencoder, X, reference) -> tuple[np.ndarray, np.ndarray]:
    """DeepLIFT (captum, rescale rule) of every latent unit: attributions (n × features × latent)
    and the completeness gap per sample and unit (Σ attributions − (f(x) − f(reference)))."""
    import warnings

    import torch
    from captum.attr import DeepLift

    x = torch.as_tensor(np.asarray(X, dtype=np.float32)).requires_grad_()
    base = torch.as_tensor(np.asarray(reference, dtype=np.float32)).reshape(1, -1).expand_as(x).contiguous()
    explainer = DeepLift(model.encoder)
    attrs, deltas = [], []
    with ae._Threads(ae.THREADS), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Setting forward, backward hooks")
        for unit in range(model.sizes[-1]):
            attr, delta = explainer.attribute(x, baselines=base, target=unit, return_convergence_delta=True)
            attrs.append(attr.detach().numpy().astype(np.float64))
            deltas.append(delta.detach().numpy().astype(np.float64))
    return np.stack(attrs, axis=2), np.stack(deltas, axis=1)


def group_attributions(attr, labels, feature_groups: pd.DataFrame, groups_order) -> pd.DataFrame:
    """Per sample, latent dim and Table 1 group: the mean attribution over the group's features
    (our choice: a mean, so MFCC's 16 columns do not outweigh one-column groups)."""
    group_of = feature_groups["group"].to_numpy()
    rows = []
    for g in groups_order:
        cols = group_of == g
        means = attr[:, cols, :].mean(axis=1)  # n × dims
        for d in range(attr.shape[2]):
            rows.append(pd.DataFrame({"sample": np.arange(len(labels)), "emotion": labels, "dim": f"dim {d + 1}",
                                      "group": g, "attribution": means[:, d]}))
    return pd.concat(rows, ignore_index=True)


def group_effect_sizes(X, y, feature_groups: pd.DataFrame, groups_order, emotions, reference="neutral"):
    """Ground truth for the ranking: per emotion and group, the mean |Cohen's d| of the group's
    features against the reference emotion (pooled std)."""
    y = np.asarray(y)
    ref = X[y == reference]
    group_of = feature_groups["group"].to_numpy()
    rows = []
    for e in emotions:
        if e == reference:
            continue
        cur = X[y == e]
        pooled = np.sqrt((ref.var(axis=0, ddof=1) + cur.var(axis=0, ddof=1)) / 2)
        d = np.abs(cur.mean(axis=0) - ref.mean(axis=0)) / np.where(pooled > 0, pooled, np.inf)
        rows += [{"emotion": e, "group": g, "effect_size": float(d[group_of == g].mean())} for g in groups_order]
    return pd.DataFrame(rows)


def ranking_agreement(group_attr: pd.DataFrame, effects: pd.DataFrame, top: int = 3) -> pd.DataFrame:
    """Per emotion: Spearman ρ between the groups' mean |attribution| (both dims) and their
    effect size, the top group of each, and how many of the top-`top` groups coincide."""
    importance = (group_attr.assign(a=group_attr.attribution.abs())
                  .groupby(["emotion", "group"], sort=False).a.mean().rename("importance").reset_index())
    rows = []
    for e, eff in effects.groupby("emotion", sort=False):
        merged = eff.merge(importance[importance.emotion == e], on=["emotion", "group"])
        if len(merged) < 3:
            continue
        rho = stats.spearmanr(merged.importance, merged.effect_size)[0]
        top_attr = merged.nlargest(top, "importance").group.tolist()
        top_eff = merged.nlargest(top, "effect_size").group.tolist()
        rows.append({"emotion": e, "spearman_rho": float(rho), "top_deeplift": top_attr[0], "top_effect": top_eff[0],
                     f"top{top}_overlap": len(set(top_attr) & set(top_eff)),
                     f"top{top}_deeplift": ", ".join(top_attr), f"top{top}_effect": ", ".join(top_eff)})
    return pd.DataFrame(rows)

