"""Mean-pooled hidden states of speech encoders: self-supervised models (WavLM, wav2vec 2.0)
and the pretrained GE2E speaker encoder packaged in `resemblyzer` (`helpers.ge2e`).

Dixit et al. probe mean-pooled WavLM-large embeddings; EmoLIME explains the audEERING
wav2vec2 emotion model. Both need one vector per file, and batching clips of different
lengths must not change that vector: padded frames are excluded from the mean, and a model
whose feature encoder cannot ignore padding (group norm, no attention mask) is only ever
batched with clips of exactly the same length.

Offline (no hub access, the default here and in CI) `tiny-wavlm` / `tiny-wav2vec2` are
small *randomly initialised* stand-ins built from a config: they exercise the whole
pipeline (frame rate, masking, pooling, caching) but their numbers mean nothing about
emotion. The papers' checkpoints load by name once they are in the Hugging Face cache.
`ge2e` is a genuinely pretrained network that needs no download (its weights come with the
installed resemblyzer wheel): a speaker encoder, not an emotion or SSL model, so it stands in
for "a pretrained deep embedding" only. `ge2e-random` is the same network with random weights,
the null it is compared with.
"""
from __future__ import annotations

import hashlib
import itertools
import json
import math
import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from .cache import FeatureCache, make_key
from .errors import AudioError, CorruptAudioError, InvalidParameterError, SerxaiError, check_choice
from .progress import progress as progress_bar

SAMPLING_RATE = 16000
TINY_MODELS = ("tiny-wavlm", "tiny-wav2vec2")
GE2E_MODELS = ("ge2e", "ge2e-random")  # helpers.ge2e: pretrained (packaged weights) / random init
STAND_INS = TINY_MODELS + ("ge2e-random",)  # random-init: they demonstrate a pipeline, nothing learned
RANDOM_COPIES = {"ge2e": "ge2e-random"}  # pretrained model without a hub download → same network, random weights
CHECKPOINTS = (
    "microsoft/wavlm-large",  # Dixit et al. 2024
    "microsoft/wavlm-base-plus",  # the Binder-sized option
    "audeering/wav2vec2-large-robust-12-ft-emotion-msp-dim",  # the model EmoLIME explains
)
KNOWN_MODELS = TINY_MODELS + GE2E_MODELS + CHECKPOINTS
WEIGHT_SUFFIXES = (".safetensors", ".bin")
DEFAULT_BATCH_SIZE = 8  # clips per forward pass unless the model sets `default_batch_size`

# Small enough to build in ~0.1 s, shaped like the large models: same 320x conv stride
# (so frame counts match the real ones), per-frame layer norm and an attention mask.
TINY_CONFIG = dict(
    hidden_size=64,
    num_hidden_layers=2,
    num_attention_heads=4,
    intermediate_size=128,
    conv_dim=(32,) * 7,
    conv_stride=(5, 2, 2, 2, 2, 2, 2),
    conv_kernel=(10, 3, 3, 3, 3, 2, 2),
    feat_extract_norm="layer",
    do_stable_layer_norm=True,
    num_conv_pos_embeddings=16,
    num_conv_pos_embedding_groups=4,
)


class ModelNotAvailableError(SerxaiError):
    """A named checkpoint is neither a local model directory nor in the Hugging Face cache."""


class SkippedFilesWarning(UserWarning):
    """Some files of a batch were left out; `DataFrame.attrs["skipped"]` lists them."""


# ---------------------------------------------------------------- loading models


def tiny_config(name: str = "tiny-wavlm", **overrides):
    """Config of a random-init stand-in; overrides build variants (e.g. a group-norm one)."""
    from transformers import Wav2Vec2Config, WavLMConfig

    check_choice("tiny model", name, TINY_MODELS)
    config_class = WavLMConfig if name == "tiny-wavlm" else Wav2Vec2Config
    return config_class(**{**TINY_CONFIG, **overrides})


