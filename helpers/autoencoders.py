"""Undercomplete (UAE) and denoising (DAE) autoencoders with a 2-D latent (Das et al. 2022).

Both share one fully connected architecture, 88 → h1 → h2 → 2 → h2 → h1 → 88 (Das 2022
§2 and Fig. 1 draw it but list no hidden sizes; 64-32, ReLU hidden, linear latent and
linear output are our choice). The only difference: the DAE sees x + N(0, σ²) during
training (noise drawn afresh for every batch, clean target), never at evaluation.
Every ReLU is its own module, so DeepLIFT (captum) can find and rescale each one.

Training is deterministic for a seed: the weights, the batch order and the noise come from
seeded generators, and the torch thread count is fixed while training.
"""
from __future__ import annotations

from dataclasses import dataclass

import matplotlib.patches as mpatches
import numpy as np
import pandas as pd
import torch
from torch import nn

from .devices import model_device, resolve_device
from .errors import InvalidParameterError, check_choice

KINDS = ("uae", "dae")
HIDDEN = (64, 32)  # our choice: the paper draws but does not list the hidden sizes
LATENT_DIM = 2  # Das 2022 §2: z ∈ R^2
THREADS = 1  # fixed thread count while training, so reductions never reorder between runs


def _mlp(sizes: list[int], last_linear: bool = True) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2 or not last_linear:
            layers.append(nn.ReLU())  # a new module per activation (DeepLIFT needs this)
    return nn.Sequential(*layers)


class Autoencoder(nn.Module):
    """`encoder`: n_in → hidden… → latent (linear); `decoder`: the mirror back to n_in (linear)."""

    def __init__(self, n_in: int = 88, hidden=HIDDEN, latent_dim: int = LATENT_DIM):
        super().__init__()
        sizes = [int(n_in), *map(int, hidden), int(latent_dim)]
        if min(sizes) < 1:
            raise InvalidParameterError(f"layer sizes must be positive, got {sizes}")
        self.sizes = sizes
        self.encoder = _mlp(sizes)
        self.decoder = _mlp(sizes[::-1])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder(x))


@dataclass(frozen=True)
class TrainConfig:
    """Das 2022 §3: 50 epochs, batch 64, Adam with lr 1e-3, MSE; DAE noise N(0, 1) (§2)."""

    kind: str = "uae"
    epochs: int = 50
    batch_size: int = 64
    lr: float = 1e-3
    noise_std: float = 1.0
    hidden: tuple = HIDDEN
    latent_dim: int = LATENT_DIM

    def __post_init__(self):
        check_choice("kind", self.kind, KINDS)
        for name in ("epochs", "batch_size", "latent_dim"):
            if int(getattr(self, name)) < 1:
                raise InvalidParameterError(f"{name} must be ≥ 1, got {getattr(self, name)}")
        if self.lr <= 0 or self.noise_std < 0:
            raise InvalidParameterError(f"lr must be > 0 and noise_std ≥ 0, got {self.lr}, {self.noise_std}")


def corrupt(batch: torch.Tensor, kind: str, noise_std: float, generator: torch.Generator) -> torch.Tensor:
    """The network input for one training batch: x for the UAE, x + N(0, σ²) for the DAE."""
    if kind == "uae" or noise_std == 0:
        return batch
    return batch + noise_std * torch.randn(batch.shape, generator=generator, dtype=batch.dtype)


class _Threads:
    def __init__(self, n: int):
        self.n = n

    def __enter__(self):
        self.saved = torch.get_num_threads()
        torch.set_num_threads(self.n)

    def __exit__(self, *exc):
        torch.set_num_threads(self.saved)


