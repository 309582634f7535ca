"""Exception types. Each message names the offending file or value and says how to fix it."""
from __future__ import annotations


class SerxaiError(Exception):
    """Base class for errors raised by the helpers."""


class InvalidParameterError(SerxaiError, ValueError):
    """A parameter value is not one of the valid choices (raised before any computation)."""


def check_choice(name: str, value, choices) -> None:
    """Reject `value` unless it is in `choices`, listing the valid ones."""
    choices = list(choices)
    if value not in choices:
        raise InvalidParameterError(
            f"invalid {name} {value!r}; valid choices: {', '.join(map(str, choices))}"
        )


class AudioError(SerxaiError, ValueError):
    """A sound file cannot be used; `path` names it."""

    def __init__(self, path, message: str):
        self.path = str(path)
        self.message = message
        super().__init__(f"{path}: {message}")

    def __reduce__(self):
        # Rebuilt from both arguments when a worker process or Dask worker sends it back
        # (the default would call __init__ with the formatted message alone and fail).
        return type(self), (self.path, self.message)


class CorruptAudioError(AudioError):
    """Not decodable as audio (corrupt, truncated or not a sound file)."""


class EmptyAudioError(AudioError):
    """Zero samples."""


class TooShortAudioError(AudioError):
    """Shorter than the minimum duration (0.2 s by default)."""


class SilentAudioError(AudioError):
    """All samples (near) zero."""


class OutOfRangeAudioError(AudioError):
    """Float samples far beyond full scale (±1): a gain was applied, the levels are meaningless."""


class NonFiniteAudioError(AudioError):
    """NaN or infinite samples."""


class DatasetError(SerxaiError):
    """A corpus is missing, incomplete or unknown."""


class ManualDownloadRequired(DatasetError):
    """A corpus that cannot be downloaded automatically is absent; the message lists the steps."""


class ChecksumMismatchError(DatasetError):
    """A downloaded file does not match its recorded sha256 (the file has been deleted)."""


class UnsafeArchiveError(DatasetError):
    """An archive member would be written outside the extraction folder."""


class FeatureError(SerxaiError):
    """Feature extraction failed for a file."""


class CorpusNotFoundError(DatasetError):
    """A public corpus is not on disk yet; the message says how to fetch it."""


class ManifestError(DatasetError):
    """A data_manifest/*.yaml file is malformed; the message names the file and field."""


class UnknownLabelError(DatasetError):
    """A file carries a label code its corpus manifest does not know; the message names the file."""


class IncompleteCorpusWarning(UserWarning):
    """A corpus on disk has fewer (or more) files than its manifest expects, e.g. a subset."""
