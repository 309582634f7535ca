# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Dixit et al. 2024: what do WavLM embeddings know about eGeMAPS?
#
# S. Dixit, F. Catania, D. M. Low, G. Elbanna, S. S. Ghosh, *Explaining Deep Learning Embeddings
# for Speech Emotion Recognition by Predicting Interpretable Acoustic Features* (2024).
# Authors' code: `satvik-dixit/explainability_SER` on GitHub.
#
# **The argument.** SSL embeddings beat handcrafted features at emotion recognition, but
# nobody can say what their 1024 dimensions encode. The paper explains them by *probing*
# (§III-D, E; Fig. 1):
#
# 1. Train one binary classifier per emotion against neutral, on eGeMAPS (88 interpretable
#    functionals) and on mean-pooled WavLM embeddings (Table II).
# 2. Rank the embedding dimensions by SHAP and keep the smallest top-k set that classifies
#    best (the "minimal set").
# 3. Predict every eGeMAPS feature with Ridge regression, once from all dimensions and once
#    from the top-k. A feature that the top dims predict better than all dims, and predict
#    well, is one the embedding uses for that emotion. Eq. 1 scores this as
#    *information increase* = (RMSE_all / RMSE_top) × (1 / RMSE_top).
# 4. Average the score over the eGeMAPS categories (Table I: Energy, Frequency, Spectral,
#    Temporal). The paper reports Energy > Frequency > Spectral > Temporal (Fig. 3).
#
# **What runs here.** By default the notebook runs offline on the planted-cue `synthetic` corpus
# with `ge2e`, the pretrained GE2E speaker encoder that ships inside the `resemblyzer` package
# (3 LSTM layers over 40 mel bands and a 256-dim projection, trained to tell speakers apart;
# `helpers.ge2e`). It is a *stand-in*: a learned deep embedding, but not an emotion model and
# not WavLM, so its numbers show what the method finds in a real pretrained network, never
# what it finds in WavLM. The randomly initialised `tiny-wavlm` stays selectable
# (`embedding_model = "tiny-wavlm"`). The run demonstrates the pipeline and checks it against
# planted ground truth. For the paper's setting, use `-f notebooks/params/dixit2024.ravdess.yaml`
# (or `.savee.yaml`, or `.emodb.yaml` for a public corpus) with `microsoft/wavlm-large`.
#
# **What we fix.** The authors' code (i) computes SHAP from the last outer fold's model on
# *all* rows, test rows included, (ii) picks the top-k count by the maximum *test* F1 over 51
# candidates, (iii) tunes C by accuracy, not F1, and (iv) also runs a neutral-vs-neutral task.
# Here every choice is made inside the outer training folds, and the authors' protocol is run
# beside ours at the end, so the difference can be measured. The authors' published numbers
# are compared with that replica of their protocol (like for like); our leak-free numbers
# are reported as a separate, corrected row. The speaker z-scores use all of a speaker's
# files, as in the authors' code, before the corpus is cut to the chosen emotions.

# %% tags=["parameters"]
seed = 0  # paper seed 000: the task undersampling draws (the authors' copy keeps their seed 42)
dataset = "synthetic"  # corpus name, or a list of names (e.g. ["ravdess", "savee"]) for one figure with both
data_dir = None  # folder holding the corpora (or the corpus itself); None: $SERXAI_DATA or the per-user cache
embedding_model = "ge2e"  # pretrained speaker-encoder stand-in offline (tiny-wavlm: random-init); "microsoft/wavlm-large" for the paper
layer = -1  # hidden layer to mean-pool (-1 is the last, as in the authors' code; for ge2e the projected embedding)
emotions = ["anger", "fear", "happiness", "sadness", "disgust"]  # each vs neutral (the authors' five)
n_outer = 5  # outer speaker-grouped folds (leave-one-speaker-out when a corpus has fewer speakers)
n_inner = 5  # inner folds for C and k (capped at the number of training speakers)
n_jobs = 2  # worker processes for the per-emotion analyses and the authors sweep (results do not depend on it)
run_authors_protocol = True  # also run the authors' (leaky) protocol on the same data
device = "auto"  # where the torch models run: auto picks a CUDA GPU, then Apple MPS, else the CPU
scheduler = None  # per-file work: None runs local threads, "processes" local processes, or a Dask scheduler address like "tcp://host:8786"

# %%
from helpers.quiet import quiet_output

quiet_output()  # before anything loads torch: no library chatter in a direct papermill run
import matplotlib.pyplot as plt
import pandas as pd

from helpers.devices import announce
from helpers import features, probing, seed_everything
from helpers.plotting import paper_vs_run, save_figure, save_table, set_style, show_table

