"""The import alias (glasstorch/alias.py): `import torch[.x]` / `torchvision[.x]` give glasstorch.

Every test runs in a subprocess: the test process itself imports the real torch as the oracle.
"""
import os
import subprocess
import sys
import textwrap

import pytest


def _exec(tmp_path, code, *args, module="glasstorch.alias"):
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(code))
    return subprocess.run([sys.executable, "-m", module, str(script), *args],
                          capture_output=True, text=True, timeout=120)


def test_deep_imports_resolve_to_the_same_glasstorch_modules(tmp_path):
    r = _exec(tmp_path, """
        import sys
        import torch, torch.nn as nn, torch.nn.functional as F, torchvision
        import torch.nn.modules.pixelshuffle, torch.nn.modules.batchnorm
        from torch.nn.modules.conv import Conv2d
        from torch.nn.modules.loss import CrossEntropyLoss
        from torch.nn.modules.activation import ReLU
        from torch.nn.modules.linear import Linear
        from torch.nn.modules.instancenorm import InstanceNorm2d
        from torch.nn.modules.flatten import Flatten
        from torch.nn.modules.fold import Unfold
        from torch.optim.lr_scheduler import StepLR
        from torch.utils.data import DataLoader, Dataset
        from torchvision import datasets, transforms, models, ops
        from torchvision.transforms import functional as TF
        from torchvision.utils import make_grid, save_image
        from torchvision.io import read_image, ImageReadMode
        import torch.multiprocessing as mp
        import glasstorch, glasstorch.vision
        assert torch is glasstorch and torchvision is glasstorch.vision
        assert nn is glasstorch.nn and F is glasstorch.nn.functional
        assert torch.nn.modules.pixelshuffle.PixelShuffle is glasstorch.nn.PixelShuffle
        assert torch.nn.modules.batchnorm.BatchNorm2d is glasstorch.nn.BatchNorm2d
        assert Conv2d is nn.Conv2d and InstanceNorm2d is nn.InstanceNorm2d
        assert isinstance(torch.ones(2), glasstorch.Tensor)
        assert glasstorch.__spec__.name == "glasstorch"      # the module keeps its identity
        assert mp.Process is __import__("multiprocessing").Process
        print("ok", sys.argv[1:])
    """, "x", "--flag", "3")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "ok ['x', '--flag', '3']"


def test_missing_module_names_the_glasstorch_module(tmp_path):
    r = _exec(tmp_path, "import torch.no_such_thing\n")
    assert r.returncode != 0
    assert "No module named 'torch.no_such_thing'" in r.stderr
    assert "glasstorch.no_such_thing" in r.stderr


def test_exit_codes_and_main_guard(tmp_path):
    r = _exec(tmp_path, """
        import sys
        if __name__ == "__main__":
            sys.exit(3)
    """)
    assert r.returncode == 3
    r = _exec(tmp_path, "import sys; sys.exit('bad input')\n")
    assert r.returncode == 1 and "bad input" in r.stderr


def test_install_refuses_after_the_real_torch(tmp_path):
    code = ("import torch, glasstorch.alias\n"
            "try:\n    glasstorch.alias.install()\nexcept RuntimeError as e:\n    print(e)\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert "already imported" in r.stdout, r.stderr


def test_install_uninstall_in_process():
    code = ("import sys, glasstorch, glasstorch.alias as a\n"
            "a.install(); a.install()\n"
            "import torch.nn\n"
            "assert torch is glasstorch and sys.meta_path.count(a._FINDER) == 1\n"
            "a.uninstall()\n"
            "assert 'torch' not in sys.modules and 'torch.nn' not in sys.modules\n"
            "import torch\n"
            "assert torch is not glasstorch\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr


def test_spawned_children_get_the_alias(tmp_path):
    r = _exec(tmp_path, """
        import torch
        import torch.multiprocessing as mp

        def work(rank, t):
            t[rank] += rank + 1

        if __name__ == "__main__":
            t = torch.zeros(3).share_memory_()
            mp.spawn(work, args=(t,), nprocs=2)
            print(t.tolist())
    """)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[1.0, 2.0, 0.0]"


def test_missing_script():
    r = subprocess.run([sys.executable, "-m", "glasstorch.alias", "nope.py"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "no such script" in r.stderr and "Traceback" not in r.stderr


# ---- the command line: glasstorch exec ----------------------------------------------------------
def _cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "glasstorch", *args], capture_output=True,
                          text=True, timeout=120, cwd=cwd)


def test_cli_exec(tmp_path):
    script = tmp_path / "s.py"
    script.write_text("import sys, torch, torchvision\n"
                      "print(torch.__name__, torchvision.__name__, sys.argv[1:])\n")
    r = _cli("exec", str(script), "--help", "-x", "3")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "glasstorch glasstorch.vision ['--help', '-x', '3']"


def test_cli_exec_errors(tmp_path):
    r = _cli("exec", str(tmp_path / "missing.py"))
    assert r.returncode == 1 and "no such script" in r.stderr and "Traceback" not in r.stderr
    bad = tmp_path / "bad.py"
    bad.write_text("import torch\n\ndef f():\n    raise ValueError('boom')\n\nf()\n")
    r = _cli("exec", str(bad))
    # the script's own traceback, from its first frame (nothing of glasstorch's launcher)
    assert r.returncode == 1 and "ValueError: boom" in r.stderr
    assert f'File "{bad}", line 6' in r.stderr and "runpy" not in r.stderr
    assert "alias.py" not in r.stderr
    code = tmp_path / "code.py"
    code.write_text("import sys\nsys.exit(4)\n")
    assert _cli("exec", str(code)).returncode == 4
