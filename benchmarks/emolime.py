"""EmoLIME speed: our batched STFT-masked explanation vs a reference loop in the authors' style.

Reference (as in the authors' code): for each of the n perturbations, zero blocks of the
128-bin mel power spectrogram, invert it with Griffin-Lim (32 iterations, n_fft 2048), and
call the model on that one signal (features of one signal, one predict_proba call).
Ours: one STFT, all n masked signals rebuilt at once with the original phase, features of
all of them extracted in parallel threads (ComParE) or in padded batches (wav2vec2), one
predict_proba call. Same utterances, same fitted LOSO models, same masks; the surrogate fit
(LimeBase) is included in both. Target speed-up ≥ 5×. Only the ratio means anything on a
shared machine. Usage: python benchmarks/emolime.py [N_UTTERANCES] [N_PERTURBATIONS]
"""
from __future__ import annotations

import os
import sys
import time

import numpy as np
import torch

from helpers import emolime
from helpers import emolime_models as em
from helpers.embeddings import load_model


def reference(signal, predict, label, masks) -> emolime.Explanation:
    scores = []
    for mask in masks:  # one Griffin-Lim inversion and one model call per perturbation
        audio = emolime.perturb_griffinlim(signal, mask[None])[0]
        scores.append(predict([audio])[0, label])
    return emolime.explain_scores(masks, np.array(scores))


def ours(signal, predict, label, masks) -> emolime.Explanation:
    return emolime.explain_signal(signal, {"m": predict}, {"m": label}, masks)["m"]


def main(n_utterances: int = 1, n_perturbations: int = 32) -> None:
    torch.set_num_threads(1)
    model, extractor, _ = load_model("tiny-wav2vec2", seed=0)
    featurizers = {"compare": em.Featurizer("compare"), "wav2vec2": em.Featurizer("wav2vec2", model, extractor)}
    run = em.prepare_dataset("synthetic", featurizers, seed=0, max_speakers=4, max_seconds=1.5)
    featurizers["compare"].cache = False  # time extraction, not cache reads, on both sides
    rows = run.table.groupby("emotion").head(1).index[:n_utterances]
    masks = emolime.lime_masks(n_perturbations)
    ours(run.signals[rows[0]], lambda s: np.ones((len(s), 4)), 0, masks[:4])  # warm-up: librosa, numba
    print(f"{len(rows)} utterances × {n_perturbations} perturbations, {len(run.signals[rows[0]]) / 16000:.1f} s clips")
    for name, featurize in featurizers.items():
        times = {"reference": 0.0, "ours": 0.0}
        for i in rows:
            row = run.table.loc[i]
            predict = run.predictor(name, row["speaker"], featurize)
            label = run.loso[name].classes.index(row["emotion"])
            for kind, explain in (("reference", reference), ("ours", ours)):
                start = time.perf_counter()
                explain(run.signals[i], predict, label, masks)
                times[kind] += time.perf_counter() - start
        print(f"{name:9s} reference {times['reference']:7.1f} s   ours {times['ours']:6.1f} s   "
              f"speed-up {times['reference'] / times['ours']:5.1f}×")
    print(f"load average {os.getloadavg()[0]:.2f} (2 cores shared)")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
