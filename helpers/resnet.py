"""Nasr et al.'s small ResNet for log-Mel SER, laid out so that relevance propagation works.

Architecture (paper §3, authors' `trainSER.py`): a 7×7 stride-2 convolution with 32 channels
and BatchNorm, ReLU, 3×3 stride-2 max-pool, two residual blocks (32→64 stride 1, 64→128
stride 2; each conv3×3-BN-ReLU-conv3×3-BN plus a 1×1 projection shortcut without BN),
global average pooling, dropout 0.5 and a linear layer.

What differs from the authors' module layout (not the function):
- every BatchNorm sits inside an `nn.Sequential` right after its convolution, so zennit's
  `SequentialMergeBatchNorm` canonizer can fold it into the convolution (zennit's ResNet
  canonizer needs torchvision, which this project does not install);
- the residual addition is zennit's `Sum` module (applied to a stacked tensor), so a
  composite can give it a conserving rule instead of gradient × input.
`AUTHORS_KEY_MAP` / `load_authors_state_dict` translate the authors' released state dicts
into this layout; files are read with `torch.load(weights_only=True)` (no pickle code).

Training follows the authors: AdamW (lr 3e-4, weight decay 1e-4), batch 32, early stopping on
validation accuracy with patience 7, the best epoch's weights restored.
"""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .devices import batch_size_for, resolve_device
from .zennit_compat import import_zennit

import_zennit()
from zennit.layer import Sum  # noqa: E402  (after the torchvision stand-in is registered)


def conv_bn(c_in: int, c_out: int, kernel: int, stride: int, bias: bool = False, batch_norm: bool = True) -> nn.Sequential:
    """Convolution followed by its BatchNorm in one Sequential (the canonizer's pattern)."""
    layers = [nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=kernel // 2, bias=bias)]
    if batch_norm:
        layers.append(nn.BatchNorm2d(c_out))
    return nn.Sequential(*layers)


class ResidualBlock(nn.Module):
    """conv-BN-ReLU-conv-BN plus a (projection) shortcut, joined by zennit's `Sum`, then ReLU."""

    def __init__(self, c_in: int, c_out: int, stride: int = 1, batch_norm: bool = True):
        super().__init__()
        self.conv1 = conv_bn(c_in, c_out, 3, stride, batch_norm=batch_norm)
        self.relu1 = nn.ReLU()
        self.conv2 = conv_bn(c_out, c_out, 3, 1, batch_norm=batch_norm)
        self.shortcut = (nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False)
                         if c_in != c_out or stride != 1 else nn.Identity())
        self.add = Sum()
        self.relu2 = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        body = self.conv2(self.relu1(self.conv1(x)))
        return self.relu2(self.add(torch.stack([self.shortcut(x), body], dim=-1)))


