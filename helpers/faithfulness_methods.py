"""Each explainer of the five papers, run on a planted-cue corpus and graded by `helpers.faithfulness`.

Every function here reuses the paper's own helper (probing, latent_analysis, emolime,
gradcam, saliency) for the model and the explanation, and only adds the grading: which
region or unit was planted, the scores, deletion/insertion curves and the
parameter-randomisation test. All return a `Benchmark`.

Models are trained on one half of the speakers and explain files of the other half
(speaker-grouped, so an explanation is never of a file the model memorised).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import faithfulness as fa

FAMILY_EMOTIONS = ("anger", "happiness", "sadness", "boredom")  # one per eGeMAPS family (synthetic.EMOTION_FAMILY)
MAP_EMOTIONS = ("neutral", "anger", "sadness", "happiness")  # the classes of the map-based models


@dataclass
class Benchmark:
    """One explainer on one cue type: per-item scores, perturbation curves, randomisation test."""

    method: str
    paper: str
    cue_type: str  # family / band / time
    question: str
    scores: pd.DataFrame  # item, emotion, metric, value, chance
    curves: pd.DataFrame = field(default_factory=pd.DataFrame)  # fa.curves_for rows + item
    sanity: pd.DataFrame = field(default_factory=pd.DataFrame)  # item, test, similarity
    accuracy: float = float("nan")  # the explained model's accuracy on held-out speakers
    chance_accuracy: float = float("nan")
    notes: str = ""

    def __post_init__(self):
        if len(self.curves):
            self.curves = fa.normalise_curves(self.curves)

    def tagged(self, frame: pd.DataFrame) -> pd.DataFrame:
        return frame.assign(method=self.method, paper=self.paper, cue_type=self.cue_type)


SCORE_COLUMNS = ["item", "emotion", "metric", "value", "chance"]


def balanced_subset(positions, labels, n: int) -> np.ndarray:
    """At most n of `positions`, taken round-robin over their labels (0 = all), in sorted order."""
    positions, labels = np.asarray(positions), np.asarray(labels)
    if not n or len(positions) <= n:
        return positions
    queues = [list(positions[labels == label]) for label in sorted(set(labels))]
    chosen = []
    while len(chosen) < n:
        for queue in queues:
            if queue and len(chosen) < n:
                chosen.append(queue.pop(0))
    return np.sort(np.array(chosen))


def speaker_halves(speakers) -> tuple[np.ndarray, np.ndarray]:
    """Row positions of the first and second half of the sorted speakers (train, explain)."""
    speakers = np.asarray(speakers).astype(str)
    names = np.unique(speakers)
    if len(names) < 2:
        raise ValueError(f"need at least two speakers to hold some out, got {len(names)}")
    first = set(names[: len(names) // 2])
    in_first = np.array([s in first for s in speakers])
    return np.flatnonzero(in_first), np.flatnonzero(~in_first)


SPLITS = ("random", "speaker")


def split_rows(meta: pd.DataFrame, split: str = "random", seed: int = 0, explain_fraction: float = 0.3):
    """(train, explain) row positions: a stratified random split (Nasr's protocol; the model
    may have heard other takes of the speaker) or held-out speakers (`speaker_halves`)."""
    from sklearn.model_selection import train_test_split

    from .errors import check_choice

    check_choice("split", split, SPLITS)
    if split == "speaker":
        return speaker_halves(meta.speaker)
    positions = np.arange(len(meta))
    train, explain = train_test_split(positions, test_size=explain_fraction, stratify=meta.emotion, random_state=seed)
    return np.sort(train), np.sort(explain)


def score_rows(item: int, emotion: str, relevance, region, chance_point: float | None = None) -> list[dict]:
    """Normalised mass and pointing game of one map (or one vector over units) against its planted region."""
    region = np.asarray(region, dtype=bool)
    share = fa.region_share(region)
    return [dict(item=item, emotion=emotion, metric="normalised mass", value=fa.normalised_mass(relevance, region), chance=0.0),
            dict(item=item, emotion=emotion, metric="pointing game", value=fa.pointing_game(relevance, region),
                 chance=share if chance_point is None else chance_point)]


def rank_row(item: int, emotion: str, unit_scores, truth: int) -> dict:
    return dict(item=item, emotion=emotion, metric="rank score", value=fa.rank_score(unit_scores, truth), chance=0.5)


def family_scores(importance, categories, order) -> np.ndarray:
    """Mean importance of each family's features (a mean, so big families do not win by size)."""
    categories = np.asarray(categories)
    return np.array([np.mean(np.asarray(importance)[categories == c]) for c in order])