def tiny_feature_extractor(return_attention_mask: bool = True):
    """What large-model checkpoints ship: per-clip normalisation, zero padding, a mask."""
    from transformers import Wav2Vec2FeatureExtractor

    return Wav2Vec2FeatureExtractor(
        feature_size=1, sampling_rate=SAMPLING_RATE, padding_value=0.0,
        do_normalize=True, return_attention_mask=return_attention_mask,
    )


def _model_class(model_type: str):
    from transformers import Wav2Vec2Model, WavLMModel

    classes = {"wavlm": WavLMModel, "wav2vec2": Wav2Vec2Model}
    check_choice("model_type (in config.json)", model_type, classes)
    return classes[model_type]


def _build_tiny(name: str, seed: int):
    import torch

    config = tiny_config(name)
    torch.manual_seed(seed)  # same seed, same weights: the stand-in's numbers are reproducible
    return _model_class(config.model_type)(config).eval()


def _hub_offline() -> bool:
    """Read at call time (huggingface_hub reads it once at import), so offline fails fast."""
    flags = (os.environ.get("HF_HUB_OFFLINE", ""), os.environ.get("TRANSFORMERS_OFFLINE", ""))
    return any(flag.strip().lower() in ("1", "true", "yes", "on") for flag in flags)


def _not_available(name: str, reason: str) -> ModelNotAvailableError:
    return ModelNotAvailableError(
        f"cannot load model {name!r}: it is not a local directory with a config.json and not in "
        f"the Hugging Face cache ({reason}). To get it: run once with internet access (it is then "
        f"cached), or run `huggingface-cli download {name}`, or pass the path of a local directory "
        f"holding the model. Without the checkpoint, use the offline stand-in 'tiny-wavlm' "
        f"(random weights: it demonstrates the pipeline, not the paper's numbers), or 'ge2e' "
        f"(a pretrained speaker encoder that ships with resemblyzer: learned, but not the paper's model)."
    )


def _check_known_name(name: str) -> None:
    """Bare names must be ours; anything with '/' may be a hub id or a path."""
    if name in KNOWN_MODELS or "/" in name or os.sep in name or Path(name).is_dir():
        return
    raise InvalidParameterError(
        f"invalid model name {name!r}; valid choices: {', '.join(KNOWN_MODELS)} "
        f"(or a local directory containing config.json, or another Hugging Face id 'owner/name')"
    )


def _checkpoint_dir(name: str) -> Path:
    """The folder holding config.json: `name` itself, or its snapshot in the HF cache."""
    if Path(name).is_dir():
        if not (Path(name) / "config.json").is_file():
            raise _not_available(name, f"directory {name} has no config.json")
        return Path(name)
    from transformers.utils import cached_file

    try:
        config_path = cached_file(name, "config.json", local_files_only=_hub_offline())
    except (OSError, ValueError) as exc:
        raise _not_available(name, str(exc).splitlines()[0]) from None
    if config_path is None:
        raise _not_available(name, "no config.json found")
    return Path(config_path).parent


def _feature_extractor_for(name: str, config):
    """The checkpoint's own extractor; a folder saved without one gets the standard one."""
    from transformers import AutoFeatureExtractor

    try:
        return AutoFeatureExtractor.from_pretrained(
            name, local_files_only=_hub_offline(), trust_remote_code=False)
    except (OSError, ValueError):
        warnings.warn(f"{name}: no preprocessor_config.json; using the standard wav2vec2 "
                      f"feature extractor (normalised input, attention mask iff layer norm)",
                      stacklevel=3)
        return tiny_feature_extractor(return_attention_mask=config.feat_extract_norm == "layer")


def _load_pretrained(name: str):
    import torch
    from transformers import AutoConfig

    folder = _checkpoint_dir(name)  # raises ModelNotAvailableError with the how-to
    offline = _hub_offline()
    config = AutoConfig.from_pretrained(name, local_files_only=offline, trust_remote_code=False)
    model_class = _model_class(config.model_type)
    try:
        # Only the backbone: a checkpoint with a head (audEERING's regression head) loads
        # its wav2vec2.* weights and ignores the head.
        model = model_class.from_pretrained(
            name, local_files_only=offline, trust_remote_code=False, dtype=torch.float32)
    except OSError as exc:
        reason = f"weights missing in {folder}: {str(exc).splitlines()[0]}"
        raise _not_available(name, reason) from None
    return model.eval(), _feature_extractor_for(name, config)