PAPER = "dixit2024"
seed_everything(seed)
set_style()
names = [dataset] if isinstance(dataset, str) else list(dataset)
label = probing.embedding_label(embedding_model, layer)
print(announce(device, scheduler))  # the run summary shows this line

# %% [markdown]
# ## Table I: the four eGeMAPS categories
# The paper sorts the 88 eGeMAPSv02 functionals into four categories (Table I). It lists them
# by parameter group, while the code needs a category for every functional. We map each column
# name with `helpers.features.egemaps_families()`. The counts match the authors' mapping:
# Energy 15, Frequency 24, Spectral 43, Temporal 6. Energy covers loudness, shimmer, HNR and
# the equivalent sound level. Frequency covers F0, jitter, and formant frequencies and
# bandwidths. Temporal covers rates and segment lengths. Spectral is everything else.

# %%
# NBVAL_CHECK_OUTPUT
families = features.egemaps_families()
save_table(families, PAPER, "table1_categories")
print(families.category.value_counts().reindex(probing.CATEGORY_ORDER).to_string())

# %% [markdown]
# ## Data and representations
# For each corpus we take *every* file, of every emotion (the speaker normalisation below
# needs them all), and extract eGeMAPSv02 functionals with openSMILE. The embeddings are the
# chosen layer's hidden states, mean-pooled over valid frames. The paper says only
# "mean-pooled over time". The authors' code takes the last hidden state, which is our `layer = -1`.
# For `ge2e`, layers 0–2 are its three LSTM layers and −1 is the final projected embedding
# (256 dims each), the output the encoder was trained to produce.

# %%
corpora = {}
for name in names:
    meta_all = probing.load_corpus(name, data_dir, emotions=None)  # all emotions
    corpora[name] = probing.representations(meta_all, embedding_model, layer, n_jobs)
    counts = corpora[name][0].groupby("emotion").size()
    print(f"{name}: {corpora[name][0].speaker.nunique()} speakers, {counts.sum()} files "
          f"({', '.join(f'{e} {n}' for e, n in counts.items())}); embeddings: {label}")

# %% [markdown]
# ## Speaker normalisation and the tasks
# Following the authors' code, every feature and every embedding dimension is z-scored within
# each speaker, over *all* of that speaker's files, before any task is built (the paper only
# says "we perform speaker normalization", §III-C). This step uses no labels, so it cannot
# leak them. It does use the held-out speaker's own files, like any per-speaker normalisation.
#
# **Method correction.** An earlier version of this notebook cut the corpus to neutral plus
# the chosen emotions *first* and z-scored over what was left. The authors' code z-scores
# over all of a speaker's files, so a speaker's mean and spread include the emotions no
# task uses (on the default corpus: boredom; on RAVDESS: calm and surprise). We now do the
# same: `probing.normalise_then_select` z-scores over every file, then keeps neutral and
# `emotions`. With the old order, a speaker's reference point moved with the choice of
# emotions; now it does not.
#
# Each task is one emotion against neutral, balanced by a seeded random undersampling of the
# larger class (RAVDESS: 96 of the 192 files of an emotion against the 96 neutral files).
# An emotion that the speaker-grouped folds cannot support is skipped, and the reason is printed.

# %%
# NBVAL_CHECK_OUTPUT
selected, normalised, tasks = {}, {}, {}
for name, (meta_all, egemaps, embedded) in corpora.items():
    selected[name], normalised[name] = probing.normalise_then_select(meta_all, [egemaps, embedded], emotions)
    tasks[name], skipped = probing.build_tasks(selected[name], emotions, seed, n_outer, n_inner)
    for emotion, task in tasks[name].items():
        print(f"{name} {emotion}: {task.n_per_class} vs {task.n_per_class} files, {task.n_speakers} speakers")
    for emotion, reason in skipped.items():
        print(f"{name} {emotion}: skipped, {reason}")