# ------------------------------------------------------------------ family cues (eGeMAPS)

@dataclass
class FamilyData:
    meta: pd.DataFrame
    z: np.ndarray  # speaker-z-scored eGeMAPS functionals (files × 88)
    categories: np.ndarray  # Dixit category of each feature
    order: tuple  # the family order used for rankings


def load_family_data(data_dir=None, seed: int = 0, takes: int = 4, n_speakers: int = 10) -> FamilyData:
    """synthetic-family (one eGeMAPS family per emotion), eGeMAPS functionals z-scored per speaker."""
    from . import features, probing
    from .synthetic import FAMILIES

    meta = load_corpus("synthetic-family", data_dir, seed, takes, n_speakers, ("neutral", *FAMILY_EMOTIONS))
    egemaps = features.extract(meta, show_progress=False)
    meta = meta.loc[egemaps.index].reset_index(drop=True)
    z = probing.speaker_zscore(egemaps.reset_index(drop=True), meta.speaker).to_numpy()
    return FamilyData(meta, z, features.egemaps_families().category.to_numpy(), tuple(FAMILIES))


def _randomised_logreg(model, rng):
    """A copy of a fitted logistic regression with weights drawn at random (same scale)."""
    import copy

    random_model = copy.deepcopy(model)
    random_model.coef_ = rng.normal(0.0, model.coef_.std() or 1.0, model.coef_.shape)
    return random_model


def shap_egemaps(data: FamilyData, seed: int = 0, n_random: int = 3, C: float = 1.0) -> Benchmark:
    """Dixit 2024: linear SHAP of an emotion-vs-neutral logistic regression on eGeMAPS.
    Question: which feature family carries the emotion?"""
    from .probing import linear_shap, logreg

    rng = np.random.default_rng(seed)
    train, explain = speaker_halves(data.meta.speaker)
    labels = data.meta.emotion.to_numpy()
    scores, curves, sanity, correct = [], [], [], []
    for emotion in FAMILY_EMOTIONS:
        rows = lambda part: part[np.isin(labels[part], ("neutral", emotion))]
        fit_rows, test_rows = rows(train), rows(explain)
        model = logreg(data.z[fit_rows], (labels[fit_rows] == emotion).astype(int), C)
        correct.append(model.predict(data.z[test_rows]) == (labels[test_rows] == emotion))
        background = data.z[fit_rows]
        random_model = _randomised_logreg(model, rng)
        predict = lambda batch: model.predict_proba(np.asarray(batch))[:, 1]
        planted = data.meta.cue_family.iloc[test_rows[labels[test_rows] == emotion][0]]
        truth, region = data.order.index(planted), data.categories == planted
        for i in test_rows[labels[test_rows] == emotion]:
            values = linear_shap(model, data.z[i:i + 1], background)[0]
            scores += score_rows(int(i), emotion, np.abs(values), region)
            scores.append(rank_row(int(i), emotion, family_scores(np.abs(values), data.categories, data.order), truth))
            curves.append(fa.curves_for(predict, data.z[i], background.mean(axis=0), np.arange(len(values)), values,
                                        rng, n_random).assign(item=int(i)))
            shuffled = linear_shap(random_model, data.z[i:i + 1], background)[0]
            sanity.append(dict(item=int(i), test="weights randomised", similarity=fa.rank_similarity(np.abs(values), np.abs(shuffled))))
    return Benchmark("SHAP (eGeMAPS, logistic regression)", "dixit2024", "family", "which eGeMAPS family?",
                     pd.DataFrame(scores), pd.concat(curves, ignore_index=True), pd.DataFrame(sanity),
                     float(np.mean(np.concatenate(correct))), 0.5,
                     "emotion vs neutral per emotion; linear SHAP = w·(x − μ) with the training rows as background")


