"""The docstring examples of glasstorch.optim run and print what they claim."""
import doctest
import importlib

import pytest

MODULES = ["optimizer", "sgd", "adam", "adamw", "adagrad", "rmsprop", "adadelta", "adamax",
           "nadam", "radam", "lbfgs", "lr_scheduler.base", "lr_scheduler.decay",
           "lr_scheduler.cosine", "lr_scheduler.cyclic", "lr_scheduler.combine",
           "lr_scheduler.plateau"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(f"glasstorch.optim.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
