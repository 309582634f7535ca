"""Per-file work on local threads by default, or on worker processes / a Dask cluster.

Everything that loops over files (openSMILE functionals, EmoLIME perturbations, SSL
embeddings, occlusion groups) goes through `parallel_map`, which is joblib underneath: the
same code runs on this machine's threads (today's behaviour, openSMILE's C code releases
the GIL) or, once a notebook calls `use_scheduler(...)` or the caller wraps it in
`joblib.parallel_config(backend="dask")`, on other processes or machines. Results come back
in input order and every task is a pure function of its own item, so neither the backend
nor the number of workers changes them.
"""
from __future__ import annotations

import os

import joblib

from .errors import InvalidParameterError, SerxaiError
from .progress import progress

SCHEDULER_HINT = ("scheduler = None (this machine's threads), \"processes\" (local worker processes), "
                  "a Dask scheduler address such as \"tcp://10.0.0.5:8786\", or a distributed.Client")
CONNECT_TIMEOUT_S = 10

_STATE: dict = {"backend": None, "params": {}, "n_jobs": None, "client": None, "owned": False,
                "description": None}


class SchedulerError(SerxaiError, ValueError):
    """The `scheduler` parameter names something this process cannot use."""


def default_jobs() -> int:
    """Usable cores of this process (its CPU affinity), at least one. Kept here, not in
    helpers.features, so that asking never loads openSMILE (which must precede TensorFlow)."""
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def _configured():
    """(backend, n_jobs) set by an enclosing joblib.parallel_config, or (None, None)."""
    from joblib import parallel as jp

    # joblib keeps the context in a thread-local (`_backend.config`, joblib 1.3-1.6); should a
    # later joblib move it, only contexts go unnoticed: use_scheduler still works.
    defaults = getattr(jp, "default_parallel_config", None)
    config = getattr(getattr(jp, "_backend", None), "config", defaults)
    if not isinstance(config, dict) or defaults is None:
        return None, None
    backend = config.get("backend", defaults["backend"])
    if backend is defaults["backend"]:
        return None, None
    n_jobs = config.get("n_jobs", defaults["n_jobs"])
    return backend, (None if n_jobs is defaults["n_jobs"] else n_jobs)


def is_default() -> bool:
    """True when work runs on this process's threads (no scheduler chosen, no joblib context)."""
    return _configured()[0] is None and _STATE["backend"] is None


def parallel_map(func, items, n_jobs: int | None = None, desc: str | None = None, show_progress: bool = True) -> list:
    """[func(item) for item in items], in input order, in parallel.

    Default: `n_jobs` threads (default: one per core). Under `use_scheduler` or an enclosing
    `joblib.parallel_config(...)` that backend runs the tasks instead (there `func` and the
    items must pickle: module-level functions and functools.partial, not lambdas). An
    exception raised by a task propagates; catch it inside `func` to skip an item instead.
    """
    return list(parallel_imap(func, items, n_jobs, desc, show_progress))


def parallel_imap(func, items, n_jobs: int | None = None, desc: str | None = None, show_progress: bool = True):
    """`parallel_map` as a generator: each result as soon as it and those before it are done,
    so a caller can store them as they come (an interrupted run keeps what was finished)."""
    items = list(items)
    if not items:
        return
    backend, context_jobs = _configured()
    if backend is not None:
        config = joblib.parallel_config(n_jobs=n_jobs or context_jobs or -1)
    elif _STATE["backend"] is not None:
        config = joblib.parallel_config(backend=_STATE["backend"], n_jobs=n_jobs or _STATE["n_jobs"] or -1,
                                        **_STATE["params"])
    else:
        config = joblib.parallel_config(backend="threading", n_jobs=n_jobs or default_jobs())
    with config:
        results = joblib.Parallel(return_as="generator")(joblib.delayed(func)(item) for item in items)
        yield from progress(results, total=len(items), desc=desc, enabled=show_progress)


# ---------------------------------------------------------------- choosing the scheduler


def _close_owned() -> None:
    if _STATE["owned"] and _STATE["client"] is not None:
        try:
            _STATE["client"].close()
        except Exception:  # noqa: BLE001 (a dead scheduler must not stop the switch back)
            pass
    _STATE.update(backend=None, params={}, n_jobs=None, client=None, owned=False, description=None)


def _import_distributed():
    try:
        import distributed
    except ImportError:
        raise SchedulerError(
            "the scheduler parameter names a Dask cluster, but the `distributed` package is not "
            "installed; install it (pip install dask distributed, both pinned in requirements.txt) "
            "or set scheduler = None") from None
    return distributed


def _connect(address: str):
    distributed = _import_distributed()
    try:
        return distributed.Client(address, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise SchedulerError(
            f"cannot reach the Dask scheduler at scheduler = {address!r} ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0] if str(exc) else 'no answer'}); start it first (`dask scheduler` "
            f"and `dask worker <address>`, or dask-jobqueue), check the address, or use {SCHEDULER_HINT}"
        ) from None


def _describe_client(client) -> str:
    try:
        workers = client.scheduler_info(n_workers=-1)["workers"]
    except TypeError:  # older distributed: no n_workers argument
        workers = client.scheduler_info()["workers"]
    except Exception:  # noqa: BLE001 (a summary line must not fail the run)
        workers = {}
    threads = sum(int(w.get("nthreads", 0)) for w in workers.values())
    return f"dask {client.scheduler.address} ({len(workers)} workers, {threads} threads)"


def use_scheduler(scheduler=None) -> str:
    """Choose where `parallel_map` sends work for the rest of this kernel; returns a line for the
    run summary. None: threads here; "processes": joblib's loky worker processes here; any
    other string: the address of a running Dask scheduler; a distributed.Client (or a cluster
    object such as LocalCluster / dask_jobqueue.SLURMCluster): that cluster."""
    _close_owned()
    if scheduler is None or (isinstance(scheduler, str) and scheduler.strip().lower() in ("", "none", "threads")):
        return describe_scheduler()
    if isinstance(scheduler, str) and scheduler.strip().lower() == "processes":
        _STATE.update(backend="loky", n_jobs=default_jobs(),
                      description=f"processes ({default_jobs()} local workers, loky)")
        return describe_scheduler()
    if isinstance(scheduler, str):
        client, owned = _connect(scheduler.strip()), True
    elif hasattr(scheduler, "submit") and hasattr(scheduler, "scheduler_info"):
        client, owned = scheduler, False
    elif hasattr(scheduler, "scheduler_address"):  # a cluster object
        client, owned = _connect(scheduler.scheduler_address), True
    else:
        raise InvalidParameterError(f"invalid scheduler {scheduler!r}; valid choices: {SCHEDULER_HINT}")
    _import_distributed()
    _STATE.update(backend="dask", params={"client": client}, client=client, owned=owned,
                  description=_describe_client(client))
    return describe_scheduler()


def describe_scheduler() -> str:
    """Where per-file work runs now, for the run summary."""
    backend, _ = _configured()
    if backend is not None:
        return f"joblib backend {type(backend).__name__} (set by joblib.parallel_config)"
    if _STATE["description"]:
        return _STATE["description"]
    return f"threads ({default_jobs()} workers in this process)"


def worker_id(_item=None) -> str:
    """host:pid of the process running it (a task can report where it ran; the argument, an
    item of `parallel_map`, is ignored)."""
    import socket

    return f"{socket.gethostname()}:{os.getpid()}"