def information_increase(data: FamilyData, seed: int = 0, embedding_model: str = "tiny-wavlm", n_folds: int = 3) -> Benchmark:
    """Dixit 2024 probing: information increase of every eGeMAPS feature when predicted from
    the top SHAP dims of an embedding. Question: which family is encoded in the top dims?
    Not an attribution of one prediction, so it has no deletion/insertion curve; its
    randomisation test permutes the labels that choose the top dims."""
    from . import embeddings, probing

    embedded = embeddings.embed_files(data.meta, model_name=embedding_model, progress=False)
    kept = embedded.index
    emb_z = probing.speaker_zscore(embedded.reset_index(drop=True), data.meta.speaker.loc[kept]).to_numpy()
    z, meta = data.z[kept], data.meta.loc[kept].reset_index(drop=True)
    tasks, _ = probing.build_tasks(meta, FAMILY_EMOTIONS, seed, n_folds, n_folds)
    rng = np.random.default_rng(seed)
    scores, sanity, f1 = [], [], []
    for item, (emotion, task) in enumerate(tasks.items()):
        planted = meta.cue_family[task.rows[task.y == 1][0]]
        region, truth = data.categories == planted, data.order.index(planted)
        result = probing.analyse_task(task, z, emb_z, n_folds, n_folds)
        gain = np.nan_to_num(result.probing.info_increase.to_numpy(), nan=0.0)
        scores += score_rows(item, emotion, gain, region)
        scores.append(rank_row(item, emotion, family_scores(gain, data.categories, data.order), truth))
        permuted = probing.Task(emotion, task.rows, rng.permutation(task.y), task.groups)
        control = np.nan_to_num(probing.analyse_task(permuted, z, emb_z, n_folds, n_folds).probing.info_increase.to_numpy(), nan=0.0)
        sanity.append(dict(item=item, test="labels permuted", similarity=fa.rank_similarity(gain, control)))
        f1.append(result.embedding.f1 / 100)
    stand_in = " (random-init stand-in)" if embedding_model in embeddings.TINY_MODELS else ""
    return Benchmark(f"information increase ({embedding_model}{stand_in})", "dixit2024", "family",
                     "which family is encoded in the top embedding dims?", pd.DataFrame(scores),
                     sanity=pd.DataFrame(sanity), accuracy=float(np.mean(f1)) if f1 else np.nan, chance_accuracy=0.5,
                     notes="one item per emotion; accuracy column holds the embedding classifier's F1")