# %% [markdown]
# ## Classification, SHAP ranking and the minimal top-k set, without leakage
# This is §III-C and D. For each task, the nested cross-validation below does the following.
#
# * **Outer folds** are grouped by speaker: `n_outer` GroupKFold folds, or
#   leave-one-speaker-out when there are fewer speakers (SAVEE has 4).
# * **C** ∈ {0.01, 0.1, 1, 10, 100} for the L2 logistic regression is chosen by inner
#   speaker-grouped CV, scored with binary F1 with the emotion as the positive class. The
#   paper says "F1". The authors' grid search scores accuracy.
# * **SHAP ranking.** In each outer training fold, the model fitted there is explained with
#   `shap.LinearExplainer`, using the scaled training rows as background (the explainer
#   does not take a Pipeline). Its mean |SHAP| ranks the dimensions.
# * **Minimal set.** k = 10, 20, … (the authors' `range(10, 512, 10)`, capped at the number
#   of dims) is chosen by the same inner folds, with C tuned again for each k. Ties go to the
#   smallest k. Only then is the outer test fold scored.
# * **F1** = binary F1 × 100 per outer fold, averaged over the folds.
# * **Solver.** Every fit is scaled on its own training part and solved by Newton's method
#   with a tight tolerance: the same L2 objective as sklearn's default lbfgs, solved to its
#   optimum. This matters on near-separable tasks. There, lbfgs's default early stop can
#   flip which C wins.
#
# The same fold models also explain their own outer-test rows. This gives out-of-fold SHAP
# values for every row, and their mean |SHAP| is the **one final ranking** used by Fig. 2 and
# the probing. The probing uses the lower median of the per-fold k. The paper does not say
# how to merge the per-fold choices, so this is our choice.
#
# The k search still ranks dims with a model that saw the inner validation speakers of its
# own outer fold. This is a second-order optimism, and it never touches the outer test fold.

# %%
analyses = {name: probing.analyse_dataset(tasks[name], *normalised[name], n_outer, n_inner, n_jobs)
            for name in names}

# %% [markdown]
# `shap.LinearExplainer` on a logistic regression explains the log-odds. With an independent
# masker, its values are w·(x − μ), where μ is the background mean. We check this once on
# the first task. We keep every background row: shap's default keeps only 100, and then μ
# is no longer the training mean.

# %%
# NBVAL_CHECK_OUTPUT
first = next(iter(analyses))
task = next(iter(tasks[first].values()))
gap = probing.closed_form_gap(normalised[first][1].to_numpy()[task.rows], task.y)
verdict = "< 1e-9 (agrees)" if gap < 1e-9 else f"{gap:.3g} (DIFFERS)"
print(f"max |shap - w·(x - mu)| on {first} {task.emotion}: {verdict}")

# %% [markdown]
# ## Table II: F1 per emotion and representation
# `k_per_fold` lists the minimal-set size that each outer fold chose. `k_final` is the
# single count used for probing.

# %%
# NBVAL_CHECK_OUTPUT
f1 = pd.concat([probing.f1_table(analyses[name], name, label) for name in names], ignore_index=True)
save_table(f1, PAPER, "table2_f1")
shown_columns = ["dataset", "emotion", "egemaps_f1", "embedding_all_f1", "embedding_top_f1", "k_final", "k_per_fold"]
print(f1[shown_columns].to_string(index=False))

# %% [markdown]
# ## Fig. 2: which eGeMAPS categories the interpretable model uses
# For each emotion, the eGeMAPS model's mean |SHAP| per feature (out-of-fold) is min–max
# scaled to [0, 1] across the 88 features and shown as box plots by category. A category is
# summarised by its mean or median, never its sum: Spectral has 43 features and Temporal 6.

# %%
shap_long = pd.concat([probing.shap_table(analyses[n], families, n) for n in names], ignore_index=True)
shown = [e for e in emotions if e in set(shap_long.emotion)]
fig = probing.plot_category_boxes(shap_long, "scaled_shap", shown, "scaled mean |SHAP|",
                                  "eGeMAPS logistic regression: out-of-fold mean |SHAP| per feature, min–max scaled")
save_figure(fig, PAPER, "fig2_shap_categories", data=shap_long)
plt.show()

# %%
# NBVAL_CHECK_OUTPUT
shap_summary = probing.category_summary(shap_long, "scaled_shap")
print(shap_summary.pivot_table(index=["dataset", "emotion"], columns="category", values="mean", observed=True)
      .round(2).to_string())

# %% [markdown]
# ## Fig. 3: information increase per category (§III-E, Eq. 1)
# For each emotion, Ridge regression predicts all 88 speaker-normalised eGeMAPS features
# from the embedding. It is fitted once from all dims and once from the top-k dims of the
# final ranking. Alpha ∈ {0.001, …, 100} is chosen per feature by inner CV, with one
# multi-output fit for all 88 features per alpha and fold. The outer folds are grouped by
# speaker and shared by both fits. RMSE is pooled over the held-out rows. The paper speaks
# of an "average" per category, but its claim is about the median, so the CSV has both.

# %%
info_long = pd.concat([probing.info_table(analyses[n], families, n) for n in names], ignore_index=True)
fig = probing.plot_category_boxes(info_long, "info_increase", shown, "information increase",
                                  f"Ridge probes of 88 eGeMAPS features from top vs all dims of {label}")
save_figure(fig, PAPER, "fig3_info_increase", data=info_long.assign(embedding=label))
plt.show()

# %%
# NBVAL_CHECK_OUTPUT
info_summary = probing.category_summary(info_long, "info_increase")
print(probing.category_order(info_summary, "median").to_string())

