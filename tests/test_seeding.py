"""seed_everything: the same seed gives the same draws; a Keras-only notebook need not load torch."""
import subprocess
import sys

import numpy as np

from helpers.seeding import seed_everything


def test_same_seed_same_numpy_draws_and_another_seed_differs():
    seed_everything(5)
    first = np.random.rand(3)
    seed_everything(5)
    assert np.array_equal(first, np.random.rand(3))
    seed_everything(6)
    assert not np.array_equal(first, np.random.rand(3))


def _torch_loaded_after(call: str) -> str:
    code = f"import sys\nfrom helpers.seeding import seed_everything\n{call}\nprint('torch' in sys.modules)"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300).stdout.strip()


def test_import_torch_false_leaves_torch_unloaded_and_the_default_seeds_it():
    assert _torch_loaded_after("seed_everything(1, import_torch=False)") == "False"
    assert _torch_loaded_after("seed_everything(1)") == "True"


def test_import_torch_false_still_seeds_a_torch_already_imported():
    code = ("import torch\nfrom helpers.seeding import seed_everything\n"
            "seed_everything(3, import_torch=False); a = torch.rand(2)\n"
            "seed_everything(3, import_torch=False); b = torch.rand(2)\nprint(bool((a == b).all()))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.stdout.strip() == "True", done.stderr[-500:]