def deeplift_dae(data: FamilyData, seed: int = 0, n_random: int = 3, epochs: int = 50) -> Benchmark:
    """Das 2022: DeepLIFT of the denoising autoencoder's 2-D latent against the neutral
    reference; the model score for the curves is the linear SVC's decision value on the latent."""
    from . import autoencoders as ae
    from . import latent_analysis as la

    rng = np.random.default_rng(seed)
    train, explain = speaker_halves(data.meta.speaker)
    labels = data.meta.emotion.to_numpy()
    pipeline = la.MethodModel("dae", seed=seed, ae_config=ae.TrainConfig(epochs=epochs)).fit(data.z[train], labels[train])
    reference, _ = la.neutral_reference(data.z[train], labels[train], pipeline.predict(data.z[train]))
    predicted = pipeline.predict(data.z[explain])
    classes = list(pipeline.svc.classes_)
    targets = explain[np.isin(labels[explain], FAMILY_EMOTIONS)]
    attr, _ = la.deeplift(pipeline.reducer, data.z[targets], reference)
    import torch

    torch.manual_seed(seed + 1000)
    untrained = ae.Autoencoder(data.z.shape[1], pipeline.reducer.sizes[1:-1], pipeline.reducer.sizes[-1]).eval()
    random_attr, _ = la.deeplift(untrained, data.z[targets], reference)
    scores, curves, sanity = [], [], []
    for row, i in enumerate(targets):
        emotion, planted = labels[i], data.meta.cue_family.iloc[i]
        relevance = np.abs(attr[row]).sum(axis=1)  # both latent dims
        region, truth = data.categories == planted, data.order.index(planted)
        scores += score_rows(int(i), emotion, relevance, region)
        scores.append(rank_row(int(i), emotion, family_scores(relevance, data.categories, data.order), truth))
        column = classes.index(emotion)
        predict = lambda batch, c=column: pipeline.svc.decision_function(pipeline.embed(np.asarray(batch)))[:, c]
        signed = attr[row] @ (pipeline.svc[-1].coef_[column] / pipeline.svc[0].scale_)  # towards the class
        curves.append(fa.curves_for(predict, data.z[i], reference, np.arange(data.z.shape[1]), signed, rng, n_random).assign(item=int(i)))
        sanity.append(dict(item=int(i), test="weights re-initialised",
                           similarity=fa.rank_similarity(relevance, np.abs(random_attr[row]).sum(axis=1))))
    return Benchmark("DeepLIFT (denoising autoencoder)", "das2022", "family", "which feature group?",
                     pd.DataFrame(scores), pd.concat(curves, ignore_index=True), pd.DataFrame(sanity),
                     float(np.mean(predicted == labels[explain])), 1 / len(classes),
                     "relevance = |attribution| summed over both latent dims; curves order features by the "
                     "attribution signed towards the class's SVC direction")


# ------------------------------------------------------------------ corpora with planted regions

def load_corpus(variant: str, data_dir=None, seed: int = 0, takes: int = 4, n_speakers: int = 10,
                emotions=MAP_EMOTIONS) -> pd.DataFrame:
    """A synthetic variant in its own folder (<data dir>/faithfulness/<variant>-seed…-takes…-speakers…),
    so these sizes never regenerate another notebook's copy."""
    from . import paths, synthetic

    root = paths.data_dir(data_dir) / "faithfulness" / f"{variant}-seed{seed}-takes{takes}-speakers{n_speakers}"
    meta = synthetic.ensure_corpus(root=root, variant=variant, seed=seed, takes=takes, n_speakers=n_speakers,
                                   emotions=list(emotions), progress=False)
    return meta.sort_values("path").reset_index(drop=True)


def train_val_split(labels, seed: int, fraction: float = 0.2) -> tuple[np.ndarray, np.ndarray]:
    """Positions of a stratified (fit, validation) split of one set of training files."""
    from sklearn.model_selection import train_test_split

    positions = np.arange(len(labels))
    return tuple(np.sort(p) for p in train_test_split(positions, test_size=fraction, stratify=labels, random_state=seed))


def planted_region(cue_type: str, row, frame_times_s, bin_freqs_hz, n_valid: int, offset_s: float = 0.0) -> np.ndarray:
    """(bins, n_valid) mask of a spectrogram's cells inside the planted window (time) or band."""
    times = np.asarray(frame_times_s)[:n_valid] + offset_s
    freqs = np.asarray(bin_freqs_hz)
    if cue_type == "time":
        inside = (times >= row.cue_start_s) & (times < row.cue_end_s)
        return np.broadcast_to(inside[None, :], (len(freqs), n_valid)).copy()
    inside = (freqs >= row.cue_lo_hz) & (freqs < row.cue_hi_hz)
    return np.broadcast_to(inside[:, None], (len(freqs), n_valid)).copy()