# %% [markdown]
# ### What drives Eq. 1?
# Eq. 1 multiplies two factors: the ratio RMSE_all / RMSE_top ("encoded better in the top
# dims than in all dims") and 1 / RMSE_top ("encoded well in the top dims"). §III-E presents
# the second as a weight on the first. But the ratio stays close to 1 for most features,
# while RMSE_top ranges widely across features (on z-scored features, from well below 1 to
# about 1). So the product can follow 1 / RMSE_top and hardly the ratio. We measure this:
# for every emotion, the category order (by median) under Eq. 1, under the ratio alone and
# under 1 / RMSE_top alone, and the Spearman correlation across features of Eq. 1 with each
# factor. `driver` names the factor with the higher correlation. The figure shows the three
# scores per category, Eq. 1 on top.

# %%
terms = probing.eq1_terms(info_long)
fig = probing.plot_eq1_terms(terms, shown, f"Eq. 1 and its two factors per eGeMAPS category ({label})")
save_figure(fig, PAPER, "fig3_eq1_terms", data=terms[["dataset", "emotion", "feature", "category",
                                                      *probing.EQ1_TERMS]])
plt.show()

# %%
# NBVAL_CHECK_OUTPUT
eq1_drivers = probing.eq1_term_table(terms)
save_table(eq1_drivers, PAPER, "table5_eq1_terms")
print(eq1_drivers.drop(columns="dataset" if len(names) == 1 else []).to_string(index=False))
print(probing.eq1_driver_summary(eq1_drivers))

# %% [markdown]
# On the default run, Eq. 1 follows 1 / RMSE_top almost rank for rank, and the ratio only
# weakly (the ρ columns above). The category order of Fig. 3 is therefore mostly the order
# of how well the top dims predict each category at all, not of how much *better* they
# predict it than all dims, which is the idea Eq. 1 is meant to capture (§III-E). On the
# default run the ratio alone never gives Eq. 1's order: a feature that the top dims
# predict well ranks high even when all dims predict it just as well. To read Fig. 3 as
# the paper intends, compare it with the ratio row of the figure above. We keep Eq. 1 as published
# for Fig. 3 itself.

# %% [markdown]
# ### What the pretrained encoder shows
# A network that has learned something gives the method something to find. The GE2E speaker
# encoder separates every emotion from neutral on the default corpus (Table II: all-dims F1
# 100.0 for anger and fear, 98.7 for happiness, 98.8 for sadness), and 10–20 of its 256 dims
# keep almost all of it (top-dims F1 97.5–100.0). The random-init `tiny-wavlm` (the previous
# default, still selectable) reached an all-dims F1 of 53.0–71.8 on the same tasks: its dims
# encode nothing learned.
#
# The probes show *which* eGeMAPS categories those few dims carry. Energy is encoded best:
# its median RMSE_top is 0.28–0.50 across the four emotions, against 0.63–0.82 for
# Frequency and 0.63–0.69 for Spectral (`fig3_info_increase.csv`). By Eq. 1's median,
# Energy comes first for fear and sadness and second, behind the 6-feature Temporal
# category, for anger and happiness; Frequency and Spectral come last for every emotion.
# Single features tell the same story: the highest information increase is the equivalent
# sound level for fear and happiness and an F0 level percentile for anger and sadness, with
# loudness functionals and spectral flux close behind: the loudness and pitch of the voice,
# which a speaker encoder models and our generator plants. This is not the paper's
# Energy > Frequency > Spectral > Temporal (Temporal ranks high here), and it could not be:
# another model on another corpus, so the row below stays n/a. Eq. 1 still follows
# 1 / RMSE_top (ρ 0.94–0.96) much more than the ratio (ρ 0.25–0.44).

# %% [markdown]
# ## Ground truth: does SHAP find the planted family?
# The offline run checks the explainer against a known answer. In the `synthetic-family`
# variant each emotion moves the acoustic parameters of one eGeMAPS category only. The
# planted family is in the metadata column `cue_family`: anger → Energy, sadness and fear →
# Frequency, happiness → Spectral. We run the same eGeMAPS nested CV on that corpus and
# compare the planted family with the category that has the highest mean scaled |SHAP|,
# and with the highest median. Emotions the corpus lacks are skipped with the reason. This
# check runs only when the main dataset is synthetic.

# %%
# NBVAL_CHECK_OUTPUT
if all(name.startswith("synthetic") for name in names):
    truth_corpus = probing.load_corpus("synthetic-family", data_dir, emotions=None)  # all files, for z-scoring
    truth_meta, truth_egemaps, _ = probing.representations(truth_corpus, embedding_model=None)
    truth, truth_skipped = probing.planted_family_check(truth_meta, truth_egemaps, families, emotions,
                                                        seed, n_outer, n_inner)
    for emotion, reason in truth_skipped.items():
        print(f"synthetic-family {emotion}: skipped, {reason}")
    save_table(truth, PAPER, "table3_ground_truth")
    print(truth[["emotion", "planted_family", "top_by_mean", "top_by_median", "planted_rank_by_mean"]]
          .to_string(index=False))

