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
# # Quickstart: a tour of the planted-cue corpus
#
# Every paper in this companion has one notebook like this one. It runs headlessly with
# `python -m helpers reproduce <name>` (papermill); each figure and table goes through
# `save_figure` / `save_table` into `figures/<name>/`, and every PNG has a CSV of its
# numbers beside it. The first code cell is tagged `parameters`. Its values are the fast
# offline defaults, and papermill can override them, for example
# `python -m helpers reproduce quickstart -p seed 1` or `-p dataset emodb`.
#
# No emotional-speech corpus can be downloaded offline. So the default `dataset` is a
# **synthetic corpus** built from a source–filter voice model. Each emotion shifts
# documented acoustic cues (F0, loudness, rate, spectral tilt, jitter, shimmer, HNR) in
# the directions reported in the acoustic literature. Because we know exactly what was
# planted, we can score every explainer in the paper notebooks against it. The corpus is
# a teaching tool and a ground truth. It is not a model of real emotional speech.

# %% tags=["parameters"]
seed = 0  # one seed for random, numpy, torch and tensorflow
dataset = "synthetic"  # a synthetic variant or a corpus from data_manifest/ (e.g. "emodb")
data_dir = None  # corpus folder (None: $SERXAI_DATA or the per-user cache)
max_speakers = 0  # analyse only this many speakers (0: all of them); the smoke profile uses 4
example_speaker = None  # speaker shown in the listening and spectrogram cells (None: the first)
device = "auto"  # no models run here, the parameter keeps every notebook alike (auto or cpu)
scheduler = None  # per-file work: None runs local threads, "processes" local processes, or a Dask scheduler address like "tcp://host:8786"

# %%
from helpers.quiet import quiet_output

quiet_output()  # no library chatter in the outputs, also when papermill or Jupyter runs this directly
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import Audio, Markdown, display

from helpers.devices import announce
from helpers import cue_check, datasets, features, seed_everything, synthetic
from helpers.audio import load_audio
from helpers.course import resolve_data_dir
from helpers.plotting import save_figure, save_table, set_style
from helpers.spectrograms import log_mel

PAPER = "quickstart"
data_dir = resolve_data_dir(data_dir)  # a relative folder is read from the repository root, not the kernel's cwd
seed_everything(seed)
set_style()
print(announce(device, scheduler, torch_models=False))  # the run summary shows this line

# %% [markdown]
# ## The corpus as a table
# `datasets.load` returns the same tidy table for a synthetic variant and for a real corpus:
# one row per file, with speaker, gender and emotion in a shared vocabulary.

