"""Run a client program on glasstorch (through the import alias, as `glasstorch exec` does) or
on PyTorch, optionally with the shared random stream of _bridge.py:

    python tests/clients/run.py glasstorch|torch [--bridge SEED] [--cwd DIR] script.py [args...]

Used by test_clients.py to compare a program's output between the two frameworks.
"""
import os
import runpy
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def _wrapper(name, cls, to_torch):
    import torch

    class Wrapped(torch.utils.data.Dataset):
        def __init__(self, *args, **kwargs):
            self.inner = cls(*args, **kwargs)

        def __getitem__(self, i):
            return to_torch(self.inner[i])

        def __len__(self):
            return len(self.inner)

        def __getattr__(self, attr):
            return getattr(self.__dict__["inner"], attr)
    Wrapped.__name__ = name
    return Wrapped


def _torchvision_shim():
    """torchvision is not installed with the oracle torch: for the torch run, `torchvision` is
    glasstorch.vision's datasets/transforms with every sample converted to torch tensors at
    the dataset boundary, so both runs see the same pixels; utils converts the other way."""
    import types

    import numpy as np
    import torch

    import glasstorch
    import glasstorch.vision as gv

    def to_torch(x):
        if isinstance(x, glasstorch.Tensor):
            return torch.from_numpy(np.array(x.detach().numpy()))
        if isinstance(x, (tuple, list)):
            return type(x)(to_torch(v) for v in x)
        return x

    def to_gt(x):
        if isinstance(x, torch.Tensor):
            return glasstorch.tensor(x.detach().numpy())
        if isinstance(x, (tuple, list)):
            return [to_gt(v) for v in x]
        return x

    datasets = types.ModuleType("torchvision.datasets")
    for name in dir(gv.datasets):
        cls = getattr(gv.datasets, name)
        if isinstance(cls, type) and hasattr(cls, "__getitem__"):
            datasets.__dict__[name] = _wrapper(name, cls, to_torch)
    utils = types.ModuleType("torchvision.utils")
    utils.make_grid = lambda t, *a, **k: to_torch(gv.utils.make_grid(to_gt(t), *a, **k))
    utils.save_image = lambda t, *a, **k: gv.utils.save_image(to_gt(t), *a, **k)
    # transforms run inside glasstorch's pipeline; a user Lambda gets and returns torch tensors
    transforms = types.ModuleType("torchvision.transforms")
    transforms.__dict__.update({k: v for k, v in vars(gv.transforms).items()
                                if not k.startswith("__")})

    class Lambda(gv.transforms.Lambda):
        def __call__(self, x):
            y = self.lambd(to_torch(x))
            return glasstorch.tensor(y.numpy()) if isinstance(y, torch.Tensor) else y
    transforms.Lambda = Lambda

    class Compose(gv.transforms.Compose):       # a user Dataset gets torch tensors out of it
        def __call__(self, x):
            return to_torch(super().__call__(x))
    transforms.Compose = Compose
    tv = types.ModuleType("torchvision")
    tv.datasets, tv.transforms, tv.utils = datasets, transforms, utils
    sys.modules.update({"torchvision": tv, "torchvision.datasets": datasets,
                        "torchvision.transforms": transforms, "torchvision.utils": utils})


def main(argv):
    framework, argv = argv[0], argv[1:]
    seed = None
    cwd = None
    while argv and argv[0].startswith("--"):
        if argv[0] == "--bridge":
            seed, argv = int(argv[1]), argv[2:]
        elif argv[0] == "--cwd":
            cwd, argv = argv[1], argv[2:]
    script, args = os.path.abspath(argv[0]), argv[1:]
    if cwd:
        os.chdir(cwd)
    if seed is not None:
        sys.path.insert(0, HERE)
        import _bridge
        _bridge.install(framework, seed)
    if framework == "glasstorch":
        import glasstorch.alias
        return glasstorch.alias.run(script, args)
    import torch
    torch.set_num_threads(1)      # the oracle: one thread, no contention on a shared machine
    _torchvision_shim()
    sys.argv = [script, *args]
    sys.path.insert(0, os.path.dirname(script))
    runpy.run_path(script, run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