# %% [markdown]
# On the default corpus, SHAP puts the planted family first for all four emotions, by the
# category mean and by the median. Happiness has the smallest margin (see the per-category
# means in `table3_ground_truth.csv`). Its planted cue is the spectral tilt, which moves
# the slope, alpha-ratio and Hammarberg features, only a few of Spectral's 43. A higher F0
# also moves some Spectral features (harmonic differences, MFCCs), so the families are not
# perfectly separable by construction. The unit tests repeat the check on a small planted
# corpus.
#
# ## The authors' protocol, run on the same data
# The protocol below copies the authors' code in `satvik-dixit/explainability_SER`
# (`classification_pipeline`, `feature_importance_method`, `emotion_all_merger`):
#
# * **Tasks.** `np.random.seed(42)`, then `num` draws without replacement from the emotion's
#   files, then `num` from the neutral files. They hard-code `num = 96` for RAVDESS; here it
#   is the smaller class. Their emotion list also includes neutral. For neutral vs neutral,
#   both draws come from the same 96 files, so every file appears once labelled 1 and once
#   labelled 0. That row is included below.
# * **Folds.** `GroupShuffleSplit(n_splits=5, train_size=0.8, random_state=42)` is used for
#   the outer loop and again for the inner loop. The grid search runs on unscaled data and
#   uses `GridSearchCV`'s default score, accuracy. The scaler is fitted on the outer training
#   part. The score is binary F1 on the outer test part, averaged and rounded to 0.1.
# * **SHAP.** `shap.Explainer(model, X)` on *all* rows, with `model` = the last outer fold's
#   model, which was trained on scaled data but is explained on unscaled rows. So the ranking
#   has seen the test speakers of the later evaluation.
# * **k.** Each k in `range(10, 512, 10)` is scored by the whole outer CV. k is the argmax of
#   the outer-test F1, and the reported "top dims" F1 is that maximum.
#
# The last column group, `*_inflation`, is the authors' F1 minus ours on the same corpus and features.

# %%
# NBVAL_CHECK_OUTPUT
if run_authors_protocol:
    theirs = pd.concat([probing.authors_table(selected[n], *normalised[n], list(tasks[n]), n, n_jobs)
                        for n in names], ignore_index=True)
    protocols = probing.protocol_comparison(f1, theirs)
    save_table(protocols, PAPER, "table4_authors_protocol")
    hidden = [c for c in protocols if c.endswith("_folds")] + (["dataset"] if len(names) == 1 else [])
    print(protocols.drop(columns=hidden).to_string(index=False))
else:
    theirs = None

# %% [markdown]
# The neutral-vs-neutral row has no signal to find, because every file appears once with each
# label. The best logistic regression for such data is w = 0, b = 0. Its decision value is 0
# everywhere, and sklearn maps 0 to the negative class, so F1 is 0. The row measures nothing.
#
# Where the eGeMAPS tasks are separable, both protocols reach 100. The top-dims F1 is where
# the authors' protocol is optimistic by design: each candidate k is scored on the outer test
# folds, and the best of up to 51 scores is reported, with a ranking that has already seen
# those folds. Not every difference is leakage, though. Their five `GroupShuffleSplit` test
# sets are random 20 % draws of the speakers. They can overlap and miss speakers, so on a
# near-chance model (the random-init `tiny-wavlm`) even the all-dims F1 moves by several
# points with the split. With the default `ge2e` the tasks are nearly separable: both
# protocols give 100.0 for anger and fear, and the authors' top-dims F1 exceeds ours by
# 2.5 (happiness) and 2.2 (sadness) points, the best-of-51 optimism. On
# RAVDESS with WavLM-large, the authors report 96.5–100 for the top dims. The RAVDESS
# profile shows what remains when k is chosen inside the training folds.
#
# ## Paper vs this run
# Each row puts a number or claim of the paper beside ours. `basis` says where the paper's
# side comes from: the paper's text, a figure read by eye, the authors' repository (the
# RAVDESS F1 values: Table II is not legible in our reading copy), or "by construction".
# `agrees` follows fixed rules (`helpers.verdicts`, rows built by `probing.paper_rows`):
#
# * **yes / no only from a test that could have gone the other way.** Our numbers rest on
#   a few folds, tasks or features, so each claim is decided by a bootstrap 95 % CI of the
#   difference it is about: F1 differences over the outer folds (paired where both models
#   share the folds), median information-increase differences over a category's features,
#   mean scaled-|SHAP| differences over features. yes when the CI lies on the paper's side,
#   no when it lies on the other side, unclear when it straddles 0. A claim "for every
#   emotion" is yes only if every emotion says yes, and no if one says no. The CIs are in
#   the row.
# * **Like for like.** The authors' RAVDESS numbers come from their protocol, with its
#   leaks (best of 51 test scores for the top dims). They are compared with our *replica* of
#   that protocol on the same data (Table 4 above): yes when the CI of each F1 difference
#   lies within ±5 points. Our leak-free numbers are a separate *corrected* row, which is
#   not a reproduction test and stays n/a.
# * **n/a** for rows about a model that is not the paper's (the default `ge2e` is a
#   pretrained speaker encoder standing in for WavLM, `tiny-wavlm` a random-init stand-in:
#   the row's `dataset` says so, and the note gives what was measured), for rows whose outcome the synthetic generator planted (e.g. anger's cue is
#   mostly loudness, an Energy feature; basis "by construction"), and for claims about a
#   corpus this run did not use.
#
# "Sadness has the lowest F1" is not a sentence of the paper: §V says only that sadness
# does worse with the handcrafted features. The ranking comes from the authors' numbers,
# so its basis is the authors' repository.