# %%
corpus = datasets.load(dataset, data_dir=data_dir)
if max_speakers:
    keep = corpus.groupby("gender").speaker.unique().explode().sort_values().groupby(level=0).head(max_speakers // 2)
    corpus = corpus[corpus.speaker.isin(keep)].reset_index(drop=True)
counts = corpus.pivot_table(index="speaker", columns="emotion", values="path", aggfunc="count", fill_value=0)
save_table(counts.reset_index(), PAPER, "table1_files_per_speaker")
print(f"{len(corpus)} files, {corpus.speaker.nunique()} speakers, emotions: {', '.join(counts.columns)}")

# %% [markdown]
# ## What was planted
# Each emotion is one row of shifts relative to neutral: F0 in semitones, loudness in dB,
# rate/range/jitter/shimmer as multipliers, tilt in dB per octave, HNR in dB, plus
# ground-truth arousal and valence (the comments above `EMOTION_CUES` in
# `helpers/synthetic.py` give each unit and the literature behind the directions). On a
# real corpus nothing is planted: the table then stands for the directions the acoustic
# literature reports, which the last section compares with that corpus.

# %%
cues = synthetic.cue_table()
save_table(cues.reset_index(), PAPER, "table2_planted_cues")
cues

# %% [markdown]
# ## Listen and look
# The same speaker and take in every emotion. In a synthetic corpus all emotions of one
# take share their random draws, so only the planted cue differs between them; in a real
# corpus the first file of each emotion is shown, whatever its sentence.

# %%
speaker = example_speaker or corpus.speaker.iloc[0]
examples = corpus[(corpus.speaker == speaker)].groupby("emotion").head(1).set_index("emotion")
for emotion, row in examples.iterrows():
    print(emotion)
    display(Audio(load_audio(row.path, sr=16000), rate=16000))

# %%
fig, axes = plt.subplots(1, len(examples), figsize=(2.6 * len(examples), 2.6), sharey=True, squeeze=False)
mel_means = []
for ax, (emotion, row) in zip(axes[0], examples.iterrows()):
    mel = log_mel(load_audio(row.path, sr=16000), n_mels=64)
    ax.imshow(mel, origin="lower", aspect="auto", cmap="magma", vmin=-80, vmax=0)
    ax.set(title=emotion, xlabel="frame (15 ms)")
    mel_means.append(pd.DataFrame({"emotion": emotion, "mel_bin": np.arange(64), "mean_db": mel.mean(axis=1)}))
axes[0, 0].set_ylabel("Mel bin")
save_figure(fig, PAPER, "fig1_log_mel_by_emotion", data=pd.concat(mel_means, ignore_index=True))

# %% [markdown]
# ## Are the cues measurable?
# We extract the 88 eGeMAPS functionals with openSMILE. Then, for each speaker, we compare
# each emotion with the same speaker's neutral files. F0 level (semitones) and sound level
# (dB) are on the planted scale. Voiced segments per second stands in for speaking rate.

# %%
functionals = features.extract(corpus, show_progress=False)
comparison = cue_check.measured_vs_planted(corpus, functionals, cues)
save_table(comparison, PAPER, "table3_measured_vs_planted")

# %%
# NBVAL_CHECK_OUTPUT
print(comparison.pivot(index="emotion", columns="cue", values="measured").round(2).to_string())
print(f"\nsame direction as planted: {int(comparison.same_direction.sum())} of {comparison.same_direction.notna().sum()}")

# %%
grid = comparison.copy()
fig, axes = plt.subplots(1, 3, figsize=(10, 3.2))
for ax, (cue, part) in zip(axes, grid.groupby("cue", sort=False)):
    ax.scatter(part.planted, part.measured)
    for _, row in part.iterrows():
        ax.annotate(row.emotion, (row.planted, row.measured), fontsize=7, xytext=(3, 3), textcoords="offset points")
    lo, hi = min(part.planted.min(), part.measured.min()), max(part.planted.max(), part.measured.max())
    ax.plot([lo, hi], [lo, hi], color="grey", lw=0.8, ls="--")
    ax.set(title=cue, xlabel="planted", ylabel="measured")
save_figure(fig, PAPER, "fig2_measured_vs_planted", data=grid)

# %% [markdown]
# ## What to take from this run
# The paragraph below is written from the table above, in words that fit the corpus of this
# run: planted cues on a synthetic variant, the literature's directions on a real corpus
# (`cue_check.take_away`).

# %%
display(Markdown(cue_check.take_away(comparison, dataset)))

# %% [markdown]
# ## Exercises
# Four exercises: each asks you to change one thing about the corpus and to check whether
# the measurement follows. Write your answer in the solution cell, in the variables it
# names, then run the check cell below it. The checks test properties that every correct
# answer has, not one exact number. Nothing here writes to `figures/`.
#
# The exercises need the planted-cue default corpus: on another `dataset` the first cell
# below makes each of the following cells print one line saying it was skipped, so the
# notebook still runs to the end. The cell after it loads what the exercises share: one
# synthetic voice, drawn from the notebook seed.

# %%
from helpers.exercise_guard import guard_exercises

exercises_run = guard_exercises(dataset, "synthetic")  # False: the cells below print why they were skipped

# %%
from scipy import signal
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from helpers.evaluation import speaker_folds, uar

voice = synthetic.make_speakers(1, seed=seed)[0]
SR = synthetic.SAMPLE_RATE

# %% [markdown]
# ### Exercise 1: move the planted band
# The `synthetic-band` variant plants every cue inside 1200–1650 Hz and leaves the rest of
# the spectrum neutral. `synthetic.render_utterance(voice, emotion, rng, cue_band=(lo, hi),
# cue_window=None)` puts the band wherever you like. Pick a band `moved_band = (lo, hi)` that
# does not overlap 1200–1650 Hz. Render one anger utterance of `voice` with the cue in that
# band, and its *neutral twin*: the same call with `"neutral"` and an rng seeded the same way.
# Compare the two power spectra (for example with `signal.welch`). Store:
#
# * `moved_info`: the info dict returned for the anger rendering;
# * `band_diff_db`: a pandas Series, the anger level minus the neutral level in dB, indexed
#   by frequency in Hz;
# * `peak_hz`: the frequency where `band_diff_db` is largest in absolute value.
#
# Does the difference follow the band you planted? What does this mean for an explainer that
# attributes a decision to frequency bands (the `hjuler2025` notebook)?

# %% nbgrader={"grade": false, "grade_id": "quickstart-ex1-solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
### BEGIN SOLUTION
moved_band = (2600.0, 3200.0)
twins = {e: synthetic.render_utterance(voice, e, np.random.default_rng(seed), cue_band=moved_band, cue_window=None)
         for e in ("anger", "neutral")}
moved_info = twins["anger"][1]
(freqs, anger_power), (_, neutral_power) = (signal.welch(twins[e][0], fs=SR, nperseg=1024) for e in twins)
band_diff_db = pd.Series(10 * np.log10(anger_power / neutral_power), index=freqs)
peak_hz = float(band_diff_db.abs().idxmax())
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "quickstart-ex1-check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
lo, hi = moved_band
assert 0 < lo < hi < SR / 2, "moved_band should be (lo, hi) in Hz, below the Nyquist frequency"
assert hi <= 1200 or lo >= 1650, "choose a band that does not overlap the default 1200-1650 Hz"
assert moved_info["cue_type"] == "band" and (moved_info["cue_lo_hz"], moved_info["cue_hi_hz"]) == (lo, hi), \
    "moved_info should describe an anger rendering with the cue in moved_band only (cue_window=None)"
assert isinstance(band_diff_db, pd.Series) and band_diff_db.index.min() >= 0 and band_diff_db.index.max() <= SR / 2
assert lo <= peak_hz <= hi, "the largest change should lie inside the band you planted"
outside = band_diff_db[(band_diff_db.index < lo - 100) | (band_diff_db.index > hi + 100)]
assert len(outside) and outside.abs().max() < 1.0, "away from the band the twins should have the same spectrum"

# %% [markdown]
# ### Exercise 2: narrow the time window
# The `synthetic-time` variant confines the cue to one random 0.4 s window. Render an anger
# utterance of `voice` and its neutral twin with a shorter window `window_s` (in seconds, less
# than 0.4) and no band (`cue_band=None`). Then cut their difference signal into 10 ms frames
# and store:
#
# * `window_info`: the info dict of the anger rendering (it records `cue_start_s`, `cue_end_s`);
# * `frame_diff`: a numpy array, the energy of the difference in each 10 ms frame;
# * `changed_s`: the total duration (s) of the frames where the twins differ;
# * `peak_time_s`: the start time (s) of the frame with the largest difference.
#
# Does the changed stretch have the length you asked for, and does it sit where the metadata
# says? Why does a time-window cue make a good test for occlusion or Grad-CAM (the `nasr2025`
# and `smietanka2023` notebooks)?

# %% nbgrader={"grade": false, "grade_id": "quickstart-ex2-solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
### BEGIN SOLUTION
window_s = 0.2
twins = {e: synthetic.render_utterance(voice, e, np.random.default_rng(seed), cue_window=window_s, cue_band=None)
         for e in ("anger", "neutral")}
window_info = twins["anger"][1]
hop = SR // 100
difference = twins["anger"][0].astype(np.float64) - twins["neutral"][0]
frame_diff = np.add.reduceat(difference**2, np.arange(0, len(difference), hop))
changed_s = float((frame_diff > 1e-12).sum() * hop / SR)
peak_time_s = float(np.argmax(frame_diff) * hop / SR)
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "quickstart-ex2-check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
assert 0.05 <= window_s < 0.4, "pick a window shorter than the default 0.4 s (and at least 0.05 s)"
assert window_info["cue_type"] == "time", "render with cue_window=window_s and cue_band=None"
start, end = window_info["cue_start_s"], window_info["cue_end_s"]
assert abs((end - start) - window_s) < 1e-3, "the planted window should have the length you asked for"
assert isinstance(frame_diff, np.ndarray) and abs(len(frame_diff) - window_info["duration_s"] * 100) <= 1
assert abs(changed_s - window_s) <= 0.03, "the twins should differ for about window_s seconds"
assert start - 0.01 <= peak_time_s <= end, "the largest difference should lie inside the planted window"

# %% [markdown]
# ### Exercise 3: weaker cues, same measurement
# The `synthetic-shifted` variant has other speakers and plants every shift at 0.6 times its
# default size (a less acted corpus). Load it with `datasets.load`, keep its first
# `len(corpus)` rows (whole speakers, gender-balanced, as many files as this notebook
# analyses), extract its eGeMAPS functionals and compare measured with planted shifts with
# `cue_check.measured_vs_planted`, using **that variant's** cue table
# (`synthetic.cue_table(variant)`). Call the result `comparison_shifted`.
#
# Do the measured shifts shrink along with the planted ones? Which cue departs most from the
# 0.6 scaling? (Look at how rate is planted: a multiplier.)

# %% nbgrader={"grade": false, "grade_id": "quickstart-ex3-solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
### BEGIN SOLUTION
shifted = datasets.load("synthetic-shifted", data_dir=data_dir).head(len(corpus))
shifted_functionals = features.extract(shifted, show_progress=False)
comparison_shifted = cue_check.measured_vs_planted(shifted, shifted_functionals, synthetic.cue_table("synthetic-shifted"))
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "quickstart-ex3-check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
default = comparison.set_index(["emotion", "cue"])
weaker = comparison_shifted.set_index(["emotion", "cue"]).reindex(default.index)
assert weaker.measured.notna().all(), "expected one row per emotion and cue, as in table 3"
is_ratio = default.index.get_level_values("cue").str.contains("ratio")


def size(values):  # distance from "no change": dB or semitones, or the log of a ratio
    values = np.asarray(values, dtype=float)
    return np.where(is_ratio, np.abs(np.log(np.abs(values))), np.abs(values))


assert np.allclose(size(weaker.planted), 0.6 * size(default.planted)), "use the cue table of synthetic-shifted"
assert (size(weaker.measured) < size(default.measured)).all(), "every measured shift should be smaller"
assert weaker.same_direction.dropna().all(), "weaker cues still point the same way"

# %% [markdown] nbgrader={"grade": true, "grade_id": "quickstart-ex3-answer", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# F0 level and sound level shrink to about 0.6 of their default size, because openSMILE
# measures them on the scales they were planted on. The rate ratio departs most (its log
# shrinks to between about 0.5 and 0.75 of the default): voiced segments per second is only
# a proxy for the planted syllable rate. It also depends on the pause lengths and on where
# openSMILE's voicing decision splits the syllables, so it does not scale exactly with the
# planted multiplier.

# %% [markdown]
# ### Exercise 4: a classifier across a channel
# Standardise this notebook's eGeMAPS `functionals` and fit a logistic regression
# (`make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000))`). Store:
#
# * `uar_default`: its UAR (`uar`) under speaker-grouped cross-validation on this corpus
#   (`cross_val_predict` with `cv=list(speaker_folds(speakers))`);
# * `uar_channel`: the UAR of the model fitted on all of this corpus, tested on the
#   `synthetic-channel` variant (other speakers through a telephone-like channel: 300–3400 Hz,
#   noise, reverberation; keep its first `len(corpus)` rows as in Exercise 3);
# * `uar_channel_own`: the same fitted logistic regression (`model[-1]`), applied to the
#   channel features after standardising them on *their own* mean and standard deviation.
#
# Explain the gap between the three numbers. What does the third one assume about the test
# corpus, and where does the `das2022` notebook make the same choice?

# %% nbgrader={"grade": false, "grade_id": "quickstart-ex4-solution", "locked": false, "schema_version": 3, "solution": true, "task": false}
### BEGIN SOLUTION
y = corpus.emotion.loc[functionals.index]
model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000))
folds = list(speaker_folds(corpus.speaker.loc[functionals.index]))
uar_default = uar(y, cross_val_predict(model, functionals, y, cv=folds))
channel = datasets.load("synthetic-channel", data_dir=data_dir).head(len(corpus))
channel_functionals = features.extract(channel, show_progress=False)
y_channel = channel.emotion.loc[channel_functionals.index]
model.fit(functionals, y)
uar_channel = uar(y_channel, model.predict(channel_functionals))
uar_channel_own = uar(y_channel, model[-1].predict(StandardScaler().fit_transform(channel_functionals)))
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "quickstart-ex4-check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
chance = 1 / corpus.emotion.nunique()
for value in (uar_default, uar_channel, uar_channel_own):
    assert isinstance(value, float) and 0 <= value <= 1, "a UAR is a float between 0 and 1"
assert uar_default > 2 * chance, "on its own corpus the classifier should be far above chance"
assert uar_channel < uar_default - 0.2, "the channel should cost a lot of UAR"
assert uar_channel_own > uar_channel, "standardising the channel corpus on itself should recover some UAR"

# %% [markdown] nbgrader={"grade": true, "grade_id": "quickstart-ex4-answer", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false}
# The channel band-limits, adds noise and reverberates every file, so almost every
# functional (levels, spectral slopes, HNR, formant bandwidths) moves far from where the
# training files put it, and the classifier falls to about chance. Standardising the channel
# corpus on its own statistics removes the shift that is common to all its files, which
# recovers much of the UAR. It assumes that the test corpus is available as a whole, with
# the same mix of emotions as the training corpus, so its mean is a fair neutral point. The
# `das2022` notebook does this with `scaling = "per_corpus"` (its default reading of the
# paper), and compares it with training statistics only.
