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
# # Quickstart: how this companion works
#
# Every paper in this repository has one notebook like this one. It is executed headlessly
# by `python -m helpers reproduce <name>` (papermill), and every figure and table it makes
# is written by `save_figure` / `save_table` to `figures/<name>/`, with the plotted numbers
# beside each PNG as CSV. The first code cell is tagged `parameters`: its values are the
# fast offline defaults, and papermill replaces them, e.g.
# `python -m helpers reproduce quickstart -p seed 1`.
#
# Here we generate a few harmonic "voices" with known pitch, draw their log-Mel
# spectrograms and check that a pitch tracker recovers the pitch we put in.

# %% tags=["parameters"]
seed = 0  # one seed for random, numpy, torch and tensorflow
n_voices = 4  # number of generated signals
duration_s = 1.0  # length of each signal in seconds
sample_rate = 16000  # Hz

# %%
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt

from helpers import seed_everything
from helpers.plotting import save_figure, save_table, set_style

PAPER = "quickstart"
seed_everything(seed)
set_style()
rng = np.random.default_rng(seed)

# %% [markdown]
# ## Generated voices
# Each voice is a harmonic series whose fundamental frequency (F0) we choose at random
# between 100 and 250 Hz, with a gentle vibrato and a 1/k amplitude roll-off.

# %%
from helpers.signals import harmonic_voice

f0s = np.sort(rng.uniform(100, 250, n_voices)).round(1)
voices = [harmonic_voice(f0, duration_s, sample_rate, rng) for f0 in f0s]
print(f"{n_voices} voices, {duration_s} s each at {sample_rate} Hz")

# %% [markdown]
# ## Log-Mel spectrograms

# %%
import librosa

mels = [librosa.power_to_db(librosa.feature.melspectrogram(y=v, sr=sample_rate, n_mels=64), ref=np.max)
        for v in voices]
fig, axes = plt.subplots(1, n_voices, figsize=(3 * n_voices, 2.6), sharey=True, squeeze=False)
for ax, mel, f0 in zip(axes[0], mels, f0s):
    ax.imshow(mel, origin="lower", aspect="auto", cmap="magma")
    ax.set(title=f"F0 = {f0} Hz", xlabel="frame")
axes[0, 0].set_ylabel("Mel bin")
mean_db = pd.DataFrame({"voice": np.repeat(np.arange(n_voices), 64), "mel_bin": np.tile(np.arange(64), n_voices),
                        "mean_db": np.concatenate([m.mean(axis=1) for m in mels])})
save_figure(fig, PAPER, "fig1_log_mel", data=mean_db)

# %% [markdown]
# ## Does a pitch tracker find the F0 we planted?
# `librosa.pyin` estimates F0 frame by frame; its median over voiced frames should sit
# within a few per cent of the planted value.

# %%
# NBVAL_CHECK_OUTPUT
measured = [np.nanmedian(librosa.pyin(v, fmin=60, fmax=400, sr=sample_rate)[0]) for v in voices]
table = pd.DataFrame({"voice": range(n_voices), "planted_f0_hz": f0s, "measured_f0_hz": np.round(measured, 1)})
table["error_pct"] = (100 * (table.measured_f0_hz - table.planted_f0_hz) / table.planted_f0_hz).round(1)
save_table(table, PAPER, "table1_f0_recovery")
print(table.to_string(index=False))