# %%
# NBVAL_CHECK_OUTPUT
rows = probing.paper_rows(f1, shap_long, info_long, theirs, seed=seed)
comparison = paper_vs_run(rows, PAPER, ", ".join(names))
print(comparison.agrees.value_counts().reindex(["yes", "no", "unclear", "n/a"], fill_value=0).to_string())

# %%
show_table(comparison)

# %% [markdown]
# ## Exercises
# Four exercises on the choices behind the figures above: which layer is embedded, how many
# top dims the probes get, what SHAP explains against, and whether SHAP finds a planted
# family it has not been tested on yet. Each works on the notebook's first task (the
# corpus `first`, the emotion `task.emotion`) and reads the notebook's parameters, so it
# scales with the profile. Answer in the solution cell, in the variables it names, then run
# the check cell. The checks test properties that every correct answer has.

# %%
from helpers.exercise_guard import guard_exercises

guard_exercises(dataset, "synthetic")

# %%
import numpy as np
from scipy.stats import spearmanr
from sklearn.preprocessing import StandardScaler

egemaps_z, embedding_z = (frame.to_numpy() for frame in normalised[first])
analysis = analyses[first][task.emotion]
print(f"exercises use {first}, {task.emotion} vs neutral ({len(task.y)} files); k_final = {analysis.embedding.k_final}")

# %% [markdown]
# ### Exercise 1: another layer
# The paper mean-pools the last hidden layer (`layer = -1`). Pick another layer,
# `layer_other`, that is a different layer of `embedding_model` (`ge2e` has LSTM layers 0, 1
# and 2, and −1 is its projected embedding, a layer of its own; the tiny stand-ins have
# hidden states 0, 1 and 2, and there −1 is the same as 2). Embed the same files
# (`probing.representations(corpora[first][0], embedding_model, layer_other)` gives
# eGeMAPS and embeddings aligned with the whole corpus table), z-score the embeddings per
# speaker over all files and keep the task emotions, as above
# (`probing.normalise_then_select`; `other_z`, a DataFrame), and score the all-dims
# logistic regression for `task` with the same nested CV (`probing.nested_cv`). Store its
# F1 as `f1_other_layer`.
#
# Compare it with `embedding_all_f1` in Table II. Which layer of a network trained to
# recognise *speakers* would you expect to keep the most information about emotion, and
# which layer would a *randomly initialised* model favour?

# %% nbgrader={"grade": false, "grade_id": "dixit2024-ex1-solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
### BEGIN SOLUTION
layer_other = 0
other_meta, _, other_embedded = probing.representations(corpora[first][0], embedding_model, layer_other, n_jobs)
_, (other_z,) = probing.normalise_then_select(other_meta, [other_embedded], emotions)
f1_other_layer = probing.nested_cv(other_z.to_numpy()[task.rows], task.y, task.groups, n_outer, n_inner).f1
### END SOLUTION
print(f"{task.emotion}: layer {layer_other} F1 {f1_other_layer:.1f}, layer {layer} F1 {analysis.embedding.f1:.1f}")

# %% nbgrader={"grade": true, "grade_id": "dixit2024-ex1-check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
assert isinstance(layer_other, int) and layer_other != layer, "pick a layer other than the notebook's"
assert isinstance(other_z, pd.DataFrame) and other_z.shape == normalised[first][1].shape, "embed the same files"
assert not np.allclose(other_z.to_numpy(), embedding_z), "these are the embeddings of the notebook's layer"
assert np.isfinite(other_z.to_numpy()).all() and other_z.abs().to_numpy().max() < 100, "z-score per speaker"
assert (other_z.groupby(selected[first].speaker.to_numpy()).mean().abs().to_numpy() < 3).all(), "z-score per speaker"
assert isinstance(f1_other_layer, float) and 0 <= f1_other_layer <= 100, "F1 × 100, as in Table II"