def train_autoencoder(X, config: TrainConfig = TrainConfig(), seed: int = 0, on_batch=None, device="auto"):
    """Fit an autoencoder on the rows of X (already standardised); returns (model in eval
    mode, per-epoch mean MSE as a DataFrame). `on_batch(net_input, target)` sees every batch
    (tests use it to check that only the DAE's training input is noisy). The weights, batch
    order and noise are drawn on the CPU as always; the model trains on `device` ("auto": a
    GPU when there is one) and stays there."""
    device = resolve_device(device)
    X = torch.as_tensor(np.asarray(X, dtype=np.float32))
    if X.ndim != 2 or len(X) == 0:
        raise ValueError(f"expected a non-empty 2-D feature matrix, got shape {tuple(X.shape)}")
    with _Threads(THREADS):
        torch.manual_seed(seed)
        model = Autoencoder(X.shape[1], config.hidden, config.latent_dim).to(device)
        order_gen = torch.Generator().manual_seed(seed + 1)
        noise_gen = torch.Generator().manual_seed(seed + 2)
        optimiser = torch.optim.Adam(model.parameters(), lr=config.lr)
        loss_fn = nn.MSELoss()
        history = []
        model.train()
        for epoch in range(config.epochs):
            total = 0.0
            for idx in torch.randperm(len(X), generator=order_gen).split(config.batch_size):
                target = X[idx]
                net_input = corrupt(target, config.kind, config.noise_std, noise_gen)
                if on_batch is not None:
                    on_batch(net_input, target)
                optimiser.zero_grad()
                loss = loss_fn(model(net_input.to(device)), target.to(device))
                loss.backward()
                optimiser.step()
                total += loss.item() * len(idx)
            history.append({"epoch": epoch + 1, "mse": total / len(X)})
    model.eval()
    return model, pd.DataFrame(history)


def encode(model: Autoencoder, X) -> np.ndarray:
    """Latent coordinates of clean inputs (no noise at evaluation, for either kind), computed
    on the model's device."""
    device = model_device(model)
    with torch.no_grad(), _Threads(THREADS):
        x = torch.as_tensor(np.asarray(X, dtype=np.float32)).to(device)
        return model.encoder(x).cpu().numpy().astype(np.float64)


def reconstruction_mse(model: Autoencoder, X) -> float:
    with torch.no_grad(), _Threads(THREADS):
        x = torch.as_tensor(np.asarray(X, dtype=np.float32)).to(model_device(model))
        return float(((model(x) - x) ** 2).mean())


# --- Fig. 1: the architecture, read from the model ---------------------------------------

def architecture_table(model: Autoencoder) -> pd.DataFrame:
    """One row per layer of units (input, hidden, latent, output) with its size, part and the
    activation applied to it, read from the module list so the drawing matches the model."""
    rows = [{"layer": 0, "part": "input", "units": model.sizes[0], "activation": "—"}]
    for part, seq in (("encoder", model.encoder), ("decoder", model.decoder)):
        modules = list(seq)
        for i, module in enumerate(modules):
            if isinstance(module, nn.Linear):
                follows_relu = i + 1 < len(modules) and isinstance(modules[i + 1], nn.ReLU)
                rows.append({"layer": len(rows), "part": part, "units": module.out_features,
                             "activation": "ReLU" if follows_relu else "linear"})
    table = pd.DataFrame(rows)
    table.loc[table.layer == len(model.sizes) - 1, "part"] = "latent"
    table.loc[table.layer == table.layer.max(), "part"] = "output"
    table["parameters"] = [0] + [sum(p.numel() for p in m.parameters())
                                 for seq in (model.encoder, model.decoder)
                                 for m in seq if isinstance(m, nn.Linear)]
    return table


def plot_architecture(ax, table: pd.DataFrame, title: str = "") -> None:
    """Boxes whose heights follow the layer widths (log scale), joined as a fully connected net."""
    colours = {"input": "#88CCEE", "encoder": "#DDDDDD", "latent": "#CC6677",
               "decoder": "#DDDDDD", "output": "#88CCEE"}
    top = np.log2(table.units.max()) + 1
    heights = (np.log2(table.units.to_numpy()) + 1) / top * 0.9
    for k, row in enumerate(table.itertuples()):
        h = heights[k]
        ax.add_patch(mpatches.FancyBboxPatch((row.layer - 0.18, -h / 2), 0.36, h,
                                             boxstyle="round,pad=0.02", fc=colours[row.part], ec="black", lw=0.8))
        ax.text(row.layer, h / 2 + 0.07, str(row.units), ha="center", fontsize=8)
        ax.text(row.layer, -h / 2 - 0.1, f"{row.part}\n{row.activation}", ha="center", va="top", fontsize=7)
        if k:  # fully connected: fan lines between consecutive layers
            for a in (-0.5, -0.25, 0.0, 0.25, 0.5):
                for b in (-0.5, 0.0, 0.5):
                    ax.plot([row.layer - 1 + 0.2, row.layer - 0.2], [a * heights[k - 1] * 0.9, b * h * 0.9],
                            color="grey", lw=0.3, zorder=0)
    ax.set(xlim=(-0.6, table.layer.max() + 0.6), ylim=(-0.85, 0.65), title=title)
    ax.axis("off")
