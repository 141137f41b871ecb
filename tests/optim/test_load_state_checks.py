"""Optimizer.load_state_dict refuses a state dict that does not fit, before anything changes,
with torch's error types (torch raises some of them only at step())."""
import pytest
import torch

import glasstorch as gt


def _stepped(lib, cls, **kw):
    w = lib.nn.Parameter(lib.ones(3))
    opt = getattr(lib.optim, cls)([w], lr=0.1, **kw)
    w.sum().backward()
    opt.step()
    return w, opt


def _raises_like_torch(make_dst, sd_of, when_torch="load"):
    """glasstorch raises at load_state_dict with the error type torch raises (at load or at
    step); the optimizer is unchanged afterwards."""
    tw, tdst = make_dst(torch)
    with pytest.raises(Exception) as te:
        tdst.load_state_dict(sd_of(torch))
        tdst.step()
    gw, gdst = make_dst(gt)
    before = gdst.state_dict()
    with pytest.raises(type(te.value)) as ge:
        gdst.load_state_dict(sd_of(gt))
    assert gdst.state_dict()["param_groups"] == before["param_groups"]
    return str(ge.value)


def test_sgd_state_into_adam():
    msg = _raises_like_torch(lambda lib: _stepped(lib, "Adam"),
                             lambda lib: _stepped(lib, "SGD", momentum=0.9)[1].state_dict())
    assert "has no 'step'" in msg and "another optimizer" in msg


def test_adam_state_into_sgd():
    msg = _raises_like_torch(lambda lib: _stepped(lib, "SGD", momentum=0.9),
                             lambda lib: _stepped(lib, "Adam")[1].state_dict())
    assert "SGD does not use" in msg


def test_state_of_wrong_shape():
    def sd_of(lib):
        sd = _stepped(lib, "Adam")[1].state_dict()
        sd["state"][0]["exp_avg"] = lib.zeros(5)
        return sd
    msg = _raises_like_torch(lambda lib: _stepped(lib, "Adam"), sd_of)
    assert "'exp_avg' of parameter 0 has shape [5], but the parameter has shape [3]" in msg


@pytest.mark.parametrize("bad", [{}, {"state": {}}])
def test_missing_param_groups(bad):
    _raises_like_torch(lambda lib: _stepped(lib, "SGD"), lambda lib: dict(bad))


def test_group_count_and_size():
    def two_groups(lib):
        w, opt = _stepped(lib, "SGD")
        opt.add_param_group({"params": [lib.nn.Parameter(lib.ones(2))]})
        return w, opt
    msg = _raises_like_torch(two_groups, lambda lib: _stepped(lib, "SGD")[1].state_dict())
    assert "different number of parameter groups" in msg

    def two_params(lib):
        opt = lib.optim.Adam([lib.nn.Parameter(lib.ones(3)), lib.nn.Parameter(lib.ones(2))])
        return None, opt
    msg = _raises_like_torch(two_params, lambda lib: _stepped(lib, "Adam")[1].state_dict())
    assert "doesn't match the size" in msg


def test_not_a_dict():
    _raises_like_torch(lambda lib: _stepped(lib, "SGD"), lambda lib: 5)


def test_matching_state_still_loads_and_steps():
    w, src = _stepped(gt, "RMSprop", momentum=0.9, centered=True)
    w2, dst = _stepped(gt, "RMSprop", momentum=0.9, centered=True)
    dst.load_state_dict(src.state_dict())
    dst.step()