# %% [markdown] nbgrader={"grade": true, "grade_id": "dixit2024-ex1-answer", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# GE2E is trained to map all utterances of one speaker to one point, so its projected
# embedding (−1) is pushed to discard what varies *within* a speaker, and emotion is such a
# variation. The LSTM layers below it are closer to the 40 mel bands and keep more of the
# voice's momentary state, so one would expect a lower or middle layer to be at least as
# good for emotion. In the default run the question cannot be settled on anger: layer 0 and
# the projection both reach F1 100.0, because the planted anger cue (louder, higher, faster)
# is large. Try sadness or happiness, or the EmoDB profile, where the tasks are harder. In a
# randomly initialised model (`tiny-wavlm`) no layer has learned anything: layers differ only
# in how many random transformations lie between them and the waveform, so the layer
# closest to the acoustics (0) tends to keep most. For a pretrained WavLM, middle and upper
# layers tend to carry the most paralinguistic information, which is why the paper's choice
# of the last layer is a choice, not a given.

# %% [markdown]
# ### Exercise 2: another k for the probes
# Fig. 3 probes every eGeMAPS feature from the top `k_final` dims of the SHAP ranking
# (`analysis.embedding.ranking`). Choose another count `k_other` (between 1 and the number
# of dims, not `k_final`), rerun the probes for `task` with
# `probing.probe_top_k(task, egemaps_z, embedding_z, top_dims, n_outer, n_inner)`, and store
# the per-feature result as `probed_other` and the median information increase per
# eGeMAPS category (`families.category`) as `median_other`, a Series indexed by category.
#
# Compare `median_other` with the medians for `k_final` in the Fig. 3 table. Eq. 1 divides
# by RMSE_top twice: what happens to the score when k is small, and when k is close to all
# dims? Does the category order depend on the k you pick?

# %% nbgrader={"grade": false, "grade_id": "dixit2024-ex2-solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
### BEGIN SOLUTION
k_other = 10 if analysis.embedding.k_final != 10 else 20
probed_other = probing.probe_top_k(task, egemaps_z, embedding_z, analysis.embedding.ranking[:k_other], n_outer, n_inner)
median_other = probed_other.info_increase.groupby(families.category.to_numpy()).median()
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "dixit2024-ex2-check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
assert 1 <= k_other <= embedding_z.shape[1] and k_other != analysis.embedding.k_final, "a count of dims other than k_final"
assert len(probed_other) == len(families) and {"rmse_all", "rmse_top", "info_increase"} <= set(probed_other), \
    "one row per eGeMAPS feature, as probing.probe_top_k returns"
np.testing.assert_allclose(probed_other.rmse_all, analysis.probing.rmse_all, err_msg="the all-dims probe does not depend on k")
assert not np.allclose(probed_other.rmse_top, analysis.probing.rmse_top, equal_nan=True), "probe from k_other dims"
assert isinstance(median_other, pd.Series) and sorted(median_other.index) == sorted(probing.CATEGORY_ORDER)
assert (median_other > 0).all(), "information increase is positive wherever it is defined"

# %% [markdown] nbgrader={"grade": true, "grade_id": "dixit2024-ex2-answer", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# RMSE_all does not depend on k, so only RMSE_top moves. Eq. 1 is RMSE_all / RMSE_top², so a
# k whose probes fit a little better is rewarded twice. With k close to all dims, RMSE_top
# approaches RMSE_all and the score tends to 1/RMSE_all: it then rewards features that are
# easy to predict from the embedding at all, whatever their link to the emotion. The medians
# move with k, and categories can change place: the category order belongs to the pair
# (k, ranking), not to the embedding alone. Here k comes from inner CV on the classification
# task, so at least it is not tuned on the probes.

# %% [markdown]
# ### Exercise 3: what SHAP explains against
# SHAP attributes a prediction *relative to a background*: for a linear model, feature j
# gets w_j · (x_j − mean of the background). The notebook uses all training rows. Fit one
# logistic regression for `task` on its standardised eGeMAPS rows
# (`StandardScaler`, then `probing.logreg(X, task.y, 1.0)`), and compute its SHAP values on
# those rows twice: with all rows as the background (`shap_all_bg`), and with the neutral
# rows only (`shap_neutral_bg`), e.g. with `probing.linear_shap`. Both are arrays of shape
# (files, 88). Store the Spearman correlation of the two mean-|SHAP| rankings as
# `rho_background`.
#
# DeepLIFT in the `das2022` notebook uses a neutral reference. What changes in the SHAP
# values when the reference is neutral speech, and does the feature ranking change much?

