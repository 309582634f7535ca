"""Print how much faster batched + masked embedding is than a per-file loop.

Baseline: the papers' code style, one clip at a time through the model, mean over its
frames. Improved: `helpers.embeddings.embed_signals` (length-sorted batches, padding,
mean over valid frames only). Same tiny random-init model, same clips, both under
`torch.inference_mode()`, measured in one run (best of a few repeats, alternating, since
absolute times on a shared machine are noisy). The max |difference| between the two sets
of vectors shows that batching changed nothing. Never asserted anywhere: it is a benchmark.

The pretrained GE2E speaker encoder (`ge2e`, issue #25) is measured the same way against
resemblyzer's own `VoiceEncoder.embed_utterance`, one clip at a time (target >= 3x), and
against our own pipeline run one clip at a time (max |difference|: batching changed
nothing). embed_utterance pools 1.6-s windows, not frames, so its vectors are not ours:
`mean_cosine` says how close the two final embeddings are.

Results also go to benchmarks/results/embeddings.csv.
Usage: python benchmarks/embeddings.py [N_SIGNALS]
"""
from __future__ import annotations

import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from helpers.embeddings import embed_signals, load_model
from helpers.fileio import atomic_write_bytes

RESULTS = Path(__file__).resolve().parent / "results" / "embeddings.csv"
SR = 16000
TARGET_RATIO = 2.0
GE2E_TARGET_RATIO = 3.0  # issue #25


def synthetic_signals(n: int = 40, seed: int = 0) -> list[np.ndarray]:
    """Voiced-ish clips of 1-3 s (random lengths, so batches really need padding)."""
    rng = np.random.default_rng(seed)
    signals = []
    for _ in range(n):
        t = np.arange(int(rng.uniform(1.0, 3.0) * SR)) / SR
        f0 = rng.uniform(100, 250)
        voice = sum(np.sin(2 * np.pi * k * f0 * t) / k for k in range(1, 6))
        signals.append((0.2 * voice + 0.02 * rng.standard_normal(t.size)).astype(np.float32))
    return signals


def per_file_loop(signals, model, extractor) -> np.ndarray:
    """What the authors' scripts do: no batching, one forward pass per clip."""
    vectors = []
    with torch.inference_mode():
        for x in signals:
            inputs = extractor(x, sampling_rate=SR, return_tensors="pt")
            vectors.append(model(inputs["input_values"]).last_hidden_state.mean(dim=1)[0].numpy())
    return np.stack(vectors)


def timed(function):
    start = time.perf_counter()
    value = function()
    return time.perf_counter() - start, value


def measure_signals(signals, model_name: str = "tiny-wavlm", batch_size: int = 8,
                    repeats: int = 5, threads: int | None = None) -> dict:
    """Best-of-`repeats` times of both ways, alternating so a busy spell hits both."""
    model, extractor, _ = load_model(model_name)
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(threads or previous_threads)
    try:
        per_file_loop(signals[:2], model, extractor)  # warm-up: first calls allocate
        embed_signals(signals[:2], model, extractor)
        loop_times, batched_times = [], []
        for _ in range(repeats):
            seconds, looped = timed(lambda: per_file_loop(signals, model, extractor))
            loop_times.append(seconds)
            seconds, batched = timed(lambda: embed_signals(signals, model, extractor,
                                                           batch_size=batch_size))
            batched_times.append(seconds)
        used_threads = torch.get_num_threads()
    finally:
        torch.set_num_threads(previous_threads)
    return {"benchmark": f"embeddings batched({batch_size})+masked vs per-file ({model_name})",
            "threads": used_threads, "baseline_s": min(loop_times),
            "improved_s": min(batched_times), "ratio": min(loop_times) / min(batched_times),
            "target": TARGET_RATIO, "n_files": len(signals),
            "max_abs_diff": float(np.abs(batched - looped).max())}


def resemblyzer_loop(signals, encoder) -> np.ndarray:
    """resemblyzer's own way: volume normalisation (as our front end), then embed_utterance
    (overlapping 1.6-s windows through the network, one clip per call)."""
    from resemblyzer import normalize_volume

    return np.stack([encoder.embed_utterance(normalize_volume(x, -30, increase_only=True)) for x in signals])


def _cosines(a, b) -> np.ndarray:
    return (a * b).sum(axis=1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)


def measure_ge2e(signals, repeats: int = 3, threads: int | None = None) -> list[dict]:
    """Batched `ge2e` (default batch) vs resemblyzer's embed_utterance loop and vs our own
    pipeline one clip at a time; best of `repeats`, alternating."""
    from resemblyzer import VoiceEncoder

    model, extractor, _ = load_model("ge2e")
    encoder = VoiceEncoder("cpu", verbose=False)
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(threads or previous_threads)
    try:
        resemblyzer_loop(signals[:2], encoder)  # warm-up
        embed_signals(signals[:2], model, extractor)
        times = {"resemblyzer": [], "ours one by one": [], "batched": []}
        for _ in range(repeats):
            seconds, theirs = timed(lambda: resemblyzer_loop(signals, encoder))
            times["resemblyzer"].append(seconds)
            seconds, single = timed(lambda: np.concatenate(
                [embed_signals([x], model, extractor) for x in signals]))
            times["ours one by one"].append(seconds)
            seconds, batched = timed(lambda: embed_signals(signals, model, extractor))
            times["batched"].append(seconds)
        used_threads = torch.get_num_threads()
    finally:
        torch.set_num_threads(previous_threads)
    batch = model.default_batch_size
    best = {name: min(values) for name, values in times.items()}
    common = {"threads": used_threads, "improved_s": best["batched"], "target": GE2E_TARGET_RATIO,
              "n_files": len(signals), "per_clip_s": best["batched"] / len(signals)}
    return [{"benchmark": f"ge2e batched({batch}) vs resemblyzer embed_utterance per clip", **common,
             "baseline_s": best["resemblyzer"], "ratio": best["resemblyzer"] / best["batched"],
             "max_abs_diff": np.nan, "mean_cosine": float(_cosines(batched, theirs).mean())},
            {"benchmark": f"ge2e batched({batch}) vs the same pipeline per clip", **common,
             "baseline_s": best["ours one by one"], "ratio": best["ours one by one"] / best["batched"],
             "max_abs_diff": float(np.abs(batched - single).max()), "mean_cosine": np.nan}]


def measure(paths, model_name: str = "tiny-wavlm", batch_size: int = 8) -> dict:
    """The same measurement on sound files (used by benchmarks/features.py)."""
    from helpers.audio import load_audio

    return measure_signals([load_audio(p, sr=SR) for p in paths], model_name, batch_size)


def main(n_signals: int = 40) -> pd.DataFrame:
    """Torch's default thread count (what users get) and one thread (no contention effects)."""
    signals = synthetic_signals(n_signals)
    thread_counts = sorted({torch.get_num_threads(), 1}, reverse=True)
    rows = [measure_signals(signals, threads=n) for n in thread_counts]
    rows += [row for n in thread_counts for row in measure_ge2e(signals, threads=n)]
    table = pd.DataFrame(rows)
    table["machine"] = (f"{platform.machine()} {os.cpu_count()} cores, torch {torch.__version__}, "
                        f"Python {platform.python_version()}")
    print(table.drop(columns="machine").to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    print(table.machine.iloc[0])
    atomic_write_bytes(RESULTS, table.to_csv(index=False, float_format="%.4g").encode())
    return table


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 40)
