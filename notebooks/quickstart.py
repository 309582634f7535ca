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

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import Audio, display

from helpers import cue_check, datasets, features, seed_everything, synthetic
from helpers.audio import load_audio
from helpers.plotting import save_figure, save_table, set_style
from helpers.spectrograms import log_mel

PAPER = "quickstart"
seed_everything(seed)
set_style()

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
# ground-truth arousal and valence (design §4; `helpers/synthetic.py` documents each choice).

# %%
cues = synthetic.cue_table()
save_table(cues.reset_index(), PAPER, "table2_planted_cues")
cues

# %% [markdown]
# ## Listen and look
# The same speaker and take in every emotion. Because all emotions of one take share
# their random draws, only the planted cue differs between them.

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
# On the default corpus, each measured shift points the same way as the planted one. F0
# level and sound level also match in size, because openSMILE measures them on the scales
# we planted them on. Rate comes out slightly compressed for the slow emotions: longer
# pauses change how openSMILE segments the voiced parts. Measured HNR (not plotted) can go
# the opposite way to the planted change, because a higher F0 raises openSMILE's HNR
# estimate. Keep this in mind when an explainer "finds" HNR. The paper notebooks build on
# this corpus, and each one reports how well its explainer recovers the planted cues.
