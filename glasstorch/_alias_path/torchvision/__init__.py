"""Not a module of glasstorch: this directory is put first on sys.path by `glasstorch exec` so
that a process started with `spawn` (multiprocessing re-imports the script there, before any
glasstorch code runs) finds this `torchvision`, which installs the import alias and becomes
glasstorch.vision."""
import sys

import glasstorch.vision
import glasstorch.alias

sys.modules[__name__] = glasstorch.vision
glasstorch.alias.install()