def spectrogram_units(cue_type: str, shape, n_valid: int, n_units: int) -> np.ndarray:
    """Unit id of every cell: equal spans of the valid frames (time cue) or of the bins (band
    cue, valid frames only); padding is −1, never perturbed."""
    n_bins, n_frames = shape
    units = np.full(shape, -1, dtype=int)
    if cue_type == "time":
        units[:, :n_valid] = np.minimum(np.arange(n_valid) * n_units // n_valid, n_units - 1)[None, :]
    else:
        units[:, :n_valid] = np.minimum(np.arange(n_bins) * n_units // n_bins, n_units - 1)[:, None]
    return units


def grade_maps(benchmark_rows, maps, random_maps, meta, targets, regions, valid, units, inputs, baseline, predict,
               rng, n_random: int, test: str):
    """Scores, curves and the randomisation similarity for a stack of 2-D maps (shared by the map methods)."""
    scores, curves, sanity = benchmark_rows
    for row, i in enumerate(targets):
        emotion, region, n_valid = meta.emotion.iloc[i], regions[row], valid[row]
        if not region.any() or region.all():  # the planted cue fell outside what the model saw
            continue
        relevance = np.asarray(maps[row], dtype=np.float64)
        scores += score_rows(int(i), emotion, relevance[:, :n_valid], region)
        shaped = relevance.reshape(np.shape(units[row]))
        curves.append(fa.curves_for(predict[row], inputs[row], baseline[row], units[row], shaped, rng, n_random).assign(item=int(i)))
        sanity.append(dict(item=int(i), test=test, similarity=fa.rank_similarity(
            relevance[:, :n_valid], np.asarray(random_maps[row], dtype=np.float64)[:, :n_valid])))


def gradcam_cqt(meta: pd.DataFrame, cue_type: str, seed: int = 0, split: str = "random", filters=(8, 16, 32), epochs: int = 40,
                patience: int = 10, n_units: int = 12, n_random: int = 3, hop_length: int = 512, max_items: int = 0) -> Benchmark:
    """Smietanka & Maka 2023: Grad-CAM of SimpleNet's last conv layer on CQT-96 (Keras),
    upscaled to the input; graded on correctly classified emotional files of held-out speakers."""
    from . import gradcam, simplenet
    from . import smietanka_data as sd
    from .spectrograms import cqt_frequencies

    classes = sorted(meta.emotion.unique())
    y = meta.emotion.map(classes.index).to_numpy()
    inputs = sd.build_inputs(meta.path, hop_length=hop_length)
    train, explain = split_rows(meta, split, seed)
    fit, val = (train[p] for p in train_val_split(y[train], seed))
    mean, std = sd.normaliser(inputs.log_db, inputs.n_valid, fit)
    x = sd.network_input(inputs.log_db, mean, std)
    simplenet.seed_tf(seed)
    model = simplenet.build_simplenet(len(classes), x.shape[1:], filters)
    simplenet.train(model, x[fit], y[fit], x[val], y[val], epochs, 16, patience)
    predicted = simplenet.predict(model, x[explain]).argmax(axis=1)
    targets = explain[(predicted == y[explain]) & (meta.emotion.to_numpy()[explain] != "neutral")]
    targets = balanced_subset(targets, meta.emotion.to_numpy()[targets], max_items)
    maps = gradcam.upscale(gradcam.grad_cam(model, x[targets], y[targets]), x.shape[1:3])
    simplenet.seed_tf(seed + 1000)
    untrained = simplenet.build_simplenet(len(classes), x.shape[1:], filters)
    random_maps = gradcam.upscale(gradcam.grad_cam(untrained, x[targets], y[targets]), x.shape[1:3])
    times, freqs = np.arange(x.shape[2]) * hop_length / sd.CQT_SR, cqt_frequencies()
    valid = [int(inputs.n_valid[i]) for i in targets]
    regions = [planted_region(cue_type, meta.iloc[i], times, freqs, v) for i, v in zip(targets, valid)]
    units = [spectrogram_units(cue_type, x.shape[1:3], v, n_units)[..., None] for v in valid]
    floor = (sd.LOG_FLOOR_DB - mean) / std
    predictors = [lambda b, c=int(y[i]): simplenet.predict(model, np.asarray(b, dtype=np.float32))[:, c] for i in targets]
    out = ([], [], [])
    grade_maps(out, maps, random_maps, meta, targets, regions, valid, units, x[targets], [floor] * len(targets),
               predictors, np.random.default_rng(seed), n_random, "weights re-initialised")
    return Benchmark("Grad-CAM (SimpleNet, CQT-96)", "smietanka2023", cue_type, "where in time and frequency?",
                     pd.DataFrame(out[0], columns=SCORE_COLUMNS), pd.concat(out[1], ignore_index=True) if out[1] else pd.DataFrame(),
                     pd.DataFrame(out[2]), float(np.mean(predicted == y[explain])), 1 / len(classes),
                     f"filters {tuple(filters)}; curves perturb {n_units} {'time spans' if cue_type == 'time' else 'bin groups'} to the padding floor")


def resnet_maps(meta: pd.DataFrame, cue_type: str, seed: int = 0, split: str = "random", epochs: int = 40, patience: int = 15,
                lr: float = 1e-3, n_mels: int = 32,
                n_units: int = 12, n_random: int = 3, clip_s: float = 2.0, max_items: int = 0) -> list[Benchmark]:
    """Nasr 2025: occlusion (captum) and CRP (zennit-crp) of a small ResNet on log-Mel; one
    trained model, both explainers, graded like Grad-CAM. Occlusion patches follow the cue
    type: 10-frame spans × all bins for time, n_mels/8-bin bands × all frames for band."""
    import torch
    from scipy.special import softmax

    from . import resnet, saliency
    from .audio import load_audio

    torch.set_num_threads(1)
    classes = sorted(meta.emotion.unique())
    y = meta.emotion.map(classes.index).to_numpy()
    clips = [saliency.preprocess(load_audio(p, sr=16000), clip_s=clip_s, n_mels=n_mels) for p in meta.path]
    x = np.stack([c.spectrogram for c in clips])
    train, explain = split_rows(meta, split, seed)
    fit, val = (train[p] for p in train_val_split(y[train], seed))
    model = resnet.train(x[fit], y[fit], x[val], y[val], len(classes), epochs=epochs, patience=patience, lr=lr, seed=seed).model
    predicted = resnet.predict(model, x[explain]).argmax(axis=1)
    targets = explain[(predicted == y[explain]) & (meta.emotion.to_numpy()[explain] != "neutral")]
    targets = balanced_subset(targets, meta.emotion.to_numpy()[targets], max_items)
    torch.manual_seed(seed + 1000)
    untrained = resnet.SmallResNet(len(classes)).eval()
    band = max(1, n_mels // 8)
    patch = dict(window=(None, 10), stride=(None, 5)) if cue_type == "time" else dict(window=(band, x.shape[2]), stride=(band, x.shape[2]))
    import librosa

    times = np.arange(x.shape[2]) * saliency.HOP_LENGTH / 16000
    freqs = librosa.mel_frequencies(n_mels + 2, fmin=0.0, fmax=8000.0)[1:-1]
    valid = [clips[i].n_valid_frames for i in targets]
    regions = [planted_region(cue_type, meta.iloc[i], times, freqs, v, clips[i].offset / 16000) for i, v in zip(targets, valid)]
    units = [spectrogram_units(cue_type, x.shape[1:], v, n_units) for v in valid]
    baselines = [x[i].min() for i in targets]
    predictors = [lambda b, c=int(y[i]): softmax(resnet.predict(model, np.asarray(b)), axis=1)[:, c] for i in targets]
    results = []
    for name, explain_with in (("occlusion", lambda m: saliency.occlusion_maps(m, x[targets], y[targets], **patch)),
                               ("CRP", lambda m: saliency.crp_maps(m, x[targets], y[targets])[0])):
        maps, random_maps = (explain_with(m) if len(targets) else np.zeros((0,) + x.shape[1:]) for m in (model, untrained))
        out = ([], [], [])
        grade_maps(out, maps, random_maps, meta, targets, regions, valid, units, x[targets], baselines, predictors,
                   np.random.default_rng(seed), n_random, "weights re-initialised")
        results.append(Benchmark(f"{name} (ResNet, log-Mel)", "nasr2025", cue_type,
                                 "which time windows?" if cue_type == "time" else "which frequency band?",
                                 pd.DataFrame(out[0], columns=SCORE_COLUMNS), pd.concat(out[1], ignore_index=True) if out[1] else pd.DataFrame(),
                                 pd.DataFrame(out[2]), float(np.mean(predicted == y[explain])), 1 / len(classes),
                                 f"{n_mels} Mel bands, {clip_s} s clips; occlusion patch {patch['window']}"))
    return results


def emolime_bands(meta: pd.DataFrame, seed: int = 0, n_perturbations: int = 32, feature_set: str = "eGeMAPSv02",
                  bands: str = "mel", max_seconds: float = 1.5, n_random: int = 3, max_items: int = 0) -> Benchmark:
    """Hjulér 2025 EmoLIME: LIME over 8 spectral components of the audio, an SVC on openSMILE
    functionals. Question: which band? The curves switch whole components off (STFT masking)."""
    from . import emolime
    from . import emolime_models as em

    classes = sorted(meta.emotion.unique())
    labels = meta.emotion.to_numpy()
    signals = em.load_signals(meta.path, max_seconds=max_seconds)
    X = em.functionals(signals, feature_set=feature_set)
    train, explain = speaker_halves(meta.speaker)
    model = em.make_svc(seed).fit(X[train], labels[train])
    permuted = em.make_svc(seed).fit(X[train], np.random.default_rng(seed).permutation(labels[train]))
    predicted = model.predict(X[explain])
    targets = explain[(predicted == labels[explain]) & (labels[explain] != "neutral")]
    targets = balanced_subset(targets, labels[targets], max_items)
    edges = emolime.band_edges(bands)
    masks = emolime.lime_masks(n_perturbations)
    rng = np.random.default_rng(seed)
    scores, curves, sanity = [], [], []
    for i in targets:
        column = classes.index(labels[i])
        proba = lambda signals_, m=model: m.predict_proba(em.functionals(list(signals_), feature_set=feature_set))[:, column]
        audio = emolime.perturbations(signals[i], masks, bands=bands)
        features_ = em.functionals(list(audio), feature_set=feature_set)
        weights = emolime.explain_scores(masks, model.predict_proba(features_)[:, column]).weights
        control = emolime.explain_scores(masks, permuted.predict_proba(features_)[:, column]).weights
        truth = emolime.component_of_band(meta.cue_lo_hz.iloc[i], meta.cue_hi_hz.iloc[i], edges)
        region = np.arange(len(weights)) == truth
        scores += score_rows(int(i), labels[i], weights, region)
        scores.append(rank_row(int(i), labels[i], weights, truth))
        predict = lambda batch, s=signals[i], p=proba: p(emolime.perturbations(s, np.asarray(batch).astype(int), bands=bands))
        curves.append(fa.curves_for(predict, np.ones(len(weights)), 0.0, np.arange(len(weights)), weights, rng, n_random).assign(item=int(i)))
        sanity.append(dict(item=int(i), test="labels permuted (model retrained)", similarity=fa.rank_similarity(weights, control)))
    return Benchmark(f"EmoLIME ({feature_set} SVC, {bands} bands)", "hjuler2025", "band", "which spectral band?",
                     pd.DataFrame(scores, columns=SCORE_COLUMNS), pd.concat(curves, ignore_index=True) if curves else pd.DataFrame(),
                     pd.DataFrame(sanity), float(np.mean(predicted == labels[explain])), 1 / len(classes),
                     f"{n_perturbations} perturbations per utterance; first {max_seconds} s of each file")
