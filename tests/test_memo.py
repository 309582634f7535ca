"""The result cache: exact round trips, keys by content, recomputation when anything changes."""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from helpers import memo
from helpers.simplenet import ModelRun


@pytest.fixture
def cache_on(tmp_path, monkeypatch):
    monkeypatch.setenv("SERXAI_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv(memo.ENV_SWITCH, "1")
    return tmp_path / "cache"


def sample_frame() -> pd.DataFrame:
    return pd.DataFrame({"speaker": ["f01", "m02", "f03"], "value": [0.1 + 0.2, np.nan, -1e-300],
                         "n": np.array([1, 2, 3], dtype=np.int32), "correct": [True, False, True]})


def test_round_trip_is_exact_for_nested_results():
    run = ModelRun(1, 0.75, 12, np.array([2, 0, 1]), np.array([0, 2]), np.random.default_rng(0).random((2, 3, 4)).astype(np.float32),
                   "/tmp/w.h5", {"note": "x"})
    value = {"runs": [run], "frame": sample_frame(), "maps": {(7, 10): np.arange(4.0), (7, 11): (np.ones(2), np.zeros(2))},
             "scalar": np.float64(0.30000000000000004), "pair": (1, "a"), "listed": [1.5, None, True],
             "speakers": np.array([["f01", "m02"], ["f03", "m04"]], dtype=object)}
    back = memo.decode(memo.encode(value))
    assert isinstance(back["runs"][0], ModelRun) and back["runs"][0].accuracy == 0.75
    np.testing.assert_array_equal(back["runs"][0].maps, run.maps)
    assert back["runs"][0].maps.dtype == np.float32 and back["runs"][0].extra == {"note": "x"}
    pd.testing.assert_frame_equal(back["frame"], value["frame"], check_exact=True)
    assert set(back["maps"]) == {(7, 10), (7, 11)} and isinstance(back["maps"][(7, 11)], tuple)
    assert type(back["scalar"]) is np.float64 and back["scalar"] == value["scalar"]
    assert back["pair"] == (1, "a") and back["listed"] == [1.5, None, True]
    assert back["speakers"].dtype == object and back["speakers"].shape == (2, 2)
    np.testing.assert_array_equal(back["speakers"], value["speakers"])


def test_only_helpers_dataclasses_are_rebuilt():
    @dataclasses.dataclass
    class Foreign:
        x: int = 1

    with pytest.raises(TypeError, match="cannot store"):
        memo.encode(Foreign())
    with pytest.raises(ValueError, match="refusing to rebuild subprocess:Popen"):
        memo._decode({"dataclass": "subprocess:Popen", "fields": {"args": "ls"}}, {})


def test_call_computes_once_then_reads(cache_on):
    calls = []

    def train(x, scale=1.0):
        calls.append(1)
        return {"y": x * scale, "frame": sample_frame()}

    first = memo.call(train, np.arange(3.0), scale=2.0)
    second = memo.call(train, np.arange(3.0), scale=2.0)
    assert len(calls) == 1 and len(list(cache_on.rglob("*.npz"))) == 1
    np.testing.assert_array_equal(first["y"], second["y"])
    pd.testing.assert_frame_equal(first["frame"], second["frame"], check_exact=True)
    memo.call(train, np.array([0.0, 1.0, 2.5]), scale=2.0)  # other content: recomputed
    memo.call(train, np.arange(3.0), scale=3.0)  # other argument: recomputed
    assert len(calls) == 3


def test_ignored_arguments_are_passed_but_not_keyed(cache_on):
    seen = []

    def run(x, cache=None):
        seen.append(cache)
        return x

    memo.call(run, 1, cache={"a": 1}, ignore=("cache",))
    memo.call(run, 1, cache={"b": 2}, ignore=("cache",))
    assert seen == [{"a": 1}]
    with pytest.raises(TypeError, match="ignore"):
        memo.call(run, 1, cache=object())


def test_file_content_is_part_of_the_key(cache_on, tmp_path):
    calls = []
    path = tmp_path / "a.wav"
    path.write_bytes(b"one")
    table = pd.DataFrame({"path": [str(path)]})

    def read(frame):
        calls.append(1)
        return len(frame)

    memo.call(read, table)
    memo.call(read, table)
    path.write_bytes(b"two")  # same name, new content
    memo.call(read, table)
    assert len(calls) == 2


def test_disabled_cache_always_computes_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("SERXAI_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv(memo.ENV_SWITCH, "0")
    calls = []
    for _ in range(2):
        memo.call(lambda: calls.append(1) or 5)
    assert len(calls) == 2 and not list((tmp_path / "cache").rglob("*.npz"))


def test_corrupt_or_rejected_entries_are_recomputed(cache_on):
    calls = []

    def make():
        calls.append(1)
        return np.arange(5)

    memo.call(make)
    (entry,) = cache_on.rglob("*.npz")
    entry.write_bytes(b"not an archive")
    with pytest.warns(UserWarning, match="unreadable"):
        np.testing.assert_array_equal(memo.call(make), np.arange(5))
    assert len(calls) == 2 and memo.decode(entry.read_bytes()).tolist() == [0, 1, 2, 3, 4]
    memo.call(make, valid=lambda result: False)
    assert len(calls) == 3


def test_keys_change_with_our_code_and_libraries(monkeypatch):
    base = memo.key_of(sample_frame, (1,), {})
    monkeypatch.setattr(memo, "code_digest", lambda: "edited")
    edited = memo.key_of(sample_frame, (1,), {})
    monkeypatch.setattr(memo, "environment_digest", lambda: "other numpy")
    assert len({base, edited, memo.key_of(sample_frame, (1,), {})}) == 3


def test_arguments_are_keyed_by_name_with_defaults(cache_on):
    calls = []

    @memo.cached(ignore=("n_jobs",))
    def fit(x, scale=1.0, n_jobs=1):
        calls.append(n_jobs)
        return x * scale

    assert fit(2.0) == fit(2.0, 1.0) == fit(x=2.0, scale=1.0, n_jobs=4) == 2.0
    assert calls == [1]
    assert fit(2.0, scale=3.0) == 6.0 and calls == [1, 1]
    assert fit.__name__ == "fit"


def test_cache_info_lists_results_and_clear_removes_them(cache_on):
    from helpers import cache

    memo.call(sample_frame)
    assert f"result.{sample_frame.__module__}.sample_frame: 1 entries" in cache.info(cache_on)
    assert cache.clear(cache_on) == 1 and not list(cache_on.rglob("*.npz"))
