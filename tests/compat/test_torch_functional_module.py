"""torch.functional (torch/functional.py), which programs import (`import torch.functional as
F` in pytorch/tutorials' "Building Models"): glasstorch.functional holds the same names as
torch's __all__ (bar stft/istft/align_tensors), each glasstorch's own function, and the import
alias finds it."""
import os
import subprocess
import sys

import torch.functional as TF

import glasstorch as gt
import glasstorch.functional as GF

ABSENT = {"stft", "istft", "align_tensors"}


def test_same_names_as_torch_functional():
    assert set(GF.__all__) == set(TF.__all__) - ABSENT
    for name in GF.__all__:
        assert getattr(GF, name) is getattr(gt, name)
    x = gt.tensor([[3.0, 4.0]])
    assert GF.norm(x).item() == 5.0 and GF.atleast_3d(x).shape == (1, 2, 1)


def test_import_alias_finds_it(tmp_path):
    script = tmp_path / "f.py"
    script.write_text("import torch.functional as F\nimport torch\n"
                      "print(F.broadcast_shapes((2, 1), (3,)), F.einsum('i,i', torch.ones(2), "
                      "torch.ones(2)).item())\n")
    out = subprocess.run([sys.executable, "-m", "glasstorch", "exec", str(script)],
                         capture_output=True, text=True, timeout=120,
                         env=dict(os.environ))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "torch.Size([2, 3]) 2.0"