# %% nbgrader={"grade": false, "grade_id": "dixit2024-ex3-solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
### BEGIN SOLUTION
X_task = StandardScaler().fit_transform(egemaps_z[task.rows])
model = probing.logreg(X_task, task.y, 1.0)
shap_all_bg = probing.linear_shap(model, X_task, X_task)
shap_neutral_bg = probing.linear_shap(model, X_task, X_task[task.y == 0])
rho_background = float(spearmanr(np.abs(shap_all_bg).mean(axis=0), np.abs(shap_neutral_bg).mean(axis=0)).statistic)
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "dixit2024-ex3-check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
assert shap_all_bg.shape == shap_neutral_bg.shape == (len(task.y), len(families)), "one value per file and feature"
assert np.allclose(shap_all_bg.mean(axis=0), 0), "against all rows, the values average to zero over all rows"
assert np.allclose(shap_neutral_bg[task.y == 0].mean(axis=0), 0), "against neutral, they average to zero on neutral rows"
assert np.allclose(np.ptp(shap_all_bg - shap_neutral_bg, axis=0), 0), "one model: the backgrounds differ by a constant per feature"
assert not np.allclose(shap_all_bg, shap_neutral_bg), "the two backgrounds should differ"
assert isinstance(rho_background, float) and -1 <= rho_background <= 1, "a Spearman correlation (float)"

# %% [markdown] nbgrader={"grade": true, "grade_id": "dixit2024-ex3-answer", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# For one linear model the two explanations differ by a constant per feature,
# w_j · (mean of all rows − mean of the neutral rows). Against a neutral reference, neutral
# files get values near zero and emotional files carry the whole shift, so the attributions
# read as "how far from neutral speech, and in which features". The mean-|SHAP| ranking
# hardly changes (Spearman ρ close to 1 here): the features with large weights and large
# spread stay on top. The choice of reference matters more for the sign and size of single
# explanations than for a global ranking, which is why the `das2022` notebook states its
# neutral reference explicitly.

# %% [markdown]
# ### Exercise 4: a planted family the notebook did not test
# The ground-truth cell tests SHAP on the `synthetic-family` corpus for the notebook's
# emotions. In that corpus boredom is planted in the **Temporal** family only (slower rate,
# longer pauses), the smallest category (6 features). Load the whole corpus
# (`probing.load_corpus("synthetic-family", data_dir, emotions=None)`: the speaker z-scores
# use every file, then `probing.representations(..., embedding_model=None)` for its
# eGeMAPS) and run `probing.planted_family_check` for `["boredom"]` with the notebook's seed
# and folds. Store the table it returns as `truth_boredom`.
#
# Does SHAP put Temporal first, by the category mean and by the median? Which other
# category comes close, and how could a slower rate with longer pauses move features
# outside the Temporal category?

# %% nbgrader={"grade": false, "grade_id": "dixit2024-ex4-solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
### BEGIN SOLUTION
boredom_meta, boredom_egemaps, _ = probing.representations(
    probing.load_corpus("synthetic-family", data_dir, emotions=None), embedding_model=None)
truth_boredom, _ = probing.planted_family_check(boredom_meta, boredom_egemaps, families, ["boredom"], seed, n_outer, n_inner)
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "dixit2024-ex4-check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
assert isinstance(truth_boredom, pd.DataFrame) and list(truth_boredom.emotion) == ["boredom"], "one row, for boredom"
row = truth_boredom.iloc[0]
assert row.dataset == "synthetic-family" and row.planted_family == "Temporal", "use the synthetic-family corpus"
assert row.planted_rank_by_mean in (1, 2, 3, 4) and 0 <= row.egemaps_f1 <= 100, "the table of planted_family_check"
assert row.top_by_mean in probing.CATEGORY_ORDER and row.top_by_median in probing.CATEGORY_ORDER, "eGeMAPS categories"

# %% [markdown] nbgrader={"grade": true, "grade_id": "dixit2024-ex4-answer", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# On the synthetic-family corpus SHAP puts Temporal first for boredom, by the mean and by the
# median, even though Temporal is the smallest category: averaging per category (never
# summing) keeps its 6 features from being outweighed. Energy comes next. A slower rate with
# longer pauses changes the share of silence in the file, so functionals that average over
# the whole file, such as mean loudness and its percentiles, move too, although the level
# while voicing is fixed. A planted cue leaks into other categories through the way the
# functionals are computed, which is why recovery is judged by the rank of the family and
# not by whether the other categories stay at zero.
