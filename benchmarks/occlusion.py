"""Print how much faster batched occlusion is than one perturbation per forward pass.

Same clip, same random-init SmallResNet, same patch, captum `Occlusion` with
`perturbations_per_eval` = 1 (the baseline: one forward pass per occluded patch) and = BATCH
(several occluded copies through the network at once). Alternating repeats, best time of
each kept, because absolute times on a shared machine are noisy; the max |difference|
between the two maps shows that batching changes nothing. A benchmark, never a test.

Usage: python benchmarks/occlusion.py [PATCH] [BATCH] [THREADS]
  PATCH: "authors" (1 Mel bin x 10 frames, stride 1 x 3: thousands of passes, the default)
         or "time" (all Mel bins x 10 frames, stride 5: our notebook default, ~26 passes)
"""
from __future__ import annotations

import os
import sys
import time

import numpy as np
import torch

from helpers import resnet, saliency

TARGET_RATIO = 2.0
PATCHES = {"authors": dict(window=(1, 10), stride=(1, 3)), "time": dict(window=(None, 10), stride=(None, 5))}


def main(patch: str = "authors", batch: int = 64, threads: int = 1, n_mels: int = 64, repeats: int = 2) -> float:
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = resnet.SmallResNet(n_classes=4).eval()
    x = np.random.default_rng(0).uniform(-80, 0, (1, 1, n_mels, 134)).astype(np.float32)
    times = {1: [], batch: []}
    maps = {}
    for _ in range(repeats):
        for per_eval in (1, batch):
            start = time.perf_counter()
            maps[per_eval] = saliency.occlusion_maps(model, x, [0], perturbations_per_eval=per_eval, **PATCHES[patch])
            times[per_eval].append(time.perf_counter() - start)
    one, many = min(times[1]), min(times[batch])
    ratio = one / many
    print(f"occlusion, patch {patch!r}, {n_mels} Mel x 134 frames, torch threads {threads}, "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"  1 perturbation per pass: {one:.2f} s   {batch} per pass: {many:.2f} s   "
          f"speed-up {ratio:.2f}x (target ≥ {TARGET_RATIO:g}x)   max |diff| {np.abs(maps[1] - maps[batch]).max():.2e}")
    return ratio


if __name__ == "__main__":
    args = sys.argv[1:]
    main(args[0] if args else "authors", int(args[1]) if len(args) > 1 else 64, int(args[2]) if len(args) > 2 else 1)
