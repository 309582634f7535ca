"""Each explainer of the five papers, run on a planted-cue corpus and graded by `helpers.faithfulness`.

Every function here reuses the paper's own helper (probing, latent_analysis, emolime,
gradcam, saliency) for the model and the explanation, and only adds the grading: which
region or unit was planted, the scores of the trained model's explanations and of the same
explainer on a randomised model (the null), deletion/insertion curves with the neutral twin
as the removed state, and the randomisation tests. Each function runs one training seed and
returns a `Benchmark`; `run_seeds` runs several and adds the similarity between the
explanations of two independently trained seeds (the reference of the randomisation test).

Every model is trained on one half of the speakers and explains files of the other half
(`speaker_halves`: both halves hold both genders), so no explanation is of a speaker the
model heard, and all compared models share one split. "Independently trained" means another initialisation for the
networks, and another seeded 80 % of the training files for every model (the convex ones,
logistic regression and SVC, would otherwise give the same model for every seed).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import embeddings, memo, memory
from . import faithfulness as fa

FAMILY_EMOTIONS = ("anger", "happiness", "sadness", "boredom")  # one per eGeMAPS family (synthetic.EMOTION_FAMILY)
MAP_EMOTIONS = ("neutral", "anger", "sadness", "happiness")  # the classes of the map-based models
FAMILY_SHIFT_SD = 0.5  # a feature "moves" when it differs from the twin by more than this many pooled sd
FAMILY_SHIFT_FRACTION = 0.5  # a file's family region: features moved by at least this share of its largest shift
TRAINED, RANDOMISED = "trained", "randomised"
N_NULL = 5  # randomised models per training seed: the null of a file is the mean of their scores


class Draws(tuple):
    """The maps of one file by several randomised models. One random draw is a noisy null: the
    same explainer on another random model can score anywhere from chance to near the trained
    model (SHAP's rank score: 0.66 to 0.89 over three seeds), so every score of a file's null
    is the mean over its draws."""

    def map(self, function) -> "Draws":
        return Draws(function(d) for d in self)


def null_seed(seed: int, draw: int) -> int:
    """Initialisation seed of a randomised network: draw 0 is seed + 1000 as before; later draws
    step by 100, so no two (training seed, draw) pairs share one while there are < 100 seeds."""
    return int(seed) + 1000 + 100 * int(draw)


def as_draws(value) -> Draws:
    """`value` itself when it is already `Draws`, else the one map as a single draw."""
    return value if isinstance(value, Draws) else Draws((value,))


def mean_over_draws(maps: dict, rows_of) -> list[dict]:
    """rows_of(model, map) for every model in `maps`; a `Draws` entry is scored draw by draw and
    each row's value averaged (the rows of every draw come in the same order)."""
    rows = []
    for model, relevance in maps.items():
        per_draw = [rows_of(model, d) for d in as_draws(relevance)]
        rows += [dict(r, value=float(np.mean([part[j]["value"] for part in per_draw]))) for j, r in enumerate(per_draw[0])]
    return rows


def null_similarities(trained, randomised, magnitude=None, randomised_magnitude=None) -> dict:
    """`fa.similarities` of the trained map with each randomised draw, averaged over the draws
    where ρ is defined (a random network's map can be constant, e.g. all zeros after Grad-CAM's
    ReLU); NaN only when it is undefined for every draw."""
    draws = as_draws(randomised)
    magnitudes = as_draws(randomised_magnitude) if randomised_magnitude is not None else (None,) * len(draws)
    each = [fa.similarities(trained, d, magnitude, m) for d, m in zip(draws, magnitudes)]
    return {key: _defined_mean([e[key] for e in each]) for key in each[0]}


def _defined_mean(values) -> float:
    values = np.asarray(values, dtype=np.float64)
    return float(values[np.isfinite(values)].mean()) if np.isfinite(values).any() else float("nan")


@dataclass
class Benchmark:
    """One explainer on one cue type, over one or more training seeds: per-file scores of the
    trained and of the randomised model, perturbation curves, randomisation tests, the model's
    held-out predictions."""

    method: str
    paper: str
    cue_type: str  # family / band / time
    question: str
    scores: pd.DataFrame  # seed, item, speaker, emotion, model, metric, value, chance
    curves: pd.DataFrame = field(default_factory=pd.DataFrame)  # fa.curves_for rows + seed, item, speaker, emotion
    sanity: pd.DataFrame = field(default_factory=pd.DataFrame)  # seed, item, speaker, test, rho_signed, rho_abs
    predictions: pd.DataFrame = field(default_factory=pd.DataFrame)  # seed, item, speaker, correct (held-out files)
    chance_accuracy: float = float("nan")
    relevance_form: str = "signed"  # which form of the map the location metrics grade: signed or abs
    notes: str = ""
    maps: dict = field(default_factory=dict, repr=False)  # (seed, item) → graded map, for the between-seeds ρ
    null_draws: int = 1  # randomised models per training seed behind each file's null score

    def __post_init__(self):
        if len(self.curves) and "normalised" not in self.curves:
            self.curves = fa.normalise_curves(self.curves)

    @property
    def accuracy(self) -> float:
        return float(self.predictions.correct.mean()) if len(self.predictions) else float("nan")

    def tagged(self, frame: pd.DataFrame) -> pd.DataFrame:
        return frame.assign(method=self.method, paper=self.paper, cue_type=self.cue_type)


SCORE_COLUMNS = ["seed", "item", "speaker", "emotion", "model", "metric", "value", "chance"]


def between_seed_rows(maps: dict, speakers: dict) -> list[dict]:
    """ρ (signed, abs) between the explanations of one file by models of consecutive seeds
    (cyclically when there are more than two), for files both explained."""
    seeds = sorted({s for s, _ in maps})
    pairs = list(zip(seeds, seeds[1:] + seeds[:1]))[: len(seeds) if len(seeds) > 2 else 1] if len(seeds) > 1 else []
    rows = []
    for first, second in pairs:
        for item in sorted(i for s, i in maps if s == first and (second, i) in maps):
            a, b = maps[(first, item)], maps[(second, item)]
            rho = fa.similarities(*a[:1], *b[:1], a[1], b[1]) if isinstance(a, tuple) else fa.similarities(a, b)
            rows.append(dict(seed=first, item=item, speaker=speakers.get(item, ""), test=fa.BETWEEN_SEEDS_TEST, **rho))
    return rows


def combine(parts: list[Benchmark]) -> Benchmark:
    """One Benchmark from the per-seed runs of one method: frames concatenated, plus the
    between-seeds similarity rows."""
    first = parts[0]
    frames = {name: pd.concat([getattr(p, name) for p in parts if len(getattr(p, name))], ignore_index=True)
              if any(len(getattr(p, name)) for p in parts) else pd.DataFrame()
              for name in ("scores", "curves", "sanity", "predictions")}
    maps = {k: v for p in parts for k, v in p.maps.items()}
    speakers = dict(zip(frames["scores"].item, frames["scores"].speaker)) if len(frames["scores"]) else {}
    between = pd.DataFrame(between_seed_rows(maps, speakers))
    sanity = pd.concat([frames["sanity"], between], ignore_index=True) if len(between) else frames["sanity"]
    return Benchmark(first.method, first.paper, first.cue_type, first.question, frames["scores"], frames["curves"],
                     sanity, frames["predictions"], first.chance_accuracy, first.relevance_form, first.notes,
                     null_draws=first.null_draws)


def run_seeds(function, seeds, *args, first_only=("cascade",), **kwargs):
    """`function(*args, seed=s, **kwargs)` for every seed, combined per method (a function may
    return one Benchmark or a list of them, e.g. occlusion and CRP of one ResNet). Keyword
    arguments named in `first_only` (the costly cascading test) are passed to the first seed only.
    Each seed's run goes through the result cache (`helpers.memo`): a rerun with the same data,
    arguments and code reads it back instead of retraining; `cache` (an in-memory speed-up) is
    not part of the key."""
    later = {k: False for k in first_only if k in kwargs}
    runs = []
    for j, s in enumerate(seeds):
        runs.append(memo.call(function, *args, seed=int(s), ignore=("cache",), **(kwargs if j == 0 else {**kwargs, **later})))
        memory.release()  # the seed's models are gone: hand their memory back before the next
    if isinstance(runs[0], Benchmark):
        return combine(runs)
    return [combine([run[j] for run in runs]) for j in range(len(runs[0]))]


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


def speaker_halves(speakers, genders=None) -> tuple[np.ndarray, np.ndarray]:
    """Row positions of two speaker-disjoint halves (train, explain): the sorted speakers of
    each gender are dealt alternately, so both halves hold both genders. (Splitting the sorted
    list in the middle put every female voice in training and every male one in the explained
    half, a confound the time-cue models could not learn across.)"""
    speakers = np.asarray(speakers).astype(str)
    genders = np.full(len(speakers), "", dtype=object) if genders is None else np.asarray(genders).astype(str)
    names = np.unique(speakers)
    if len(names) < 2:
        raise ValueError(f"need at least two speakers to hold some out, got {len(names)}")
    gender_of = {name: genders[speakers == name][0] for name in names}
    ordered = sorted(names, key=lambda name: (gender_of[name], name))
    first = set(ordered[0::2])
    in_first = np.array([s in first for s in speakers])
    return np.flatnonzero(in_first), np.flatnonzero(~in_first)


def seeded_fit_rows(train, labels, seed: int, fraction: float = 0.8) -> np.ndarray:
    """A seeded, stratified `fraction` of the training rows: what one training seed fits on."""
    fit, _ = train_val_split(np.asarray(labels)[train], seed, 1 - fraction)
    return np.asarray(train)[fit]


def twin_positions(meta: pd.DataFrame) -> np.ndarray:
    """Row position of each file's neutral twin (same speaker and take, emotion neutral); −1 if absent."""
    keys = list(zip(meta["speaker"], meta["take"]))  # meta.take would be DataFrame.take
    neutral = {key: i for i, (key, e) in enumerate(zip(keys, meta["emotion"])) if e == "neutral"}
    return np.array([neutral.get(key, -1) for key in keys])


def twin_shift(z, meta: pd.DataFrame, twins) -> np.ndarray:
    """(files × features) emotional − twin difference in pooled-sd units (sd pooled over the
    file's emotion and neutral); NaN rows for neutral files and files without a twin."""
    z, twins = np.asarray(z, dtype=np.float64), np.asarray(twins)
    emotions = meta.emotion.to_numpy()
    shift = np.full(z.shape, np.nan)
    neutral_var = z[emotions == "neutral"].var(axis=0, ddof=1)
    for emotion in sorted(set(emotions) - {"neutral"}):
        rows = np.flatnonzero((emotions == emotion) & (twins >= 0))
        pooled = np.sqrt((z[emotions == emotion].var(axis=0, ddof=1) + neutral_var) / 2)
        shift[rows] = (z[rows] - z[twins[rows]]) / np.where(pooled > 0, pooled, np.nan)
    return shift


def shift_region(shift_row, fraction: float = FAMILY_SHIFT_FRACTION, threshold: float = FAMILY_SHIFT_SD) -> np.ndarray:
    """The features a file's cue moved most: |shift| at least `fraction` of the file's largest
    |shift| and above `threshold` pooled sd (NaN counts as not moved). Speaker z-scoring makes
    within-class spreads small, so most features clear a fixed 0.5 sd; the relative cut keeps
    the ones that carry the cue."""
    shift = np.nan_to_num(np.abs(np.asarray(shift_row, dtype=np.float64)), nan=0.0)
    return (shift > threshold) & (shift >= fraction * shift.max())


def score_rows(item: int, emotion: str, relevance, region, chance_point: float | None = None) -> list[dict]:
    """Normalised mass and pointing game of one map (or one vector over units) against its planted region."""
    region = np.asarray(region, dtype=bool)
    share = fa.region_share(region)
    mass = fa.normalised_mass(relevance, region)
    mass = 0.0 if np.isnan(mass) else mass  # no positive relevance anywhere: nothing located, chance (0)
    return [dict(item=item, emotion=emotion, metric="normalised mass", value=mass, chance=0.0),
            dict(item=item, emotion=emotion, metric="pointing game", value=fa.pointing_game(relevance, region),
                 chance=share if chance_point is None else chance_point)]


def rank_row(item: int, emotion: str, unit_scores, truth: int) -> dict:
    return dict(item=item, emotion=emotion, metric="rank score", value=fa.rank_score(unit_scores, truth), chance=0.5)


def item_rows(seed: int, item: int, speaker: str, emotion: str, maps: dict, region, ranker=None) -> list[dict]:
    """Scores of one file's explanation by each model in `maps` ({"trained": …, "randomised": …},
    a `Draws` scored as the mean over its maps); `ranker(map)` → (unit scores, planted unit)
    adds the rank score."""
    def rows_of(model, relevance):
        part = score_rows(item, emotion, relevance, region)
        if ranker is not None:
            part.append(rank_row(item, emotion, *ranker(relevance)))
        return [dict(r, seed=seed, speaker=speaker, model=model) for r in part]

    return mean_over_draws(maps, rows_of)


def prediction_rows(seed: int, rows, speakers, correct) -> pd.DataFrame:
    return pd.DataFrame(dict(seed=seed, item=np.asarray(rows, dtype=int), speaker=np.asarray(speakers).astype(str),
                             correct=np.asarray(correct, dtype=float)))


def family_scores(importance, categories, order) -> np.ndarray:
    """Mean importance of each family's features (a mean, so big families do not win by size)."""
    categories = np.asarray(categories)
    return np.array([np.mean(np.asarray(importance)[categories == c]) for c in order])


def unit_ranker(units, region):
    """Rank-score helper for maps: units ranked by summed relevance; the planted unit is the
    one holding most of the region's cells."""
    units, region = np.asarray(units), np.asarray(region, dtype=bool)
    truth = int(np.argmax(np.bincount(units[region & (units >= 0)], minlength=int(units.max()) + 1)))
    return lambda relevance: (fa.unit_relevance(relevance, units), truth)


# ------------------------------------------------------------------ family cues (eGeMAPS)

@dataclass
class FamilyData:
    meta: pd.DataFrame
    z: np.ndarray  # speaker-z-scored eGeMAPS functionals (files × 88)
    categories: np.ndarray  # Dixit category of each feature
    order: tuple  # the family order used for rankings
    twins: np.ndarray = None  # row of each file's neutral twin
    shift: np.ndarray = None  # twin differences in pooled-sd units (`twin_shift`)

    def __post_init__(self):
        if self.twins is None:
            self.twins = twin_positions(self.meta)
        if self.shift is None:
            self.shift = twin_shift(self.z, self.meta, self.twins)

    def region(self, row: int) -> np.ndarray:
        """The features this file's cue moved (`shift_region`): the family ground truth per file."""
        return shift_region(self.shift[row])

    def truth(self, row: int) -> int:
        return self.order.index(self.meta.cue_family.iloc[row])


def load_family_data(data_dir=None, seed: int = 0, takes: int = 4, n_speakers: int = 10) -> FamilyData:
    """synthetic-family (one eGeMAPS family per emotion), eGeMAPS functionals z-scored per speaker."""
    from . import features, probing
    from .synthetic import FAMILIES

    meta = load_corpus("synthetic-family", data_dir, seed, takes, n_speakers, ("neutral", *FAMILY_EMOTIONS))
    egemaps = features.extract(meta, show_progress=False)
    meta = meta.loc[egemaps.index].reset_index(drop=True)
    z = probing.speaker_zscore(egemaps.reset_index(drop=True), meta.speaker).to_numpy()
    return FamilyData(meta, z, features.egemaps_families().category.to_numpy(), tuple(FAMILIES))


def family_leak_table(data: FamilyData, threshold: float = FAMILY_SHIFT_SD) -> pd.DataFrame:
    """Per emotion × family: how many of the family's features move more than `threshold`
    pooled sd from the twin (median over the emotion's files), how many fall in the files'
    regions (`shift_region`, median count), and the family's largest median shift."""
    rows = []
    for emotion in FAMILY_EMOTIONS:
        shift = np.abs(data.shift[(data.meta.emotion == emotion).to_numpy()])
        planted = data.meta.cue_family[data.meta.emotion == emotion].iloc[0]
        for family in data.order:
            cols = data.categories == family
            median = np.nanmedian(shift[:, cols], axis=0)
            in_region = np.median([data.region(i)[cols].sum() for i in np.flatnonzero(data.meta.emotion == emotion)])
            rows.append(dict(emotion=emotion, planted=planted, family=family, features=int(cols.sum()),
                             moved=int((median > threshold).sum()), in_region=float(in_region),
                             largest_shift=float(np.nanmax(median))))
    return pd.DataFrame(rows)


def _randomised_logreg(model, rng):
    """A copy of a fitted logistic regression with weights drawn at random (same scale)."""
    import copy

    random_model = copy.deepcopy(model)
    random_model.coef_ = rng.normal(0.0, model.coef_.std() or 1.0, model.coef_.shape)
    return random_model


def _family_item(data: FamilyData, seed: int, i: int, trained, randomised, relevance_of, signed_of=None) -> tuple[list, dict]:
    """Score rows and the randomisation similarity of one family file (relevance_of: map → graded
    magnitude; signed_of: map → signed relevance per feature, default the map itself;
    `randomised` one map or the `Draws` of several randomised models)."""
    signed_of = signed_of or (lambda m: m)
    ranker = lambda r: (family_scores(r, data.categories, data.order), data.truth(i))
    randomised = as_draws(randomised)
    rows = item_rows(seed, int(i), data.meta.speaker.iloc[i], data.meta.emotion.iloc[i],
                     {TRAINED: relevance_of(trained), RANDOMISED: randomised.map(relevance_of)}, data.region(i), ranker)
    sanity = dict(seed=seed, item=int(i), speaker=data.meta.speaker.iloc[i], test=fa.RANDOMISED_TEST,
                  **null_similarities(signed_of(trained), randomised.map(signed_of), relevance_of(trained),
                                      randomised.map(relevance_of)))
    return rows, sanity


def shap_egemaps(data: FamilyData, seed: int = 0, n_random: int = 3, C: float = 1.0, n_null: int = N_NULL) -> Benchmark:
    """Dixit 2024: linear SHAP of an emotion-vs-neutral logistic regression on eGeMAPS.
    Question: which feature family carries the emotion? Graded on |SHAP|."""
    from .probing import linear_shap, logreg

    rng = np.random.default_rng(seed)
    null_rng = np.random.default_rng([seed, 1])  # draws after the first: the curves' random orders stay as they were
    train, explain = speaker_halves(data.meta.speaker, data.meta.get("gender"))
    labels = data.meta.emotion.to_numpy()
    scores, curves, sanity, predictions, maps = [], [], [], [], {}
    for emotion in FAMILY_EMOTIONS:
        rows = lambda part: part[np.isin(labels[part], ("neutral", emotion))]
        fit_rows, test_rows = seeded_fit_rows(rows(train), labels, seed), rows(explain)
        model = logreg(data.z[fit_rows], (labels[fit_rows] == emotion).astype(int), C)
        predictions.append(prediction_rows(seed, test_rows, data.meta.speaker.iloc[test_rows],
                                           model.predict(data.z[test_rows]) == (labels[test_rows] == emotion)))
        background = data.z[fit_rows]
        random_models = [_randomised_logreg(model, rng)] + [_randomised_logreg(model, null_rng) for _ in range(n_null - 1)]
        predict = lambda batch, m=model: m.predict_proba(np.asarray(batch))[:, 1]
        for i in test_rows[labels[test_rows] == emotion]:
            values = linear_shap(model, data.z[i:i + 1], background)[0]
            shuffled = Draws(linear_shap(m, data.z[i:i + 1], background)[0] for m in random_models)
            rows_, sane = _family_item(data, seed, i, values, shuffled, np.abs)
            scores += rows_
            sanity.append(sane)
            maps[(seed, int(i))] = values
            curves.append(fa.curves_for(predict, data.z[i], data.z[data.twins[i]], np.arange(len(values)), np.abs(values),
                                        rng, n_random).assign(seed=seed, item=int(i), speaker=data.meta.speaker.iloc[i],
                                                              emotion=emotion))
    return Benchmark("SHAP (eGeMAPS, logistic regression)", "dixit2024", "family", "which eGeMAPS family?",
                     pd.DataFrame(scores, columns=SCORE_COLUMNS), pd.concat(curves, ignore_index=True),
                     pd.DataFrame(sanity), pd.concat(predictions, ignore_index=True), 0.5, "abs",
                     "emotion vs neutral per emotion; linear SHAP = w·(x − μ) with the fitted rows as background; "
                     f"null: the mean over {n_null} draws of random weights of the same scale", maps, null_draws=n_null)


RANDOM_COPIES = embeddings.RANDOM_COPIES  # pretrained embedding model → the same network with random weights


def embedding_short_label(name: str) -> str:
    """The embedding model as the information-increase row names it: short, and saying what it is."""
    return embeddings.model_label(name, short=True)


@memo.cached()
def information_increase(data: FamilyData, seed: int = 0, embedding_model: str = "ge2e", n_folds: int = 3) -> Benchmark:
    """Dixit 2024 probing: information increase of every eGeMAPS feature when predicted from
    the top SHAP dims of an embedding. Question: which family is encoded in the top dims?
    Not an attribution of one prediction, so it has no deletion/insertion curve. Its null is
    the same analysis (same tasks, folds and probes) on the embedding model's random-init
    copy (`RANDOM_COPIES`, seeded by `seed`) when it has one, i.e. when the model is
    pretrained; otherwise (a random-init stand-in, whose weights are random already) the
    labels that choose the top dims are permuted. One item per emotion; the 'correct' column
    of its predictions holds the embedding classifier's F1."""
    from . import probing

    embedded = embeddings.embed_files(data.meta, model_name=embedding_model, progress=False, seed=seed)
    copy = RANDOM_COPIES.get(embedding_model)
    if copy is not None:
        random_copy = embeddings.embed_files(data.meta, model_name=copy, progress=False, seed=seed)
        kept = embedded.index.intersection(random_copy.index)
    else:
        kept = embedded.index
    speakers = data.meta.speaker.loc[kept]
    emb_z = probing.speaker_zscore(embedded.loc[kept].reset_index(drop=True), speakers).to_numpy()
    random_z = probing.speaker_zscore(random_copy.loc[kept].reset_index(drop=True), speakers).to_numpy() \
        if copy is not None else None
    z, meta = data.z[kept], data.meta.loc[kept].reset_index(drop=True)
    tasks, _ = probing.build_tasks(meta, FAMILY_EMOTIONS, seed, n_folds, n_folds)
    rng = np.random.default_rng(seed)
    scores, sanity, f1, maps = [], [], [], {}
    for item, (emotion, task) in enumerate(tasks.items()):
        planted = meta.cue_family[task.rows[task.y == 1][0]]
        emotional = task.rows[task.y == 1]
        region = shift_region(np.nanmedian(np.abs(data.shift[np.asarray(kept)[emotional]]), axis=0))
        result = probing.analyse_task(task, z, emb_z, n_folds, n_folds)
        gain = np.nan_to_num(result.probing.info_increase.to_numpy(), nan=0.0)
        if copy is not None:
            null = probing.analyse_task(task, z, random_z, n_folds, n_folds)
        else:
            permuted = probing.Task(emotion, task.rows, rng.permutation(task.y), task.groups)
            null = probing.analyse_task(permuted, z, emb_z, n_folds, n_folds)
        control = np.nan_to_num(null.probing.info_increase.to_numpy(), nan=0.0)
        ranker = lambda r: (family_scores(r, data.categories, data.order), data.order.index(planted))
        scores += item_rows(seed, item, "all", emotion, {TRAINED: gain, RANDOMISED: control}, region, ranker)
        sanity.append(dict(seed=seed, item=item, speaker="all", test=fa.RANDOMISED_TEST, **fa.similarities(gain, control)))
        maps[(seed, item)] = gain
        f1.append(result.embedding.f1 / 100)
    null_text = f"the same analysis on {copy} (random weights)" if copy is not None else "permuted labels"
    return Benchmark(f"information increase ({embedding_short_label(embedding_model)})", "dixit2024", "family",
                     "which family is encoded in the top embedding dims?", pd.DataFrame(scores, columns=SCORE_COLUMNS),
                     sanity=pd.DataFrame(sanity), predictions=prediction_rows(seed, range(len(f1)), ["all"] * len(f1), f1),
                     chance_accuracy=0.5, notes="one item per emotion (its region: features whose median twin shift "
                     f"exceeds the threshold); accuracy = the embedding classifier's F1; null: {null_text}", maps=maps)


def _reinitialise_top(trained, untrained, k: int, part: str | None = None):
    """Cascading randomisation: a copy of `trained` whose top k weight layers (of the submodule
    `part`, e.g. an autoencoder's encoder) come from `untrained`."""
    import copy

    import torch

    model = copy.deepcopy(trained)
    weighted = lambda m: [x for x in (getattr(m, part) if part else m).modules()
                          if isinstance(x, (torch.nn.Linear, torch.nn.Conv2d))][::-1]
    layers, fresh = weighted(model), weighted(untrained)
    for mine, theirs in zip(layers[:k], fresh[:k]):
        mine.load_state_dict(theirs.state_dict())
    return model


def deeplift_dae(data: FamilyData, seed: int = 0, n_random: int = 3, epochs: int = 50, cascade: bool = True,
                 n_null: int = N_NULL) -> Benchmark:
    """Das 2022: DeepLIFT of the denoising autoencoder's 2-D latent against the neutral
    reference; the model score for the curves is the linear SVC's decision value on the latent.
    Graded on |attribution| summed over both latent dims; the cascading test re-initialises
    the encoder's layers from the top, one more at each step."""
    import torch

    from . import autoencoders as ae
    from . import latent_analysis as la

    rng = np.random.default_rng(seed)
    train, explain = speaker_halves(data.meta.speaker, data.meta.get("gender"))
    labels = data.meta.emotion.to_numpy()
    pipeline = la.MethodModel("dae", seed=seed, ae_config=ae.TrainConfig(epochs=epochs)).fit(data.z[train], labels[train])
    reference, _ = la.neutral_reference(data.z[train], labels[train], pipeline.predict(data.z[train]))
    predicted = pipeline.predict(data.z[explain])
    classes = list(pipeline.svc.classes_)
    targets = explain[np.isin(labels[explain], FAMILY_EMOTIONS)]
    attributions_of = lambda model: la.deeplift(model, data.z[targets], reference)[0]  # (files, features, latent)
    graded = lambda raw: np.abs(raw).sum(axis=-1)
    raw = attributions_of(pipeline.reducer)
    attr = graded(raw)
    def fresh(draw):
        torch.manual_seed(null_seed(seed, draw))
        return ae.Autoencoder(data.z.shape[1], pipeline.reducer.sizes[1:-1], pipeline.reducer.sizes[-1]).eval()

    untrained = fresh(0)
    random_raws = [attributions_of(untrained)] + [attributions_of(fresh(k)) for k in range(1, n_null)]
    n_layers = len(pipeline.reducer.sizes) - 1
    cascade_raw = {k: attributions_of(_reinitialise_top(pipeline.reducer, untrained, k, "encoder")) for k in range(1, n_layers)} if cascade else {}
    scores, curves, sanity, maps = [], [], [], {}
    for row, i in enumerate(targets):
        emotion, speaker = labels[i], data.meta.speaker.iloc[i]
        column = classes.index(emotion)
        direction = pipeline.svc[-1].coef_[column] / pipeline.svc[0].scale_  # the class's SVC direction in the latent
        signed = lambda r, d=direction: r @ d  # signed relevance per feature, towards the class (rotation-free)
        rows_, sane = _family_item(data, seed, i, raw[row], Draws(r[row] for r in random_raws), graded, signed)
        scores += rows_
        sanity.append(sane)
        sanity += [dict(seed=seed, item=int(i), speaker=speaker, test=f"cascade: top {k} of {n_layers} encoder layers",
                        **fa.similarities(signed(raw[row]), signed(cascade_raw[k][row]), attr[row], graded(cascade_raw[k][row])))
                   for k in cascade_raw]
        maps[(seed, int(i))] = (signed(raw[row]), attr[row])
        predict = lambda batch, c=column: pipeline.svc.decision_function(pipeline.embed(np.asarray(batch)))[:, c]
        curves.append(fa.curves_for(predict, data.z[i], data.z[data.twins[i]], np.arange(data.z.shape[1]), attr[row], rng,
                                    n_random).assign(seed=seed, item=int(i), speaker=speaker, emotion=emotion))
    return Benchmark("DeepLIFT (denoising autoencoder)", "das2022", "family", "which feature group?",
                     pd.DataFrame(scores, columns=SCORE_COLUMNS), pd.concat(curves, ignore_index=True), pd.DataFrame(sanity),
                     prediction_rows(seed, explain, data.meta.speaker.iloc[explain], predicted == labels[explain]),
                     1 / len(classes), "abs", "graded relevance = |attribution| summed over both latent dims; signed ρ on the attribution "
                     "projected on the class's SVC direction (latent dims of two seeds are not aligned); null: the mean over "
                     f"{n_null} re-initialised autoencoders (same SVC direction)", maps, null_draws=n_null)


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


@dataclass
class MapRun:
    """What grading a stack of 2-D maps needs, per explained file (shared by the map methods)."""

    seed: int
    meta: pd.DataFrame
    targets: np.ndarray  # explained rows
    regions: list  # (bins, n_valid) planted masks
    valid: list  # valid frames per file
    units: list  # unit id of every cell (input's shape)
    inputs: np.ndarray  # the model inputs of the targets
    baselines: list  # the neutral twin's input: the "removed" state of the curves
    predictors: list  # batch → score of the file's class
    n_random: int = 3
    cue_type: str = "band"
    freqs_hz: np.ndarray | None = None  # centre frequency of each bin (the maps' first axis)
    times_s: list | None = None  # per target: time of each valid frame in the file (s)

    def pooled_rows(self, row: int, item: int, maps: dict) -> list[dict]:
        """The pooled mass of each map in `maps` on the shared Hz × time grid (`fa.pool_to_grid`)."""
        if self.freqs_hz is None or self.times_s is None:
            return []
        target = self.meta.iloc[int(item)]
        lo, hi = ((target.cue_start_s, target.cue_end_s) if self.cue_type == "time" else (target.cue_lo_hz, target.cue_hi_hz))
        edges, times = fa.grid_band_edges(), self.times_s[row]
        region = fa.grid_region(self.cue_type, lo, hi, edges, times)
        if not region.any() or region.all():
            return []
        pool = lambda relevance: fa.pool_to_grid(relevance, self.freqs_hz, times, edges)
        grids = {model: as_draws(relevance).map(pool) for model, relevance in maps.items()}
        return pooled_mass_rows(self.seed, target, item, grids, region)


def pooled_mass_rows(seed: int, target, item: int, grids: dict, region) -> list[dict]:
    """One pooled-mass score row per model from its map on the shared grid ({model: grid}, or the
    `Draws` of several randomised models' grids: their mean)."""
    def rows_of(model, grid):
        value = fa.normalised_mass(grid, region)
        return [dict(seed=seed, item=int(item), speaker=str(target.speaker), emotion=target.emotion, model=model,
                     metric=fa.POOLED_METRIC, value=0.0 if np.isnan(value) else value, chance=0.0)]

    return mean_over_draws(grids, rows_of)


def grade_maps(run: MapRun, maps, random_maps: list, cascades: dict | None = None):
    """Scores of trained and randomised maps (`random_maps`: one stack per randomised model, the
    null being their mean), curves in the trained map's order, and the randomisation
    similarities (full and cascading) for one explainer on one seed."""
    rng = np.random.default_rng(run.seed)
    scores, curves, sanity, kept = [], [], [], {}
    for row, i in enumerate(run.targets):
        emotion, speaker, region, n_valid = run.meta.emotion.iloc[i], run.meta.speaker.iloc[i], run.regions[row], run.valid[row]
        if not region.any() or region.all():  # the planted cue fell outside what the model saw
            continue
        crop = lambda m: np.asarray(m, dtype=np.float64).reshape(np.shape(run.units[row])[:2])[:, :n_valid]
        ranker = unit_ranker(np.reshape(run.units[row], crop(maps[row]).shape[:1] + (-1,))[:, :n_valid], region)
        trained, randomised = crop(maps[row]), Draws(crop(stack[row]) for stack in random_maps)
        scores += item_rows(run.seed, int(i), speaker, emotion, {TRAINED: trained, RANDOMISED: randomised}, region, ranker)
        scores += run.pooled_rows(row, int(i), {TRAINED: trained, RANDOMISED: randomised})
        shaped = np.asarray(maps[row], dtype=np.float64).reshape(np.shape(run.units[row]))
        curves.append(fa.curves_for(run.predictors[row], run.inputs[row], run.baselines[row], run.units[row], shaped, rng,
                                    run.n_random).assign(seed=run.seed, item=int(i), speaker=speaker, emotion=emotion))
        sanity.append(dict(seed=run.seed, item=int(i), speaker=speaker, test=fa.RANDOMISED_TEST,
                           **null_similarities(trained, randomised)))
        sanity += [dict(seed=run.seed, item=int(i), speaker=speaker, test=f"cascade: {name}",
                        **fa.similarities(trained, crop(stack[row]))) for name, stack in (cascades or {}).items()]
        kept[(run.seed, int(i))] = trained
    return (pd.DataFrame(scores, columns=SCORE_COLUMNS), pd.concat(curves, ignore_index=True) if curves else pd.DataFrame(),
            pd.DataFrame(sanity), kept)


def _keras_cascade(model, untrained, k: int):
    """A copy of a Keras model whose top k weight layers carry `untrained`'s weights."""
    import keras

    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    layers = [layer for layer in copy.layers if layer.get_weights()][::-1]
    for layer in layers[:k]:
        layer.set_weights(untrained.get_layer(layer.name).get_weights())
    return copy


@memory.releases_keras_models
def gradcam_cqt(meta: pd.DataFrame, cue_type: str, seed: int = 0, filters=(8, 16, 32), epochs: int = 60,
                patience: int | None = None, learning_rate: float = 3e-4, n_units: int = 12, n_random: int = 3,
                hop_length: int = 512, max_items: int = 0, cascade: bool = False, n_null: int = N_NULL) -> Benchmark:
    """Smietanka & Maka 2023: Grad-CAM of SimpleNet's last conv layer on CQT-96 (Keras),
    upscaled to the input; graded on correctly classified emotional files of held-out speakers.

    Adam at 3e-4 with patience epochs // 2 (default): at Keras' 1e-3 with patience 10, four of
    five seeds stalled at chance on ~70 training files and stopped early (band cue, measured).
    The models' traced graphs are freed on return (`memory.releases_keras_models`)."""
    from . import gradcam, simplenet
    from . import smietanka_data as sd
    from .spectrograms import cqt_frequencies

    classes = sorted(meta.emotion.unique())
    y = meta.emotion.map(classes.index).to_numpy()
    inputs = sd.build_inputs(meta.path, hop_length=hop_length)
    train, explain = speaker_halves(meta.speaker, meta.get("gender"))
    fit, val = (train[p] for p in train_val_split(y[train], seed))
    mean, std = sd.normaliser(inputs.log_db, inputs.n_valid, fit)
    x = sd.network_input(inputs.log_db, mean, std)
    simplenet.seed_tf(seed)
    model = simplenet.build_simplenet(len(classes), x.shape[1:], filters, learning_rate=learning_rate)
    simplenet.train(model, x[fit], y[fit], x[val], y[val], epochs, 16, patience or max(1, epochs // 2))
    predicted = simplenet.predict(model, x[explain]).argmax(axis=1)
    targets = explain[(predicted == y[explain]) & (meta.emotion.to_numpy()[explain] != "neutral")]
    targets = balanced_subset(targets, meta.emotion.to_numpy()[targets], max_items)
    cam = lambda m: gradcam.upscale(gradcam.grad_cam(m, x[targets], y[targets]), x.shape[1:3])
    def fresh(draw):
        simplenet.seed_tf(null_seed(seed, draw))
        return simplenet.build_simplenet(len(classes), x.shape[1:], filters)

    untrained = fresh(0)
    weighted = [layer.name for layer in model.layers if layer.get_weights()][::-1]
    cascades = {f"top {k} of {len(weighted)} layers ({', '.join(weighted[:k])})": cam(_keras_cascade(model, untrained, k))
                for k in range(1, len(weighted))} if cascade and len(targets) else {}
    times, freqs = np.arange(x.shape[2]) * hop_length / sd.CQT_SR, cqt_frequencies()
    valid = [int(inputs.n_valid[i]) for i in targets]
    twins = twin_positions(meta)
    run = MapRun(seed, meta, targets, [planted_region(cue_type, meta.iloc[i], times, freqs, v) for i, v in zip(targets, valid)],
                 valid, [spectrogram_units(cue_type, x.shape[1:3], v, n_units)[..., None] for v in valid], x[targets],
                 [x[twins[i]] for i in targets],
                 [lambda b, c=int(y[i]): simplenet.predict(model, np.asarray(b, dtype=np.float32))[:, c] for i in targets], n_random,
                 cue_type, freqs, [times[:v] for v in valid])
    scores, curves, sanity, maps = grade_maps(run, cam(model), [cam(untrained)] + [cam(fresh(k)) for k in range(1, n_null)],
                                              cascades)
    return Benchmark("Grad-CAM (SimpleNet, CQT-96)", "smietanka2023", cue_type, "where in time and frequency?",
                     scores, curves, sanity, prediction_rows(seed, explain, meta.speaker.iloc[explain], predicted == y[explain]),
                     1 / len(classes), "signed", f"filters {tuple(filters)}, Adam {learning_rate:g}; curves replace {n_units} "
                     f"{'time spans' if cue_type == 'time' else 'bin groups'} by the neutral twin's; null: the mean over {n_null} "
                     "randomly initialised SimpleNets", maps, null_draws=n_null)


def simplenet_gradcam(corpora: dict, seeds, epochs: int = 60, n_units: int = 12, n_random: int = 3, max_items: int = 0,
                      cascade: bool = False, n_null: int = N_NULL) -> dict:
    """`run_seeds(gradcam_cqt, ...)` on every cue type's corpus ({"band": meta, "time": meta}),
    in that order; the cascading test on the band corpus only (as the notebook asks)."""
    return {cue_type: run_seeds(gradcam_cqt, seeds, meta, cue_type, epochs=epochs, n_units=n_units, n_random=n_random,
                                max_items=max_items, n_null=n_null, **({"cascade": cascade} if cue_type == "band" else {}))
            for cue_type, meta in corpora.items()}


@memo.cached()
def simplenet_gradcam_isolated(corpora: dict, seeds, epochs: int = 60, n_units: int = 12, n_random: int = 3,
                               max_items: int = 0, cascade: bool = False, n_null: int = N_NULL) -> dict:
    """`simplenet_gradcam` in a fresh process (`helpers.isolation`): TensorFlow and the trained
    SimpleNets leave with it, so a kernel that trains torch models afterwards never holds both
    runtimes (together ≈ 0.4 GB over Binder's 2 GB). Same results as in the kernel: every run
    seeds TensorFlow itself. Cached here too, so a warm run starts no process."""
    from .isolation import in_fresh_process

    return in_fresh_process(simplenet_gradcam, corpora, seeds, epochs=epochs, n_units=n_units,
                            n_random=n_random, max_items=max_items, cascade=cascade, n_null=n_null)


def resnet_maps(meta: pd.DataFrame, cue_type: str, seed: int = 0, epochs: int = 40, patience: int = 15,
                lr: float = 1e-3, n_mels: int = 32, n_units: int = 12, n_random: int = 3, clip_s: float = 2.0,
                max_items: int = 0, cascade: bool = False, n_null: int = N_NULL) -> list[Benchmark]:
    """Nasr 2025: occlusion (captum) and CRP (zennit-crp) of a small ResNet on log-Mel; one
    trained model, both explainers, graded like Grad-CAM. Occlusion patches follow the cue
    type: 10-frame spans × all bins for time, n_mels/8-bin bands × all frames for band."""
    import librosa
    import torch
    from scipy.special import softmax

    from . import resnet, saliency
    from .audio import load_audio

    torch.set_num_threads(1)
    classes = sorted(meta.emotion.unique())
    y = meta.emotion.map(classes.index).to_numpy()
    clips = [saliency.preprocess(load_audio(p, sr=16000), clip_s=clip_s, n_mels=n_mels) for p in meta.path]
    x = np.stack([c.spectrogram for c in clips])
    train, explain = speaker_halves(meta.speaker, meta.get("gender"))
    fit, val = (train[p] for p in train_val_split(y[train], seed))
    model = resnet.train(x[fit], y[fit], x[val], y[val], len(classes), epochs=epochs, patience=patience, lr=lr, seed=seed).model
    predicted = resnet.predict(model, x[explain]).argmax(axis=1)
    targets = explain[(predicted == y[explain]) & (meta.emotion.to_numpy()[explain] != "neutral")]
    targets = balanced_subset(targets, meta.emotion.to_numpy()[targets], max_items)
    def fresh(draw):
        torch.manual_seed(null_seed(seed, draw))
        return resnet.SmallResNet(len(classes)).eval()

    untrained, others = fresh(0), [fresh(k) for k in range(1, n_null)]
    band = max(1, n_mels // 8)
    patch = dict(window=(None, 10), stride=(None, 5)) if cue_type == "time" else dict(window=(band, x.shape[2]), stride=(band, x.shape[2]))
    times = np.arange(x.shape[2]) * saliency.HOP_LENGTH / 16000
    freqs = librosa.mel_frequencies(n_mels + 2, fmin=0.0, fmax=8000.0)[1:-1]
    valid = [clips[i].n_valid_frames for i in targets]
    twins = twin_positions(meta)
    run = MapRun(seed, meta, targets,
                 [planted_region(cue_type, meta.iloc[i], times, freqs, v, clips[i].offset / 16000) for i, v in zip(targets, valid)],
                 valid, [spectrogram_units(cue_type, x.shape[1:], v, n_units) for v in valid], x[targets],
                 [x[twins[i]] for i in targets],
                 [lambda b, c=int(y[i]): softmax(resnet.predict(model, np.asarray(b)), axis=1)[:, c] for i in targets], n_random,
                 cue_type, freqs, [times[:v] + clips[i].offset / 16000 for i, v in zip(targets, valid)])
    n_layers = sum(isinstance(m, (torch.nn.Linear, torch.nn.Conv2d)) for m in model.modules())
    steps = [1, 3, 6] if cascade else []  # fc; + layer2's convs; + layer1's: from the top
    results = []
    for name, explain_with in (("occlusion", lambda m: saliency.occlusion_maps(m, x[targets], y[targets], **patch)),
                               ("CRP", lambda m: saliency.crp_maps(m, x[targets], y[targets])[0])):
        maps, *random_maps = (explain_with(m) if len(targets) else np.zeros((0,) + x.shape[1:])
                              for m in (model, untrained, *others))
        cascades = {f"top {k} of {n_layers} layers": explain_with(_reinitialise_top(model, untrained, k).eval())
                    for k in steps if k < n_layers} if len(targets) else {}
        scores, curves, sanity, kept = grade_maps(run, maps, random_maps, cascades)
        results.append(Benchmark(f"{name} (ResNet, log-Mel)", "nasr2025", cue_type,
                                 "which time windows?" if cue_type == "time" else "which frequency band?",
                                 scores, curves, sanity,
                                 prediction_rows(seed, explain, meta.speaker.iloc[explain], predicted == y[explain]),
                                 1 / len(classes), "signed", f"{n_mels} Mel bands, {clip_s} s clips; occlusion patch "
                                 f"{patch['window']}; curves replace units by the neutral twin's; null: the mean over {n_null} "
                                 "randomly initialised ResNets", kept, null_draws=n_null))
    return results


def pooled_band_rows(seed: int, target, item: int, weights: dict, component_edges) -> list[dict]:
    """Pooled mass of component weights (EmoLIME) on the shared grid's bands (`fa.pool_components`)."""
    grid = fa.grid_band_edges()
    region = fa.grid_region("band", target.cue_lo_hz, target.cue_hi_hz, grid, [0.0])
    pool = lambda w: fa.pool_components(w, component_edges, grid)
    return pooled_mass_rows(seed, target, item, {m: as_draws(w).map(pool) for m, w in weights.items()},
                            region)


def emolime_bands(meta: pd.DataFrame, seed: int = 0, n_perturbations: int = 32, feature_set: str = "eGeMAPSv02",
                  bands: str = "mel", max_seconds: float = 1.5, n_random: int = 3, max_items: int = 0,
                  cache: dict | None = None, n_null: int = N_NULL) -> Benchmark:
    """Hjulér 2025 EmoLIME: LIME over 8 spectral components of the audio, an SVC on openSMILE
    functionals. Question: which band? The curves replace whole components by the neutral
    twin's (the STFT masking is linear, so the mix is the sum of the two masked signals).
    `cache` (shared over seeds) keeps the functionals of every (file, mask) already extracted."""
    from . import emolime
    from . import emolime_models as em

    cache = {} if cache is None else cache
    classes = sorted(meta.emotion.unique())
    labels = meta.emotion.to_numpy()
    signals = em.load_signals(meta.path, max_seconds=max_seconds)
    twins = twin_positions(meta)
    X = em.functionals(signals, feature_set=feature_set)
    train, explain = speaker_halves(meta.speaker, meta.get("gender"))
    fit = seeded_fit_rows(train, labels, seed)
    model = em.make_svc(seed).fit(X[fit], labels[fit])
    shuffle = np.random.default_rng(seed)
    permuted = [em.make_svc(seed).fit(X[fit], shuffle.permutation(labels[fit])) for _ in range(n_null)]
    predicted = model.predict(X[explain])
    targets = explain[(predicted == labels[explain]) & (labels[explain] != "neutral")]
    targets = balanced_subset(targets, labels[targets], max_items)
    edges = emolime.band_edges(bands)
    masks = emolime.lime_masks(n_perturbations)

    def features_of(i, batch):
        batch = np.asarray(batch).astype(int)
        missing = [m for m in {m.tobytes(): m for m in batch}.values() if (int(i), m.tobytes()) not in cache]
        if missing:
            audio = emolime.perturbations(signals[i], missing, bands=bands) \
                + emolime.perturbations(signals[twins[i]], 1 - np.asarray(missing), bands=bands)
            for m, row in zip(missing, em.functionals(list(audio), feature_set=feature_set)):
                cache[(int(i), m.tobytes())] = row
        return np.stack([cache[(int(i), m.tobytes())] for m in batch])

    scores, curves, sanity, maps = [], [], [], {}
    for i in targets:
        column = classes.index(labels[i])
        features_ = features_of(i, masks)
        weights = emolime.explain_scores(masks, model.predict_proba(features_)[:, column]).weights
        control = Draws(emolime.explain_scores(masks, p.predict_proba(features_)[:, column]).weights for p in permuted)
        truth = emolime.component_of_band(meta.cue_lo_hz.iloc[i], meta.cue_hi_hz.iloc[i], edges)
        region = np.arange(len(weights)) == truth
        ranker = lambda w, t=truth: (w, t)
        scores += item_rows(seed, int(i), meta.speaker.iloc[i], labels[i], {TRAINED: weights, RANDOMISED: control}, region, ranker)
        scores += pooled_band_rows(seed, meta.iloc[i], int(i), {TRAINED: weights, RANDOMISED: control}, edges)
        predict = lambda batch, i=i, c=column: model.predict_proba(features_of(i, batch))[:, c]
        orders_rng = np.random.default_rng(int(i))  # the same random orders for every seed: their masks are cached
        curves.append(fa.curves_for(predict, np.ones(len(weights)), 0.0, np.arange(len(weights)), weights, orders_rng, n_random)
                      .assign(seed=seed, item=int(i), speaker=meta.speaker.iloc[i], emotion=labels[i]))
        sanity.append(dict(seed=seed, item=int(i), speaker=meta.speaker.iloc[i], test=fa.RANDOMISED_TEST,
                           **null_similarities(weights, control)))
        maps[(seed, int(i))] = weights
    return Benchmark(f"EmoLIME ({feature_set} SVC, {bands} bands)", "hjuler2025", "band", "which spectral band?",
                     pd.DataFrame(scores, columns=SCORE_COLUMNS), pd.concat(curves, ignore_index=True) if curves else pd.DataFrame(),
                     pd.DataFrame(sanity), prediction_rows(seed, explain, meta.speaker.iloc[explain], predicted == labels[explain]),
                     1 / len(classes), "signed", f"{n_perturbations} perturbations per utterance; first {max_seconds} s of "
                     f"each file; null: the mean over {n_null} SVCs retrained on permuted labels", maps, null_draws=n_null)
