"""The exercise guard skips every later cell on another corpus, and nothing on the default."""
import pytest

from helpers.exercise_guard import guard_exercises


@pytest.fixture()
def shell():
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    yield shell
    shell.input_transformers_cleanup[:] = [t for t in shell.input_transformers_cleanup
                                           if not getattr(t, "serxai_exercise_guard", False)]
    InteractiveShell.clear_instance()


def test_on_the_default_corpus_cells_run(shell, capsys):
    assert guard_exercises("synthetic", "synthetic", shell=shell) is True
    shell.run_cell("ran = 1 + 1")
    assert shell.user_ns["ran"] == 2
    assert "skipped" not in capsys.readouterr().out


def test_on_another_corpus_each_later_cell_prints_one_line_and_does_not_run(shell, capsys):
    assert guard_exercises("emodb", "synthetic", shell=shell) is False
    assert guard_exercises("emodb", "synthetic", shell=shell) is False  # registered once only
    result = shell.run_cell("ran = undefined_planted_variable")
    assert result.success and "ran" not in shell.user_ns
    out = capsys.readouterr().out
    assert out.count("this exercise needs the planted-cue corpus 'synthetic'; this run uses 'emodb'") == 3
