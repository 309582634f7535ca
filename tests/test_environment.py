"""The pinned stack: torch exact, no torchvision, zennit importable beside transformers, Binder in step."""
from __future__ import annotations

import re
import subprocess
import sys
import textwrap

from packaging.requirements import Requirement

from helpers.paths import REPO_ROOT
from helpers.zennit_compat import torchvision_available


def pins(path) -> dict[str, str]:
    found = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        req = Requirement(line)
        specs = list(req.specifier)
        assert len(specs) == 1 and specs[0].operator == "==", f"{path.name}: {line!r} is not pinned with =="
        found[req.name.lower()] = specs[0].version.split("+")[0]  # +cpu is Binder's wheel label
    return found


def test_torch_is_pinned_exactly_and_torchvision_is_absent():
    requirements = (REPO_ROOT / "requirements.txt").read_text()
    assert re.search(r"^torch==2\.13\.0$", requirements, re.M)
    assert "torchvision" not in re.sub(r"#.*", "", requirements)
    assert not torchvision_available(), "torchvision is installed: it breaks transformers beside torch 2.13 CPU"


def test_binder_pins_the_same_versions_as_requirements():
    main = pins(REPO_ROOT / "requirements.txt")
    binder = pins(REPO_ROOT / "binder" / "requirements.txt")
    assert set(binder) == set(main)
    assert {k: v for k, v in binder.items() if main[k] != v} == {}
    assert "download.pytorch.org/whl/cpu" in (REPO_ROOT / "binder" / "requirements.txt").read_text()
    assert "requirements-nodeps.txt" in (REPO_ROOT / "binder" / "postBuild").read_text()


def test_zennit_is_installed_without_its_dependencies_pinned():
    """Exactly these go in without dependency resolution; anything else must be argued for."""
    nodeps = pins(REPO_ROOT / "requirements-nodeps.txt")
    assert set(nodeps) == {"zennit", "zennit-crp", "resemblyzer"}


def test_resemblyzer_dependencies_come_from_the_pinned_stack_and_typing_stays_out():
    """resemblyzer is installed --no-deps: each dependency it declares must be pinned in
    requirements.txt (webrtcvad as the webrtcvad-wheels binary wheel), except the `typing`
    backport, which must not be installed at all on Python 3.11."""
    from importlib.metadata import PackageNotFoundError, requires, version

    main = pins(REPO_ROOT / "requirements.txt")
    provided_by = {"webrtcvad": "webrtcvad-wheels"}
    declared = {Requirement(r).name.lower(): Requirement(r) for r in requires("resemblyzer")}
    assert set(declared) == {"librosa", "numpy", "webrtcvad", "torch", "scipy", "typing"}
    for name, requirement in declared.items():
        if name == "typing":
            continue
        pinned = main[provided_by.get(name, name)]
        assert requirement.specifier.contains(pinned), f"{name}=={pinned} breaks resemblyzer's {requirement}"
    try:
        assert version("typing") is None, "the typing backport is installed: it shadows the standard library"
    except PackageNotFoundError:
        pass
    import typing

    assert typing.__file__.startswith(sys.base_prefix)  # the standard library's


def test_resemblyzer_imports_cleanly_beside_transformers():
    code = ("import warnings; warnings.simplefilter('error'); import transformers; "
            "from helpers import ge2e; ge2e._resemblyzer(); print(ge2e.weights_path().stat().st_size)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert int(done.stdout.split()[-1]) > 10_000_000  # the packaged weights, not a stub


def test_installed_versions_match_the_pins():
    from importlib.metadata import version

    for name, pinned in {**pins(REPO_ROOT / "requirements.txt"), **pins(REPO_ROOT / "requirements-nodeps.txt")}.items():
        assert version(name).split("+")[0] == pinned, name


CONSERVATION_SCRIPT = textwrap.dedent(
    """
    import torch
    from torch import nn
    from helpers.zennit_compat import import_zennit
    import_zennit()
    from transformers import WavLMModel  # must import in the same process as zennit
    from zennit.composites import EpsilonPlusFlat
    from zennit.canonizers import SequentialMergeBatchNorm
    from zennit.layer import Sum
    from zennit.attribution import Gradient
    from crp.attribution import CondAttribution

    class Block(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.body = nn.Sequential(nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c), nn.ReLU())
            self.add = Sum()
        def forward(self, x):
            return self.add(torch.stack([x, self.body(x)], dim=-1))

    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Sequential(nn.Conv2d(1, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4)), nn.ReLU(),
        Block(4), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 3, bias=False)).eval()
    x = torch.rand(1, 1, 8, 8, requires_grad=True)
    composite = EpsilonPlusFlat(canonizers=[SequentialMergeBatchNorm()])
    with Gradient(model=model, composite=composite) as attributor:
        out, relevance = attributor(x, torch.eye(3)[[0]])
    zennit_gap = abs(relevance.sum().item() - 1.0)  # zennit seeds relevance with the one-hot itself
    attribution = CondAttribution(model)
    crp_relevance = attribution(x, [{"y": [0]}], composite).heatmap
    # CRP seeds relevance with the logit value
    crp_gap = abs(crp_relevance.sum().item() - out[0, 0].item()) / abs(out[0, 0].item())
    print(f"{zennit_gap:.3g} {crp_gap:.3g} {WavLMModel.__name__}")
    """
)


def test_zennit_crp_and_wavlm_work_in_one_process_and_conserve_relevance():
    done = subprocess.run([sys.executable, "-c", CONSERVATION_SCRIPT], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    zennit_gap, crp_gap, name = done.stdout.split()[-3:]
    assert name == "WavLMModel"
    assert float(zennit_gap) < 1e-4 and float(crp_gap) < 1e-4


def test_import_zennit_registers_stub_only_without_torchvision():
    code = ("import sys; from helpers.zennit_compat import import_zennit; import_zennit(); "
            "m = sys.modules['zennit.torchvision']; print('stand-in' in (m.__doc__ or ''))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-1000:]
    assert done.stdout.strip() == "True"
