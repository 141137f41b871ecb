"""Run PyTorch code unchanged: `import torch` and `import torchvision` give glasstorch.

    >>> import glasstorch.alias
    >>> glasstorch.alias.install()          # in a notebook, before the first `import torch`
    >>> import torch, torch.nn.functional as F, torchvision
    >>> torch.__name__, F.__name__, torchvision.__name__
    ('glasstorch', 'glasstorch.nn.functional', 'glasstorch.vision')

`glasstorch exec script.py [args]` (see `run`) installs the alias, then runs the script as
`__main__` with `sys.argv = [script, *args]`, as `python script.py args` would.

How: a meta-path finder (PEP 451) placed first on `sys.meta_path`. Asked for `torch` or
`torch.<rest>`, it imports `glasstorch` or `glasstorch.<rest>` (`torchvision[.<rest>]` maps to
`glasstorch.vision[.<rest>]`) and hands back that very module object, so `torch.nn is
glasstorch.nn` and `isinstance` checks agree between both names. Deep imports work when
glasstorch has the same layout as torch (`torch.nn.modules.pixelshuffle`,
`torchvision.transforms.functional`); a name glasstorch lacks raises the usual
ModuleNotFoundError, naming the glasstorch module that was looked for.

The alias changes nothing for code that imports glasstorch by its own name, and adds no cost
after the import (the modules are the same objects).
"""
import importlib
import importlib.abc
import importlib.machinery
import os
import runpy
import sys

__all__ = ["install", "uninstall", "installed", "run", "MAPPING"]

# alias prefix -> glasstorch module it stands for
MAPPING = {"torch": "glasstorch", "torchvision": "glasstorch.vision"}


def _target(fullname):
    """The glasstorch module name for an aliased name, or None if `fullname` is not aliased."""
    for alias, real in MAPPING.items():
        if fullname == alias:
            return real
        if fullname.startswith(alias + "."):
            return real + fullname[len(alias):]
    return None


class _AliasLoader(importlib.abc.Loader):
    """Returns the already imported glasstorch module instead of creating a new one."""

    def __init__(self, module):
        self.module = module
        self.spec = module.__spec__

    def create_module(self, spec):
        return self.module

    def exec_module(self, module):
        # importlib wrote the alias spec onto the module; the module keeps its own identity
        module.__spec__ = self.spec


class AliasFinder(importlib.abc.MetaPathFinder):
    """Finds `torch[.x]` / `torchvision[.x]` as the matching glasstorch module."""

    def find_spec(self, fullname, path=None, target=None):
        real = _target(fullname)
        if real is None:
            return None
        try:
            module = importlib.import_module(real)
        except ModuleNotFoundError as e:
            if e.name is not None and real.startswith(e.name) and e.name.startswith("glasstorch"):
                raise ModuleNotFoundError(
                    f"No module named {fullname!r}: glasstorch has no {real!r} (the import "
                    f"alias maps {fullname!r} to it)", name=fullname) from None
            raise
        is_package = hasattr(module, "__path__")
        spec = importlib.machinery.ModuleSpec(fullname, _AliasLoader(module),
                                              is_package=is_package)
        if is_package:
            spec.submodule_search_locations = list(module.__path__)
        return spec


_FINDER = AliasFinder()
_SHIM_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_alias_path")


def installed():
    """Whether the alias is on sys.meta_path."""
    return _FINDER in sys.meta_path


def install():
    """Make `import torch[.x]` / `import torchvision[.x]` give glasstorch. Idempotent.

    Raises RuntimeError if the real torch or torchvision is already imported in this process:
    the alias cannot replace modules that code already holds, so call it first.
    """
    for alias, real in MAPPING.items():
        mod = sys.modules.get(alias)
        if mod is not None and mod.__name__ != real:
            raise RuntimeError(
                f"glasstorch.alias.install(): the real {alias!r} is already imported in this "
                f"process ({getattr(mod, '__file__', mod)}); install the alias before the "
                f"first `import {alias}` (e.g. restart the notebook kernel)")
    if not installed():
        sys.meta_path.insert(0, _FINDER)


def uninstall():
    """Remove the alias and forget the aliased names already imported (glasstorch stays)."""
    if installed():
        sys.meta_path.remove(_FINDER)
    for name in list(sys.modules):
        if _target(name) is not None and sys.modules[name].__name__ == _target(name):
            del sys.modules[name]


def run(path, args=()):
    """Run the script at `path` as `__main__` with the alias installed and argv = [path, *args].

    The script's directory is put first on sys.path, as `python path` does. Returns the
    script's exit code (0 when it ends normally, or the code it gives sys.exit).
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(f"glasstorch exec: no such script: {path!r}")
    install()
    saved_argv, saved_path = sys.argv, list(sys.path)
    sys.argv = [path, *args]
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    # processes started with `spawn` inherit sys.path but not the finder: _alias_path holds
    # stand-in `torch`/`torchvision` packages that install the alias there (ignored here)
    sys.path.insert(1, _SHIM_DIR)
    try:
        runpy.run_path(path, run_name="__main__")
    except SystemExit as e:
        code = e.code
        if code is None or isinstance(code, int):
            return code or 0
        print(code, file=sys.stderr)        # sys.exit("message"), as the interpreter does
        return 1
    finally:
        sys.argv, sys.path[:] = saved_argv, saved_path
    return 0


def main(argv=None):
    """`python -m glasstorch.alias script.py [args]`: the same as `glasstorch exec`."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: python -m glasstorch.alias script.py [args...]\n"
              "runs a PyTorch script with `torch`/`torchvision` importing glasstorch")
        return 0 if argv else 2
    try:
        return run(argv[0], argv[1:])
    except FileNotFoundError as e:
        print(e, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
