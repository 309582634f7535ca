"""helpers.isolation: a function run in a fresh process gives the caller its result, its
printed text and its errors, and leaves nothing loaded behind (issue 29: TensorFlow's runtime
must not stay in the faithfulness kernel beside torch's)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers import faithfulness as fa
from helpers import faithfulness_methods as fm
from helpers import isolation, memo
from helpers.exercise_guard import guard_exercises
from helpers.isolation import IsolatedError, in_fresh_process


def test_result_equals_the_same_call_in_this_process():
    scores = np.array([0.1, 0.7, 0.3, 0.2])
    assert in_fresh_process(fa.rank_score, scores, 2) == fa.rank_score(scores, 2) == pytest.approx(2 / 3)
    region = np.zeros((4, 5), dtype=bool)
    region[1:3] = True
    relevance = np.arange(20.0).reshape(4, 5)
    assert in_fresh_process(fa.normalised_mass, relevance, region) == fa.normalised_mass(relevance, region)


def test_printed_text_is_replayed_here(capsys):
    assert in_fresh_process(guard_exercises, "emodb", "synthetic") is False  # no IPython shell in the child
    assert "Exercises: skipped: this exercise needs the planted-cue corpus 'synthetic'" in capsys.readouterr().out


def test_an_error_in_the_child_carries_its_traceback():
    with pytest.raises(IsolatedError) as raised:
        in_fresh_process(fa.rank_score, np.array([0.5]), 0)
    text = str(raised.value)
    assert "helpers.faithfulness.rank_score failed in its own process" in text
    assert "InvalidParameterError: a ranking needs at least two units" in text


def test_only_module_level_helpers_functions_are_sent():
    with pytest.raises(IsolatedError, match="module-level functions of helpers only"):
        in_fresh_process(len, [1, 2])
    with pytest.raises(IsolatedError, match="module-level functions of helpers only"):
        in_fresh_process(lambda: 1)


def test_a_child_that_dies_reports_its_exit_code(monkeypatch):
    """A child killed (e.g. for memory) sends nothing: the caller says so instead of hanging."""
    monkeypatch.setattr(isolation, "_child", _die)
    with pytest.raises(IsolatedError, match=r"died in its own process \(exit code -9\)"):
        in_fresh_process(fa.rank_score, np.array([0.1, 0.2]), 0)


def _die(connection, *args):
    import os
    import signal

    os.kill(os.getpid(), signal.SIGKILL)


def test_the_isolated_simplenet_run_is_cached_and_starts_no_process_when_warm(monkeypatch, tmp_path):
    """simplenet_gradcam_isolated goes through the result cache: the second call is read back
    (here the child is replaced by a stub that counts calls, so no TensorFlow is needed)."""
    monkeypatch.setenv("SERXAI_CACHE", str(tmp_path))
    monkeypatch.setenv(memo.ENV_SWITCH, "1")
    calls = []

    def fake(function, *args, **kwargs):
        calls.append(function.__name__)
        return {"band": "computed"}

    monkeypatch.setattr(isolation, "in_fresh_process", fake)
    corpora = {"band": pd.DataFrame({"speaker": ["a"], "emotion": ["anger"]})}
    first = fm.simplenet_gradcam_isolated(corpora, [7], epochs=1)
    second = fm.simplenet_gradcam_isolated(corpora, [7], epochs=1)
    assert first == second == {"band": "computed"} and calls == ["simplenet_gradcam"]
    fm.simplenet_gradcam_isolated(corpora, [8], epochs=1)  # another seed: computed again
    assert calls == ["simplenet_gradcam"] * 2