def padding_is_safe(model, feature_extractor) -> bool:
    """True when zero padding cannot change valid frames: layer-norm conv encoder + mask, or a
    model that says so (`pads_safely`: GE2E's unidirectional LSTM over per-clip mel frames).

    Group-norm encoders (wav2vec2-base, WavLM-base+) normalise over time, padding
    included, and models whose extractor returns no mask attend to padded frames.
    """
    if getattr(model, "pads_safely", False):
        return True
    return bool(getattr(feature_extractor, "return_attention_mask", False)) and (
        getattr(model.config, "feat_extract_norm", "group") == "layer"
    )


def model_label(name: str, short: bool = False) -> str:
    """How figures and tables name the model: stand-ins and the speaker encoder say what they are
    (`short`: the brief form a table row's name uses)."""
    name = str(name)
    if name in STAND_INS:
        return f"{name}, random-init stand-in" if short else f"{name} (random-init stand-in)"
    if name == "ge2e":
        return "ge2e, pretrained stand-in" if short else "ge2e (pretrained speaker-encoder stand-in, not an SER model)"
    return name


def _info(name: str, model, feature_extractor, kind: str) -> dict:
    return {
        "name": name,
        "kind": kind,
        "label": model_label(name),
        "hidden_size": int(model.config.hidden_size),
        "num_layers": int(model.config.num_hidden_layers),
        "sampling_rate": int(feature_extractor.sampling_rate),
        "padding_is_safe": padding_is_safe(model, feature_extractor),
    }


def load_model(name: str = "tiny-wavlm", seed: int = 0, device="auto"):
    """(model in eval mode on `device`, feature extractor, info) for a stand-in, hub id or local folder.

    info["kind"] is "random-init stand-in" for the tiny models and `ge2e-random`, so a figure
    made with them can say so ("pretrained" otherwise; info["label"] names the model for a
    title). `ge2e` loads the GE2E weights packaged in resemblyzer (no network; `seed` unused).
    A checkpoint that cannot be found raises ModelNotAvailableError saying how to get it; an
    unknown bare name raises InvalidParameterError listing the known ones. The weights are
    built on the CPU as always (same seed, same weights) and then moved to `device`
    ("auto": a GPU when there is one, see helpers.devices).
    """
    from .devices import resolve_device

    name = str(name)
    _check_known_name(name)
    target = resolve_device(device)  # an unavailable device fails before any loading
    if name in TINY_MODELS:
        model, extractor = _build_tiny(name, seed), tiny_feature_extractor()
        kind = "random-init stand-in"
    elif name in GE2E_MODELS:
        from . import ge2e

        model, extractor = ge2e.build(pretrained=name == "ge2e", seed=seed), ge2e.FrontEnd()
        kind = "pretrained" if name == "ge2e" else "random-init stand-in"
    else:
        (model, extractor), kind = _load_pretrained(name), "pretrained"
    model = model.to(target)
    return model, extractor, _info(name, model, extractor, kind)