class SmallResNet(nn.Module):
    """Input (batch, 1, n_mels, frames) log-Mel; output class logits."""

    def __init__(self, n_classes: int, stem_channels: int = 32, widths=(64, 128), dropout: float = 0.5,
                 batch_norm: bool = True, fc_bias: bool = True):
        super().__init__()
        if n_classes < 2:
            raise ValueError(f"SmallResNet needs at least 2 classes, got {n_classes}")
        self.stem = conv_bn(1, stem_channels, 7, 2, batch_norm=batch_norm)
        self.relu = nn.ReLU()
        self.pool = nn.MaxPool2d(3, stride=2, padding=1)
        self.layer1 = ResidualBlock(stem_channels, widths[0], 1, batch_norm)
        self.layer2 = ResidualBlock(widths[0], widths[1], 2, batch_norm)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(widths[1], n_classes, bias=fc_bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(self.relu(self.stem(x)))
        x = self.layer2(self.layer1(x))
        return self.fc(self.dropout(self.flatten(self.gap(x))))


# --- the authors' checkpoints --------------------------------------------------------------
# Their module names (trainSER.ResNetSmall) → ours. BN buffers follow their BN's weights.
AUTHORS_KEY_MAP = [
    (r"^conv1\.weight$", "stem.0.weight"),
    (r"^bn1\.(.+)$", r"stem.1.\1"),
    (r"^(layer[12])\.conv([12])\.weight$", r"\1.conv\2.0.weight"),
    (r"^(layer[12])\.bn([12])\.(.+)$", r"\1.conv\2.1.\3"),
    (r"^(layer[12])\.shortcut\.weight$", r"\1.shortcut.weight"),
    (r"^fc\.(weight|bias)$", r"fc.\1"),
]


def _translate(key: str, rules) -> str:
    for pattern, replacement in rules:
        if re.match(pattern, key):
            return re.sub(pattern, replacement, key)
    raise KeyError(f"state-dict key {key!r} matches no rule of the key map")


def authors_to_ours(state: dict) -> dict:
    """Rename an authors' state dict (ResNetSmall) to this module's keys."""
    return {_translate(k, AUTHORS_KEY_MAP): v for k, v in state.items()}


def ours_to_authors(state: dict) -> dict:
    """The inverse map (used to test that the map round-trips)."""
    inverse = [
        (r"^stem\.0\.weight$", "conv1.weight"),
        (r"^stem\.1\.(.+)$", r"bn1.\1"),
        (r"^(layer[12])\.conv([12])\.0\.weight$", r"\1.conv\2.weight"),
        (r"^(layer[12])\.conv([12])\.1\.(.+)$", r"\1.bn\2.\3"),
        (r"^(layer[12])\.shortcut\.weight$", r"\1.shortcut.weight"),
        (r"^fc\.(weight|bias)$", r"fc.\1"),
    ]
    return {_translate(k, inverse): v for k, v in state.items()}


def load_authors_state_dict(model: SmallResNet, path) -> SmallResNet:
    """Load an authors' `.pth` (a plain state dict) safely: weights_only=True, strict keys."""
    state = torch.load(Path(path), map_location="cpu", weights_only=True)
    if not isinstance(state, dict):
        raise ValueError(f"{path}: expected a state dict, got {type(state).__name__}")
    model.load_state_dict(authors_to_ours(state), strict=True)
    return model


# --- training ------------------------------------------------------------------------------

@dataclass
class TrainResult:
    model: SmallResNet
    best_epoch: int
    best_val_accuracy: float
    history: list = field(default_factory=list)  # dicts: epoch, train_loss, train_acc, val_acc


def predict(model: nn.Module, x: np.ndarray | torch.Tensor, batch_size: int | None = None, device="auto") -> np.ndarray:
    """Logits for a stack of spectrograms (N, n_mels, frames) or (N, 1, n_mels, frames).

    The model is moved to `device` ("auto": a GPU when there is one, helpers.devices); batches
    of 64 on the CPU (`batch_size=None`), larger on a GPU. Logits come back as CPU numpy."""
    device = resolve_device(device)
    batch_size = batch_size or batch_size_for(device, 64)
    x = torch.as_tensor(np.asarray(x), dtype=torch.float32)
    if x.ndim == 3:
        x = x[:, None]
    model.to(device)
    model.eval()
    with torch.no_grad():
        return torch.cat([model(x[i:i + batch_size].to(device)).cpu() for i in range(0, len(x), batch_size)]).numpy()


def train(x_train, y_train, x_val, y_val, n_classes: int, epochs: int = 20, batch_size: int = 32,
          lr: float = 3e-4, weight_decay: float = 1e-4, patience: int = 7, seed: int = 0,
          model: SmallResNet | None = None, device="auto") -> TrainResult:
    """AdamW + early stopping on validation accuracy (the authors' recipe); returns the best model.

    Inputs are arrays (N, n_mels, frames) and integer labels. Shuffling uses its own seeded
    generator, so the result depends only on `seed` (and the torch thread count). The model is
    built on the CPU (same seed, same initial weights) and trained on `device` ("auto": a GPU
    when there is one); `batch_size` is the recipe's, whatever the device. The returned model
    stays on that device.
    """
    if epochs < 1 or patience < 1:
        raise ValueError(f"epochs and patience must be ≥ 1 (got {epochs}, {patience})")
    device = resolve_device(device)
    torch.manual_seed(seed)
    model = (model or SmallResNet(n_classes)).to(device)
    x_train = torch.as_tensor(np.asarray(x_train), dtype=torch.float32)[:, None]
    y_train = torch.as_tensor(np.asarray(y_train), dtype=torch.long)
    y_val = np.asarray(y_val)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    loss_fn = nn.CrossEntropyLoss()
    generator = torch.Generator().manual_seed(seed)
    best = (-1.0, 0, copy.deepcopy(model.state_dict()))
    history, waited = [], 0
    for epoch in range(1, epochs + 1):
        model.train()
        order = torch.randperm(len(x_train), generator=generator)
        total, correct = 0.0, 0
        for start in range(0, len(order), batch_size):
            batch = order[start:start + batch_size]
            labels = y_train[batch].to(device)
            logits = model(x_train[batch].to(device))
            loss = loss_fn(logits, labels)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch)
            correct += int((logits.argmax(1) == labels).sum())
        val_acc = float((predict(model, x_val, device=device).argmax(1) == y_val).mean()) if len(y_val) else float("nan")
        history.append(dict(epoch=epoch, train_loss=total / len(order), train_acc=correct / len(order), val_acc=val_acc))
        if val_acc > best[0]:
            best, waited = (val_acc, epoch, copy.deepcopy(model.state_dict())), 0
        else:
            waited += 1
            if waited >= patience:
                break
    model.load_state_dict(best[2])
    model.eval()
    return TrainResult(model, best[1], best[0], history)


# --- splits --------------------------------------------------------------------------------
SPLITS = ("random", "speaker")


def split_indices(labels, speakers=None, kind: str = "random", seed: int = 42, test_size: float = 0.1,
                  val_size: float = 0.1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(train, val, test) positions.

    random: the authors' stratified 80/10/10 (two `train_test_split` calls, seed 42 in their code).
    speaker: test speakers are held out entirely (the first speaker-grouped fold; with two
    speakers, as in TESS, that is leave-one-speaker-out), validation is a stratified 10 % of the
    remaining files (our choice: the authors have no speaker-independent split).
    """
    from sklearn.model_selection import train_test_split

    from .errors import check_choice
    from .evaluation import speaker_folds

    check_choice("split", kind, SPLITS)
    labels = np.asarray(labels)
    positions = np.arange(len(labels))
    if kind == "random":
        rest, test = train_test_split(positions, test_size=test_size, random_state=seed, stratify=labels)
    else:
        if speakers is None:
            raise ValueError("a speaker split needs the speaker of every file")
        n_speakers = len(np.unique(speakers))
        rest, test = next(speaker_folds(np.asarray(speakers), n_splits=min(5, n_speakers)))
    train, val = train_test_split(rest, test_size=val_size / (1 - test_size) if kind == "random" else val_size,
                                  random_state=seed, stratify=labels[rest])
    return np.sort(train), np.sort(val), np.sort(test)
