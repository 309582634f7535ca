"""Keep the Exercises section safe on corpora it was not written for.

The exercises read variables that only the planted-cue default corpus defines (`planted`,
`lo`, the twin files, …). Run with papermill on a real corpus, they would stop the notebook
with a NameError. `guard_exercises(dataset, default)` sits in the first cell of each
notebook's Exercises section: on the default corpus it does nothing; on any other it makes
every later code cell print one line saying it was skipped and why, instead of running.
"""
from __future__ import annotations

SKIP_MESSAGE = "skipped: this exercise needs the planted-cue corpus {default!r}; this run uses {dataset!r}"


def _skip_transformer(message: str):
    def transform(lines: list[str]) -> list[str]:
        return [f"print({message!r})\n"]
    transform.serxai_exercise_guard = True
    return transform


def guard_exercises(dataset: str, default: str, shell=None) -> bool:
    """True when the exercises will run; otherwise registers the skip for the cells below.

    `shell` is the IPython shell (found automatically inside a kernel).
    """
    if dataset == default:
        return True
    if shell is None:
        from IPython import get_ipython

        shell = get_ipython()
    message = SKIP_MESSAGE.format(default=default, dataset=dataset)
    print(f"Exercises: {message}.")
    if shell is not None:
        transformers = shell.input_transformers_cleanup
        transformers[:] = [t for t in transformers if not getattr(t, "serxai_exercise_guard", False)]
        transformers.append(_skip_transformer(message))
    return False