def _folder_fingerprint(folder: Path) -> str:
    """config.json bytes plus weight files' sizes and times: edits or new weights change it."""
    digest = hashlib.sha256((folder / "config.json").read_bytes())
    for weights in sorted(folder.iterdir()):
        if weights.name.endswith(WEIGHT_SUFFIXES):
            stat = weights.stat()  # follows the HF cache's symlinks to the blobs
            digest.update(f"{weights.name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:16]


def model_identity(name: str = "tiny-wavlm", seed: int = 0) -> str:
    """What the weights depend on, without loading them (cache keys need it before loading)."""
    import torch

    name = str(name)
    _check_known_name(name)
    if name in TINY_MODELS:
        recipe = hashlib.sha256(json.dumps(TINY_CONFIG, sort_keys=True).encode()).hexdigest()[:12]
        return f"{name}:seed={seed}:torch={torch.__version__}:config={recipe}"
    if name in GE2E_MODELS:
        return _ge2e_identity(name, seed)
    return f"{name}:{_folder_fingerprint(_checkpoint_dir(name))}"


def _ge2e_identity(name: str, seed: int) -> str:
    """Front end (librosa, resemblyzer) and weights: the packaged file's bytes, or the seed."""
    from importlib.metadata import PackageNotFoundError, version

    import librosa
    import torch

    from . import ge2e
    from .cache import file_digest

    try:
        resemblyzer = version("resemblyzer")
    except PackageNotFoundError:
        resemblyzer = "missing"
    weights = (f"weights={file_digest(ge2e.weights_path())[:16]}" if name == "ge2e"
               else f"seed={seed}:torch={torch.__version__}")
    recipe = hashlib.sha256(repr(ge2e.CONFIG).encode()).hexdigest()[:12]
    return f"{name}:{weights}:resemblyzer={resemblyzer}:librosa={librosa.__version__}:config={recipe}"


# ---------------------------------------------------------------- embedding signals


def _layer_indices(layer, model) -> list[int]:
    """Indices into hidden_states (0 = transformer input: projected conv features; -1 = output;
    GE2E: 0..2 = LSTM layers 1..3, -1 = the projected embedding)."""
    _check_layer_type(layer)
    n_states = model.config.num_hidden_layers + 1
    if layer == "all":
        return list(range(n_states))
    if not -n_states <= layer < n_states:
        meaning = (f"0 = LSTM layer 1, -1 = the projected embedding after {n_states - 1} LSTM layers"
                   if model.config.model_type == "ge2e"
                   else f"0 = feature projection, -1 = last of {n_states - 1} layers")
        raise InvalidParameterError(
            f"invalid layer {layer!r}; valid choices: 'all' or an integer from {-n_states} to "
            f"{n_states - 1} ({meaning})"
        )
    return [int(layer) % n_states]


def _frame_counts(model, n_samples) -> np.ndarray:
    import torch

    if hasattr(model, "frame_counts"):  # helpers.ge2e: mel frames
        return np.asarray(model.frame_counts(n_samples), dtype=np.int64)
    lengths = torch.as_tensor(np.asarray(n_samples, dtype=np.int64))
    frames = model._get_feat_extract_output_lengths(lengths, add_adapter=False)
    return frames.numpy().astype(np.int64)


def _check_batch_size(batch_size) -> None:
    if batch_size is None:  # the model's own default
        return
    is_int = isinstance(batch_size, (int, np.integer)) and not isinstance(batch_size, bool)
    if not is_int or batch_size < 1:
        raise InvalidParameterError(f"invalid batch_size {batch_size!r}; expected an integer >= 1 or None")


def _batch_size_for(model, batch_size, device="cpu") -> int:
    """None: the model's `default_batch_size` (GE2E: 32, its LSTM steps through time, so small
    batches waste most of each step), else DEFAULT_BATCH_SIZE; larger on a GPU
    (`devices.batch_size_for`). A size the caller gives is kept as is."""
    from .devices import batch_size_for

    if batch_size is not None:
        return int(batch_size)
    return int(batch_size_for(device, getattr(model, "default_batch_size", DEFAULT_BATCH_SIZE)))


def _check_layer_type(layer) -> None:
    if layer != "all" and (isinstance(layer, bool) or not isinstance(layer, (int, np.integer))):
        raise InvalidParameterError(f"invalid layer {layer!r}; valid choices: 'all' or an integer")


def _as_signals(signals) -> list[np.ndarray]:
    arrays = [np.asarray(s, dtype=np.float32) for s in signals]
    for i, x in enumerate(arrays):
        if x.ndim != 1:
            raise InvalidParameterError(f"signal {i} has shape {x.shape}; expected mono 1-D")
        if not np.all(np.isfinite(x)):
            raise InvalidParameterError(f"signal {i} contains NaN or infinite samples")
    return arrays


def _check_long_enough(signals, model) -> None:
    frames = _frame_counts(model, [len(x) for x in signals]) if signals else []
    for i, n in enumerate(frames):
        if n < 1:
            raise InvalidParameterError(f"signal {i} has {len(signals[i])} samples, "
                                        f"too short for one model frame (25 ms)")


def _split_long(signals, max_samples: int):
    """Equal-sized chunks (none left tiny) of each signal; returns pieces and their owners."""
    pieces, owners = [], []
    for i, x in enumerate(signals):
        n_chunks = max(1, math.ceil(len(x) / max_samples))
        for piece in np.array_split(x, n_chunks):
            pieces.append(piece)
            owners.append(i)
    return pieces, np.asarray(owners, dtype=np.int64)


def _plan_batches(lengths, batch_size: int, pad_ok: bool) -> list[list[int]]:
    """Shortest first, so each batch pads little; unsafe models only batch equal lengths."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    if pad_ok:
        return [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    batches = []
    for _, same_length in itertools.groupby(order, key=lambda i: lengths[i]):
        same_length = list(same_length)
        batches += [same_length[i:i + batch_size] for i in range(0, len(same_length), batch_size)]
    return batches


def _hidden_states(out) -> list:
    """hidden_states with the last entry being the model's final output (last_hidden_state).

    transformers 5 records the last layer's output *before* the final layer norm of
    stable-layer-norm models (WavLM-large, wav2vec2-large-robust); transformers 4 recorded
    it after, which is what "last layer" meant in the papers' code.
    """
    states = list(out.hidden_states)
    if out.last_hidden_state.shape == states[-1].shape:  # not so after a wav2vec2 adapter
        states[-1] = out.last_hidden_state
    return states


def _forward_batch(pieces, model, feature_extractor, layers, use_mask: bool):
    """(batch, len(layers), hidden) means over each piece's valid frames, and frame counts."""
    import torch

    inputs = feature_extractor(
        pieces, sampling_rate=feature_extractor.sampling_rate, padding=True,
        return_attention_mask=use_mask, return_tensors="pt",
    )
    device = next(model.parameters()).device  # the CPU unless load_model/embed_signals moved it
    mask = inputs.get("attention_mask") if use_mask else None
    mask = mask.to(device) if mask is not None else None
    with torch.inference_mode(), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Support for mismatched key_padding_mask")
        out = model(inputs["input_values"].to(device), attention_mask=mask, output_hidden_states=True)
    states = _hidden_states(out)
    hidden = torch.stack([states[i] for i in layers], dim=1)  # (B, L, T, H)
    frames = _frame_counts(model, [len(p) for p in pieces])
    counts = torch.as_tensor(frames).to(device)
    valid = torch.arange(hidden.shape[2], device=device)[None, :] < counts[:, None]  # (B, T)
    summed = (hidden * valid[:, None, :, None]).sum(dim=2)
    return (summed / counts[:, None, None]).cpu().numpy(), frames


def _combine_chunks(pooled, frames, owners, n_signals: int) -> np.ndarray:
    """Frame-weighted mean of each signal's chunk means = the mean over all its frames."""
    weights = frames.astype(np.float64)
    total = np.zeros((n_signals,) + pooled.shape[1:], dtype=np.float64)
    np.add.at(total, owners, pooled * weights[:, None, None])
    counts = np.bincount(owners, weights=weights, minlength=n_signals)
    return (total / counts[:, None, None]).astype(np.float32)


def embed_signals(signals, model, feature_extractor, layer=-1, batch_size: int | None = None,
                  max_chunk_s: float = 20.0, progress: bool = False, device="auto") -> np.ndarray:
    """Mean over valid frames of one layer's hidden states: (n, hidden), or (n, layers+1, hidden).

    Signals must be mono at the extractor's rate. Batches are length-sorted and padded;
    with a layer-norm encoder and attention mask the result equals one-at-a-time inference
    (within float error). Other models are batched only with equal-length signals, so the
    result is still exact (and mostly one at a time). GE2E (`helpers.ge2e`) pads its mel
    frames, which its unidirectional LSTM cannot see from earlier frames: exact as well.
    Signals longer than `max_chunk_s` are split into equal chunks whose means are combined
    weighted by frame counts. `batch_size=None`: the model's default (8; GE2E 32), larger on a
    GPU (helpers.devices.batch_size_for). The model is moved to `device` ("auto": a GPU when
    there is one); the vectors come back as CPU numpy arrays.
    """
    from .devices import resolve_device

    _check_batch_size(batch_size)
    device = resolve_device(device)
    model.to(device)
    if not isinstance(max_chunk_s, (int, float, np.number)) or not max_chunk_s > 0.1:
        raise InvalidParameterError(f"invalid max_chunk_s {max_chunk_s!r}; expected seconds > 0.1")
    layers = _layer_indices(layer, model)
    signals = _as_signals(signals)
    _check_long_enough(signals, model)
    n_layers, hidden = len(layers), model.config.hidden_size
    if not signals:
        return np.empty((0, n_layers, hidden) if layer == "all" else (0, hidden), dtype=np.float32)

    pieces, owners = _split_long(signals, int(max_chunk_s * feature_extractor.sampling_rate))
    pooled = np.empty((len(pieces), n_layers, hidden), dtype=np.float32)
    frames = np.empty(len(pieces), dtype=np.int64)
    pad_ok = padding_is_safe(model, feature_extractor)
    use_mask = bool(getattr(feature_extractor, "return_attention_mask", False))
    batches = _plan_batches([len(p) for p in pieces], _batch_size_for(model, batch_size, device), pad_ok)
    for batch in progress_bar(batches, desc="embedding", unit="batch", enabled=progress):
        pooled[batch], frames[batch] = _forward_batch(
            [pieces[i] for i in batch], model, feature_extractor, layers, use_mask)

    result = _combine_chunks(pooled, frames, owners, len(signals))
    return result if layer == "all" else result[:, 0, :]


# ---------------------------------------------------------------- embedding files


def _paths_and_index(df_or_paths):
    """Paths as strings and the index the result should carry."""
    if isinstance(df_or_paths, pd.DataFrame):
        if "path" not in df_or_paths.columns:
            raise InvalidParameterError(
                "the DataFrame has no 'path' column; pass a corpus table or a list of paths")
        return [str(p) for p in df_or_paths["path"]], df_or_paths.index
    if isinstance(df_or_paths, pd.Series):
        return [str(p) for p in df_or_paths], df_or_paths.index
    if isinstance(df_or_paths, (str, os.PathLike)):
        df_or_paths = [df_or_paths]
    paths = [str(p) for p in df_or_paths]
    return paths, pd.Index(paths, name="path")


def _column_names(layer, n_states: int, hidden: int) -> list[str]:
    if layer == "all":
        return [f"layer{l}_emb_{i}" for l in range(n_states) for i in range(hidden)]
    return [f"emb_{i}" for i in range(hidden)]


def _file_keys(paths, extractor, params, version, fail) -> dict[int, str]:
    """Cache key per readable file; unreadable ones go to `fail`."""
    keys = {}
    for i, path in enumerate(paths):
        try:
            keys[i] = make_key(path, extractor, params, version)
        except OSError as exc:
            fail(path, CorruptAudioError(path, f"cannot be read ({exc.strerror or exc})"))
    return keys


def _by_duration(paths_by_key: dict[str, str]) -> list[str]:
    """Keys ordered by clip length from the headers, so consecutive batches pad little."""
    from . import audio

    def duration(key):
        try:
            return audio.audio_info(paths_by_key[key]).duration
        except AudioError:
            return 0.0  # load_audio reports it properly later

    return sorted(paths_by_key, key=duration)


def _load_group(paths_by_key, keys, sr: int, fail):
    """(keys, signals) of the files that load; the others go to `fail`."""
    from . import audio

    loaded, signals = [], []
    for key in keys:
        try:
            signals.append(audio.load_audio(paths_by_key[key], sr=sr))
            loaded.append(key)
        except AudioError as exc:
            fail(paths_by_key[key], exc)
    return loaded, signals


def _embed_missing(paths_by_key, model_name, seed, embed_kw: dict, show: bool, fail, device="auto"):
    """Yield (key, vector) for the files the cache lacks, one batch of files at a time,
    so the caller can store each batch at once (an interrupted run resumes from there)."""
    model, extractor, info = load_model(model_name, seed=seed, device=device)
    keys = _by_duration(paths_by_key)
    step = _batch_size_for(model, embed_kw["batch_size"], device)
    embed_kw = {**embed_kw, "batch_size": step, "device": device}
    with progress_bar(total=len(keys), desc=f"embedding with {model_name}", unit="file",
                      enabled=show) as bar:
        for start in range(0, len(keys), step):
            group = keys[start:start + step]
            loaded, signals = _load_group(paths_by_key, group, info["sampling_rate"], fail)
            yield from zip(loaded, embed_signals(signals, model, extractor, **embed_kw))
            bar.update(len(group))


# Models loaded by worker processes (Dask workers, loky): once per process, not once per batch.
_WORKER_MODELS: dict[tuple, tuple] = {}


def _worker_model(model_name: str, seed: int, device):
    key = (str(model_name), int(seed), str(device))
    if key not in _WORKER_MODELS:
        _WORKER_MODELS[key] = load_model(model_name, seed=seed, device=device)
    return _WORKER_MODELS[key]


def _embed_batch_task(batch, model_name: str, seed: int, device, embed_kw: dict):
    """One batch of (key, path) on a worker: ([(key, vector)], [(path, AudioError)]). The worker
    loads the model once (`_WORKER_MODELS`); the parent reports failures and writes the cache."""
    model, extractor, info = _worker_model(model_name, seed, device)
    failed = []
    paths_by_key = dict(batch)
    loaded, signals = _load_group(paths_by_key, [key for key, _ in batch], info["sampling_rate"],
                                  lambda path, exc: failed.append((str(path), exc)))
    vectors = embed_signals(signals, model, extractor, device=device, **embed_kw) if loaded else []
    return list(zip(loaded, vectors)), failed


def _embed_missing_on_workers(paths_by_key, model_name, seed, embed_kw: dict, show: bool, fail, device="auto"):
    """Like `_embed_missing`, but the batches (the same files in the same order) run on the
    workers `helpers.parallel` uses; yields (key, vector) as the batches come back, and hands
    the files that failed to `fail` (which raises the first under on_error="raise")."""
    import functools

    from .parallel import parallel_imap

    keys = _by_duration(paths_by_key)
    step = embed_kw["batch_size"] or _default_batch_size(model_name, device)
    batches = [[(key, paths_by_key[key]) for key in keys[start:start + step]] for start in range(0, len(keys), step)]
    task = functools.partial(_embed_batch_task, model_name=model_name, seed=seed, device=device,
                             embed_kw={**embed_kw, "batch_size": step})
    for done, failed in parallel_imap(task, batches, desc=f"embedding with {model_name}", show_progress=show):
        for path, exc in failed:
            fail(path, exc)
        yield from done


def _default_batch_size(model_name: str, device) -> int:
    """What `_embed_missing` would use, without loading the model (the GE2E class's default)."""
    if model_name in GE2E_MODELS:
        from .ge2e import GE2E

        return _batch_size_for(GE2E, None, device)
    return _batch_size_for(None, None, device)


def _warn_skipped(skipped) -> None:
    if skipped:
        listed = "; ".join(f"{path}: {reason}" for path, reason in skipped[:5])
        more = f" (and {len(skipped) - 5} more)" if len(skipped) > 5 else ""
        warnings.warn(f"skipped {len(skipped)} file(s) that could not be embedded: {listed}"
                      f"{more}; see result.attrs['skipped']", SkippedFilesWarning, stacklevel=3)


def embed_files(df_or_paths, model_name: str = "tiny-wavlm", layer=-1, batch_size: int | None = None,
                cache: bool = True, cache_root=None, progress: bool = True, on_error: str = "skip",
                seed: int = 0, max_chunk_s: float = 20.0, device="auto") -> pd.DataFrame:
    """One mean-pooled embedding per file: columns emb_0..emb_{h-1} (layer="all":
    layer{l}_emb_{i}), indexed like the input (a table with a 'path' column, or paths).

    Each file's vector is cached under a key of (file bytes, model, layer, transformers
    version, model identity); files already cached are neither read as audio nor run
    through the model, and the model is not even loaded when all are cached. A cached entry
    of the wrong shape or with NaN/inf is treated as corrupt and recomputed. Bad files
    are left out (never zero rows), listed in `result.attrs["skipped"]` as (path, reason)
    and warned about; on_error="raise" raises the first instead.

    The model runs on `device` ("auto": a GPU when there is one). Under a scheduler chosen
    with `helpers.parallel.use_scheduler` (a Dask cluster, worker processes), batches of
    files go to the workers, each loading the model once; this process writes the cache.
    """
    import transformers

    from . import parallel
    from .devices import resolve_device

    resolve_device(device)  # an unavailable device fails before any work

    check_choice("on_error", on_error, ["skip", "raise"])
    _check_layer_type(layer)
    _check_batch_size(batch_size)
    paths, index = _paths_and_index(df_or_paths)
    skipped: list[tuple[str, str]] = []

    def fail(path, exc):
        if on_error == "raise":
            raise exc
        skipped.append((str(path), f"{type(exc).__name__}: {exc}"))

    store = FeatureCache(cache_root, enabled=cache)
    extractor_name = f"embed-{model_name}-layer{layer}"
    version = f"transformers={transformers.__version__};model={model_identity(model_name, seed)}"
    params = {"layer": layer, "max_chunk_s": max_chunk_s, "pooling": "mean over valid frames"}
    keys = _file_keys(paths, extractor_name, params, version, fail)
    config = _config_of(model_name)
    shape = (config.num_hidden_layers + 1, config.hidden_size) if layer == "all" else (config.hidden_size,)

    vectors: dict[str, np.ndarray] = {}
    missing: dict[str, str] = {}
    for i, key in keys.items():
        hit = store.get(extractor_name, key, shape=shape, finite=True)
        if hit is not None:
            vectors[key] = hit.values
        else:
            missing.setdefault(key, paths[i])
    embed_kw = {"layer": layer, "batch_size": batch_size, "max_chunk_s": max_chunk_s}
    if missing:
        embed = _embed_missing if parallel.is_default() else _embed_missing_on_workers
        for key, vector in embed(missing, model_name, seed, embed_kw, progress, fail, device=device):
            store.put(extractor_name, key, vector)
            vectors[key] = vector

    kept = [i for i in range(len(paths)) if keys.get(i) in vectors]
    rows = np.stack([vectors[keys[i]].reshape(-1) for i in kept]) if kept else None
    result = _result_frame(rows, index[kept], layer, config)
    result.attrs["skipped"] = skipped
    result.attrs["model"] = model_name
    _warn_skipped(skipped)
    return result


def _result_frame(rows, index, layer, config) -> pd.DataFrame:
    """Column names come from the config, so even an all-skipped result has the right ones."""
    n_states = config.num_hidden_layers + 1 if layer == "all" else 1
    if rows is None:
        rows = np.empty((0, n_states * config.hidden_size), dtype=np.float32)
    columns = _column_names(layer, n_states, config.hidden_size)
    return pd.DataFrame(rows, index=index, columns=columns)


def _config_of(name: str):
    if name in TINY_MODELS:
        return tiny_config(name)
    if name in GE2E_MODELS:
        from .ge2e import CONFIG

        return CONFIG
    from transformers import AutoConfig

    _checkpoint_dir(name)  # the helpful error when it is missing
    return AutoConfig.from_pretrained(
        name, local_files_only=_hub_offline(), trust_remote_code=False)
