"""Grad modes against torch: no_grad / enable_grad / set_grad_enabled / inference_mode as
context managers and decorators (with and without parentheses, nested, on generators)."""
import pytest
import torch

import glasstorch as gt

LIBS = [gt, torch]


def _records(lib, a):
    return (a * 2).requires_grad


@pytest.mark.parametrize("lib", LIBS)
def test_context_managers_nest_and_restore(lib):
    a = lib.ones(2, requires_grad=True)
    seen = []
    with lib.no_grad():
        seen.append(_records(lib, a))
        with lib.enable_grad():
            seen.append(_records(lib, a))
            with lib.set_grad_enabled(False):
                seen.append(_records(lib, a))
            seen.append(_records(lib, a))
        seen.append(lib.is_grad_enabled())
    seen.append(lib.is_grad_enabled())
    assert seen == [False, True, False, True, False, True]


@pytest.mark.parametrize("lib", LIBS)
def test_no_grad_results_have_no_history(lib):
    a = lib.ones(2, requires_grad=True)
    with lib.no_grad():
        y = a * 2
        a.add_(1)  # in-place on a leaf that requires grad is fine without recording
    assert (y.requires_grad, y.grad_fn, y.is_leaf) == (False, None, True)
    assert a.requires_grad and a.is_leaf and a.grad_fn is None


@pytest.mark.parametrize("lib", LIBS)
def test_exception_restores_mode(lib):
    with pytest.raises(ValueError):
        with lib.no_grad():
            raise ValueError
    assert lib.is_grad_enabled()


@pytest.mark.parametrize("lib", LIBS)
def test_decorators_with_and_without_parentheses(lib):
    a = lib.ones(2, requires_grad=True)

    @lib.no_grad
    def f(x):
        return x * 2

    @lib.no_grad()
    def g(x):
        return x * 2

    @lib.enable_grad()
    def h(x):
        return x * 2

    @lib.inference_mode
    def i(x):
        return x * 2

    @lib.inference_mode()
    def j(x):
        return x * 2

    @lib.set_grad_enabled(False)
    def k(x):
        return x * 2

    assert lib.is_grad_enabled()  # decorating did not switch the mode
    assert [f(a).requires_grad, g(a).requires_grad, i(a).requires_grad, j(a).requires_grad,
            k(a).requires_grad] == [False] * 5
    with lib.no_grad():
        assert h(a).requires_grad
    assert f.__name__ == "f"


@pytest.mark.parametrize("lib", LIBS)
def test_decorated_method_and_reentrancy(lib):
    class M:
        @lib.no_grad()
        def step(self, x, depth):
            if depth:
                return self.step(x, depth - 1)
            return lib.is_grad_enabled(), (x * 2).requires_grad

    assert M().step(lib.ones(1, requires_grad=True), 3) == (False, False)
    assert lib.is_grad_enabled()


@pytest.mark.parametrize("lib", LIBS)
def test_decorated_generator_runs_each_step_in_mode(lib):
    @lib.no_grad()
    def gen():
        yield lib.is_grad_enabled()
        yield lib.is_grad_enabled()
        return "done"

    g = gen()
    assert next(g) is False
    assert lib.is_grad_enabled()       # the caller's mode between steps
    assert next(g) is False
    with pytest.raises(StopIteration) as e:
        next(g)
    assert e.value.value == "done"


@pytest.mark.parametrize("lib", LIBS)
def test_set_grad_enabled_as_function(lib):
    lib.set_grad_enabled(False)
    try:
        assert not lib.is_grad_enabled()
    finally:
        lib.set_grad_enabled(True)
    assert lib.is_grad_enabled()
    with lib.set_grad_enabled(True):
        with lib.set_grad_enabled(False):
            assert not lib.is_grad_enabled()
        assert lib.is_grad_enabled()


@pytest.mark.parametrize("lib", LIBS)
def test_inference_mode(lib):
    a = lib.ones(2, requires_grad=True)
    with lib.inference_mode():
        assert not _records(lib, a)
        assert lib.is_inference_mode_enabled()
    assert not lib.is_inference_mode_enabled()
    with lib.inference_mode(False):
        assert _records(lib, a)
    with lib.no_grad():
        with lib.inference_mode(False):
            assert _records(lib, a)  # torch: inference_mode(False) turns grad mode on


@pytest.mark.parametrize("lib", LIBS)
def test_autograd_namespace_aliases(lib):
    assert lib.autograd.no_grad is lib.no_grad
    assert lib.autograd.enable_grad is lib.enable_grad
    assert lib.autograd.set_grad_enabled is lib.set_grad_enabled


@pytest.mark.parametrize("lib", LIBS)
def test_decorator_runs_each_call_under_a_fresh_copy_of_its_manager(lib):
    # (grad_mode._clone: a copy.copy without the reduce protocol) nested and recursive calls
    # restore the mode each found; a manager's own state (inference_mode(False)) is kept
    seen = []

    @lib.no_grad()
    def down(n):
        seen.append(lib.is_grad_enabled())
        return down(n - 1) if n else lib.is_grad_enabled()

    with lib.enable_grad():
        assert down(3) is False and seen == [False] * 4
        assert lib.is_grad_enabled()

    @lib.inference_mode(False)
    def outside():
        return lib.is_inference_mode_enabled(), lib.is_grad_enabled()

    with lib.inference_mode():
        assert outside() == (False, True)
        assert lib.is_inference_mode_enabled() and not lib.is_grad_enabled()
