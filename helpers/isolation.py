"""Run one costly function in a fresh Python process, so that the libraries it loads leave
with it.

TensorFlow's runtime (≈ 0.5 GB imported, ≈ 1 GB after a Keras model has trained) is never
given back to the operating system while its process lives. A notebook that trains Keras
models *and* torch models in one kernel therefore holds both runtimes at once, which is over
Binder's 2 GB. `in_fresh_process(function, ...)` runs `function` in a spawned interpreter
(nothing inherited but the environment and the arguments) and returns its result through
`helpers.memo`'s encoding (arrays, tables and helpers' dataclasses; no pickle on the way
back); the process and its memory are gone when the call returns.

Text the function prints (Python's stdout and stderr, e.g. our own warnings) is replayed in
the caller; the C++ libraries' start-up lines on the child's file descriptors are dropped,
as `quiet_output` drops them in a kernel. An exception in the child is raised in the caller
as `IsolatedError` with the child's traceback; a child that dies without one (e.g. killed
for memory) raises `IsolatedError` with its exit code.
"""
from __future__ import annotations

import contextlib
import importlib
import io
import multiprocessing
import os
import sys
import traceback

from .errors import SerxaiError


class IsolatedError(SerxaiError, RuntimeError):
    """The function run by `in_fresh_process` failed, or its process died."""


def _qualified(function) -> tuple[str, str]:
    module, name = getattr(function, "__module__", ""), getattr(function, "__qualname__", "")
    if not module.startswith("helpers.") or "<" in name:
        raise IsolatedError(f"in_fresh_process runs module-level functions of helpers only, not {module}.{name}")
    return module, name


def _child(connection, module: str, name: str, args: tuple, kwargs: dict) -> None:
    """The spawned process: quiet libraries, run, send ("ok" | "error", payload, stdout, stderr)."""
    from . import memo
    from .quiet import quiet_output

    quiet_output()
    out, err = io.StringIO(), io.StringIO()
    with open(os.devnull, "w") as null:
        os.dup2(null.fileno(), 1)  # C++ start-up lines (TensorFlow, oneDNN) write to the fds directly
        os.dup2(null.fileno(), 2)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            result = getattr(importlib.import_module(module), name)(*args, **kwargs)
            payload = memo.encode(result)
        connection.send(("ok", payload, out.getvalue(), err.getvalue()))
    except BaseException:  # noqa: BLE001 - everything goes back to the caller
        connection.send(("error", traceback.format_exc(), out.getvalue(), err.getvalue()))
    finally:
        connection.close()


def in_fresh_process(function, *args, **kwargs):
    """`function(*args, **kwargs)` computed in a new Python process (spawned, so no library
    state is shared) and returned decoded in this one. The function must be a module-level
    function of `helpers` whose result `helpers.memo` can store."""
    from . import memo

    module, name = _qualified(function)
    context = multiprocessing.get_context("spawn")
    receiving, sending = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(sending, module, name, args, kwargs), name=f"serxai-{name}")
    process.start()
    sending.close()
    try:
        message = receiving.recv()
    except EOFError:
        message = None
    finally:
        receiving.close()
        process.join()
    if message is None:
        raise IsolatedError(f"{module}.{name} died in its own process (exit code {process.exitcode}) without a "
                            "result; a negative code is the signal that killed it, e.g. -9 when the machine ran out "
                            "of memory: run the notebook with a smaller profile (-p n_seeds 1) or on a larger machine")
    status, payload, out, err = message
    sys.stdout.write(out)
    sys.stderr.write(err)
    if status != "ok":
        raise IsolatedError(f"{module}.{name} failed in its own process:\n{payload}")
    return memo.decode(payload)
