"""Where the torch models run: `device="auto"` picks a CUDA GPU, then Apple's MPS, else the CPU.

Every helper that builds or runs a torch model takes `device` and passes it through
`resolve_device`, so a notebook's single `device` parameter moves the whole run. On the CPU
nothing changes: the models are created exactly as before and `.to(cpu)` is a no-op, so
outputs stay byte-identical. On an accelerator the numbers agree with the CPU's to float
precision only (other kernels, other reduction orders), and batches are larger
(`batch_size_for`), which does not change any per-clip result beyond that precision.
"""
from __future__ import annotations

import sys

from .errors import InvalidParameterError

DEVICE_CHOICES = ("auto", "cpu", "cuda", "cuda:N", "mps")
ACCELERATOR_BATCH_FACTOR = 4  # batches this much larger on a GPU: it is idle between small ones


class DeviceNotAvailableError(InvalidParameterError):
    """A device was asked for by name but this machine (or this torch build) does not have it."""


def _choices_hint() -> str:
    return ("valid choices: 'auto' (a CUDA GPU, then Apple MPS, else the CPU), 'cpu', 'cuda', "
            "'cuda:N' (N = GPU index), 'mps', or a torch.device")


def _mps_available() -> bool:
    import torch

    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def _unavailable(requested, why: str) -> DeviceNotAvailableError:
    return DeviceNotAvailableError(
        f"device {str(requested)!r} is not available here ({why}); {_choices_hint()}. "
        f"Fix: set device = \"auto\" (or \"cpu\") in the notebook's parameters, or run where that "
        f"device exists.")


_KERNEL_DEVICE = None  # set by `use_device`: what "auto" means for the rest of this kernel


def use_device(device="auto"):
    """A notebook's `device` parameter, once for the whole kernel: every helper left at
    device="auto" then runs there. Returns the resolved torch.device."""
    global _KERNEL_DEVICE
    _KERNEL_DEVICE = None
    _KERNEL_DEVICE = resolve_device(device)
    return _KERNEL_DEVICE


def resolve_device(device="auto"):
    """The torch.device to run on. "auto" is the kernel's `use_device` choice if one was made,
    else CUDA, then MPS, then the CPU; a named device that is missing raises
    DeviceNotAvailableError (a ValueError) saying what to pass instead."""
    import torch

    if device is None or (isinstance(device, str) and device.strip().lower() == "auto"):
        if _KERNEL_DEVICE is not None:
            return _KERNEL_DEVICE
        if torch.cuda.is_available():
            return torch.device("cuda", 0)
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    if isinstance(device, torch.device):
        chosen = device
    elif isinstance(device, str):
        try:
            chosen = torch.device(device.strip().lower())
        except (RuntimeError, ValueError):
            raise InvalidParameterError(f"invalid device {device!r}; {_choices_hint()}") from None
    else:
        raise InvalidParameterError(f"invalid device {device!r} ({type(device).__name__}); {_choices_hint()}")
    if chosen.type == "cpu":
        return torch.device("cpu")
    if chosen.type == "cuda":
        if not torch.cuda.is_available():
            raise _unavailable(device, "torch.cuda.is_available() is False: no CUDA GPU, or a CPU-only torch build")
        count = torch.cuda.device_count()
        if chosen.index is not None and chosen.index >= count:
            raise _unavailable(device, f"only {count} CUDA device(s): cuda:0 to cuda:{count - 1}")
        return torch.device("cuda", chosen.index or 0)
    if chosen.type == "mps":
        if not _mps_available():
            raise _unavailable(device, "torch.backends.mps.is_available() is False: MPS needs Apple silicon and macOS 12.3+")
        return torch.device("mps")
    raise InvalidParameterError(f"invalid device {device!r}: the helpers run on cpu, cuda or mps only; {_choices_hint()}")


def describe_device(device="auto") -> str:
    """One line for a run summary: "cpu (4 threads)", "cuda:0 (NVIDIA A100 …)", "mps (Apple GPU)"."""
    import torch

    chosen = resolve_device(device)
    if chosen.type == "cuda":
        return f"cuda:{chosen.index} ({torch.cuda.get_device_name(chosen.index)})"
    if chosen.type == "mps":
        return "mps (Apple GPU)"
    return f"cpu ({torch.get_num_threads()} threads)"


def is_accelerator(device="auto") -> bool:
    return resolve_device(device).type != "cpu"


def batch_size_for(device, cpu_default):
    """The batch size to use on `device`: exactly `cpu_default` on the CPU (today's numbers,
    byte for byte), ACCELERATOR_BATCH_FACTOR times it on a GPU. None stays None (the model's
    own default then applies)."""
    if cpu_default is None or not is_accelerator(device):
        return cpu_default
    return int(cpu_default) * ACCELERATOR_BATCH_FACTOR


def model_device(model):
    """The device a torch module's parameters live on (the CPU for a module without any)."""
    import torch

    for parameter in model.parameters():
        return parameter.device
    return torch.device("cpu")


def tensorflow_device() -> str:
    """What TensorFlow (Keras models) runs on, for the run summary: "GPU:0 (…)" or "CPU".

    TensorFlow is never imported here: openSMILE must be loaded before it in one process
    (helpers.features), so asking too early could break a later extraction. Before the
    notebook imports it, the answer comes from the installed build alone."""
    tf = sys.modules.get("tensorflow")
    if tf is None:
        from importlib.metadata import PackageNotFoundError, version

        builds = []
        for name in ("tensorflow", "tensorflow-cpu", "tensorflow-macos"):
            try:
                version(name)
                builds.append(name)
            except PackageNotFoundError:
                pass
        if builds == ["tensorflow-cpu"]:
            return "CPU (tensorflow-cpu build)"
        if not builds:
            return "none (TensorFlow is not installed)"
        return "not known yet (TensorFlow not imported: it uses a GPU by itself when it sees one)"
    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        return "CPU"
    details = tf.config.experimental.get_device_details(gpus[0]) if hasattr(tf.config, "experimental") else {}
    notes = [details.get("device_name", "")] if isinstance(details, dict) else []
    notes += [f"{len(gpus)} GPUs"] if len(gpus) > 1 else []
    notes = [note for note in notes if note]
    return "GPU:0" + (f" ({', '.join(notes)})" if notes else "")


def announce(device="auto", scheduler=None, torch_models: bool = True) -> str:
    """Apply a notebook's `device` and `scheduler` parameters for the whole kernel and return
    the line it prints, e.g. "device: cpu (2 threads) | TensorFlow: CPU | per-file work:
    threads (2 workers in this process)"; `reproduce` shows the part after "device: " in its
    run summary. A Keras-only notebook passes torch_models=False (torch is then not even
    loaded, which saves Binder memory): "auto" leaves TensorFlow to pick a GPU itself, "cpu"
    hides the GPUs from it."""
    from .parallel import use_scheduler

    if torch_models:
        where = describe_device(use_device(device))
    else:
        choice = "auto" if device is None else str(device).strip().lower()
        if choice not in ("auto", "cpu"):
            raise InvalidParameterError(f"invalid device {device!r} for a Keras-only notebook: 'auto' lets "
                                        "TensorFlow use a GPU when it sees one, 'cpu' keeps it on the CPU")
        if choice == "cpu" and "tensorflow" in sys.modules:
            sys.modules["tensorflow"].config.set_visible_devices([], "GPU")
        where = "no torch models"
    work = use_scheduler(scheduler)
    return f"device: {where} | TensorFlow: {tensorflow_device()} | per-file work: {work}"
