"""helpers.parallel: per-file work gives the same tables on this process's threads, on local
worker processes and on a Dask cluster (LocalCluster, 2 worker processes), survives a worker
killed mid-run, and `use_scheduler` fails clearly when it cannot reach a cluster."""
from __future__ import annotations

import os
import signal
import sys
import threading
import time

import joblib
import numpy as np
import pandas as pd
import pytest

from helpers import cache, features, parallel
from helpers.cache import FeatureCache
from helpers.errors import AudioError, InvalidParameterError

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client():
    """Two single-threaded worker processes; the scheduler runs in this process."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  scheduler_port=0, silence_logs=50) as cluster, distributed.Client(cluster) as c:
        yield c
    parallel.use_scheduler(None)


@pytest.fixture
def on_dask(client):
    """Run the test body with parallel_map sending work to the cluster, then back to threads."""
    description = parallel.use_scheduler(client)
    yield description
    parallel.use_scheduler(None)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    from helpers import synthetic

    root = tmp_path_factory.mktemp("synthetic")
    return synthetic.generate_corpus(root, variant="synthetic", seed=0, n_speakers=2, takes=1, progress=False)


@pytest.fixture(scope="module")
def long_voices(tmp_path_factory):
    """40 harmonic voices of 4 s: eGeMAPS takes long enough per file for a kill to land mid-run."""
    import soundfile as sf

    from helpers.signals import harmonic_voice

    root, rng = tmp_path_factory.mktemp("long"), np.random.default_rng(5)
    paths = []
    for i in range(40):
        path = root / f"voice{i:02d}.wav"
        sf.write(path, 0.3 * harmonic_voice(100 + 4 * i, 4.0, 16000, rng), 16000)
        paths.append(str(path))
    return paths


def test_the_workers_import_this_checkout(client):
    import helpers

    assert set(client.run(lambda: __import__("helpers").__file__).values()) == {helpers.__file__}


# ---------------------------------------------------------------- parallel_map


def _slow_square(x: int) -> int:
    time.sleep(0.01 * ((x * 7) % 5))  # later items often finish first
    return x * x


def test_parallel_map_keeps_input_order_on_threads_processes_and_dask(client):
    expected = [x * x for x in range(23)]
    assert parallel.parallel_map(_slow_square, range(23), show_progress=False) == expected
    assert parallel.parallel_map(_slow_square, range(23), n_jobs=1, show_progress=False) == expected
    with joblib.parallel_config(backend="dask"):
        assert parallel.parallel_map(_slow_square, range(23), show_progress=False) == expected
    assert parallel.parallel_map(_slow_square, [], show_progress=False) == []


def test_default_runs_here_and_a_scheduler_runs_on_the_workers(client, on_dask):
    here = parallel.worker_id()
    worker_pids = set(client.run(os.getpid).values())
    where = set(parallel.parallel_map(parallel.worker_id, range(16), show_progress=False))
    assert {int(w.rsplit(":", 1)[1]) for w in where} <= worker_pids and here not in where
    assert on_dask.startswith("dask tcp://") and on_dask.endswith("(2 workers, 2 threads)")
    assert parallel.describe_scheduler() == on_dask
    assert parallel.use_scheduler(None) == f"threads ({features.default_jobs()} workers in this process)"
    assert set(parallel.parallel_map(parallel.worker_id, range(4), show_progress=False)) == {here}
    assert parallel.is_default()


def test_processes_run_in_local_worker_processes():
    try:
        assert parallel.use_scheduler("processes").startswith("processes (")
        assert not parallel.is_default()
        where = parallel.parallel_map(parallel.worker_id, range(6), show_progress=False)
        assert parallel.worker_id() not in where
        assert parallel.parallel_map(_slow_square, range(9), show_progress=False) == [x * x for x in range(9)]
    finally:
        parallel.use_scheduler(None)


def test_a_joblib_context_takes_precedence_and_is_described(client):
    with joblib.parallel_config(backend="dask"):
        assert "set by joblib.parallel_config" in parallel.describe_scheduler()
        assert not parallel.is_default()
    assert parallel.is_default()


# ---------------------------------------------------------------- errors


def test_an_unreachable_scheduler_names_the_parameter_and_the_fix(monkeypatch):
    monkeypatch.setattr(parallel, "CONNECT_TIMEOUT_S", 1)
    with pytest.raises(parallel.SchedulerError) as caught:
        parallel.use_scheduler("tcp://127.0.0.1:9")
    message = str(caught.value)
    assert "cannot reach the Dask scheduler at scheduler = 'tcp://127.0.0.1:9'" in message
    assert "scheduler = None" in message and "dask scheduler" in message
    assert parallel.is_default()  # a failed switch leaves the threads in place


def test_without_distributed_the_error_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    with pytest.raises(parallel.SchedulerError, match=r"`distributed` package is not installed; install it \(pip install dask distributed"):
        parallel.use_scheduler("tcp://127.0.0.1:8786")


def test_a_scheduler_of_the_wrong_type_lists_the_choices():
    with pytest.raises(InvalidParameterError, match='valid choices: scheduler = None .*"processes"'):
        parallel.use_scheduler(3)


def test_audio_errors_come_back_from_the_workers_intact(tmp_path, corpus, on_dask):
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF but not audio")
    paths = [str(corpus.path.iloc[0]), str(bad)]
    with pytest.warns(UserWarning, match="1 of 2 files left out"):
        result = features.extract(paths, cache=False, show_progress=False)
    assert list(result.index) == [0] and result.attrs["skipped"].paths == [str(bad)]
    with pytest.raises(AudioError, match="bad.wav") as caught:
        features.extract(paths, cache=False, show_progress=False, on_error="raise")
    assert caught.value.path == str(bad)


# ---------------------------------------------------------------- the same tables on a cluster


def test_opensmile_on_dask_equals_threads_exactly(tmp_path, corpus, client, cache_consistent):
    threads = features.extract(corpus, cache=FeatureCache(tmp_path / "threads"), show_progress=False)
    parallel.use_scheduler(client)
    try:
        dask = features.extract(corpus, cache=FeatureCache(tmp_path / "dask"), show_progress=False)
    finally:
        parallel.use_scheduler(None)
    pd.testing.assert_frame_equal(dask, threads, check_exact=True)
    assert dask.shape == (len(corpus), 88)
    cache_consistent(tmp_path / "dask", len(corpus), (88,))  # written by the workers


def test_embeddings_on_dask_equal_the_in_process_batches(tmp_path, corpus, client, cache_consistent):
    from helpers import embeddings

    here = embeddings.embed_files(corpus, model_name="tiny-wavlm", cache_root=tmp_path / "here", progress=False)
    parallel.use_scheduler(client)
    try:
        dask = embeddings.embed_files(corpus, model_name="tiny-wavlm", cache_root=tmp_path / "dask", progress=False)
    finally:
        parallel.use_scheduler(None)
    assert list(dask.index) == list(here.index) and list(dask.columns) == list(here.columns)
    np.testing.assert_allclose(dask.to_numpy(), here.to_numpy(), rtol=0, atol=1e-5)
    assert np.abs(here.to_numpy()).max() > 1e-3  # not all zeros
    cache_consistent(tmp_path / "dask", len(corpus), (64,))
    models = client.run(lambda: sorted(__import__("helpers.embeddings").embeddings._WORKER_MODELS))
    assert all(loaded in ([], [("tiny-wavlm", 0, "auto")]) for loaded in models.values())


def test_emolime_functionals_and_occlusion_groups_on_dask(client, monkeypatch):
    import torch

    from helpers import emolime_models, resnet, saliency

    rng = np.random.default_rng(4)
    signals = [0.2 * rng.standard_normal(8000 + 800 * i).astype(np.float32) for i in range(5)]
    torch.manual_seed(0)
    model = resnet.SmallResNet(3).eval()
    x = rng.uniform(-60, 0, (5, 16, 30)).astype(np.float32)
    targets = [0, 1, 2, 0, 1]
    here = emolime_models.functionals(signals, feature_set="eGeMAPSv02", cache=False)
    one_call = saliency.occlusion_maps(model, x, targets, perturbations_per_eval=4)
    monkeypatch.setattr(saliency, "OCCLUSION_BATCH_INPUTS", 8)  # groups of 2 clips: 2 + 2 + 1
    parallel.use_scheduler(client)
    try:
        dask = emolime_models.functionals(signals, feature_set="eGeMAPSv02", cache=False)
        grouped = saliency.occlusion_maps(model, x, targets, perturbations_per_eval=4)
    finally:
        parallel.use_scheduler(None)
    assert dask.tobytes() == here.tobytes()
    assert grouped.shape == one_call.shape == (5, 16, 30)
    np.testing.assert_allclose(grouped, one_call, rtol=0, atol=1e-5)
    assert np.abs(one_call).max() > 0


def test_a_worker_killed_mid_run_is_survived(tmp_path, long_voices, client, cache_consistent):
    """One worker process is SIGKILLed once a few files are done: the lost tasks are rerun on
    the other (distributed retries tasks of a dead worker), the table equals the threads' one,
    and the cache folder holds only whole entries."""
    reference = features.extract(long_voices, cache=False, show_progress=False)
    root = tmp_path / "cache"
    victim = next(iter(client.run(os.getpid).values()))
    killed_at = []

    def kill_when_started():
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            done = len(cache._entries(root)) if root.exists() else 0
            if done >= 4:
                os.kill(victim, signal.SIGKILL)
                killed_at.append(done)
                return
            time.sleep(0.01)

    watcher = threading.Thread(target=kill_when_started)
    parallel.use_scheduler(client)
    try:
        watcher.start()
        result = features.extract(long_voices, cache=FeatureCache(root), show_progress=False)
    finally:
        watcher.join()
        parallel.use_scheduler(None)
    assert killed_at and killed_at[0] < len(long_voices), "the kill did not land mid-run"
    print(f"killed after {killed_at[0]} of {len(long_voices)} files")
    pd.testing.assert_frame_equal(result, reference, check_exact=True)
    cache_consistent(root, len(long_voices), (88,))
    client.wait_for_workers(2, timeout=60)  # the nanny restarted it
    assert victim not in set(client.run(os.getpid).values())
