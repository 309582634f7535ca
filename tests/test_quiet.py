"""quiet_output silences library warnings and font messages, keeps ours on one line."""
import logging
import warnings

from helpers.errors import IncompleteCorpusWarning
from helpers.quiet import quiet_output


def test_library_warnings_are_dropped_and_ours_kept_on_one_line(monkeypatch):
    monkeypatch.setattr(warnings, "formatwarning", warnings.formatwarning)  # restored afterwards
    monkeypatch.setattr(logging.getLogger("matplotlib.font_manager"), "level", logging.NOTSET)
    with warnings.catch_warnings(record=True) as caught:
        warnings.resetwarnings()
        quiet_output()
        warnings.warn_explicit("old api", FutureWarning, "x.py", 1, module="numpy")
        warnings.warn_explicit("noisy", UserWarning, "k.py", 3, module="keras.src.layers")
        warnings.warn("found 10 of 535 files", IncompleteCorpusWarning)
    assert [str(w.message) for w in caught] == ["found 10 of 535 files"]
    text = warnings.formatwarning(caught[0].message, caught[0].category, "/abs/path.py", 7)
    assert text == "IncompleteCorpusWarning: found 10 of 535 files\n"
    assert logging.getLogger("matplotlib.font_manager").level == logging.ERROR
