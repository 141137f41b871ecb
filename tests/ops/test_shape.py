"""Shape ops and views (glasstorch/ops/view.py, slice.py, join.py) against torch: values, gradients
(contiguous and transposed inputs, zero-size dims, negative dims), second derivatives, the
memory layout of every view (shape, stride, storage_offset, is_contiguous, _base), shared memory
and version counters, dtypes, errors. Autograd through in-place ops on views (ops/_inplace.py):
test_inplace_views.py."""
import numpy as np
import pytest
import torch

import glasstorch as gt
from helpers import (_flat, _to_framework, assert_close, check_op, check_raises,
                     make_inputs)


def _layout(t):
    # torch keeps NumPy's all-zero strides of empty inputs made from arrays: skip those
    return (tuple(t.shape), t.stride() if t.numel() else None, t.storage_offset(),
            t.is_contiguous(), t._base is not None)


def check_view(fn, shapes, layout="C", **kw):
    """check_op, then the layout of every output must be torch's (views included). Where
    the input layout allows no view, both must raise."""
    arrays = make_inputs(shapes)
    try:
        fn(torch, *_to_framework(torch, arrays, False, layout)[1])
    except RuntimeError as e:
        with pytest.raises(RuntimeError, match=str(e)[:20]):
            fn(gt, *_to_framework(gt, arrays, False, layout)[1])
        return None
    g_out, t_out = check_op(fn, shapes, lib=True, layout=layout, **kw)
    for i, (g, t) in enumerate(zip(_flat(g_out), _flat(t_out))):
        assert _layout(g) == _layout(t), f"output {i}: {_layout(g)} != torch's {_layout(t)}"
    return g_out, t_out


# ---- views: values, gradients and layout -----------------------------------------------------
VIEWS = [
    ("view", lambda L, x: x.view(4, 6), [(2, 3, 4)]),
    ("view_neg1", lambda L, x: x.view(-1, 3), [(2, 3, 4)]),
    ("view_flat", lambda L, x: x.view(-1), [(3, 4)]),
    ("view_size1", lambda L, x: x.view(2, 1, 3, 1, 4), [(2, 3, 4)]),
    ("view_0d", lambda L, x: x.view(()), [(1, 1)]),
    ("view_from_0d", lambda L, x: x.view(1, 1), [()]),
    ("view_zero", lambda L, x: x.view(3, 0, -1), [(0, 6)]),
    ("view_as", lambda L, x, y: x.view_as(y), [(2, 6), (3, 4)]),
    ("reshape", lambda L, x: x.reshape(4, 6), [(2, 3, 4)]),
    ("reshape_fn", lambda L, x: L.reshape(x, (6, -1)), [(3, 4)]),
    ("reshape_as", lambda L, x, y: x.reshape_as(y), [(2, 6), (3, 4)]),
    ("permute", lambda L, x: x.permute(2, 0, 1), [(2, 3, 4)]),
    ("permute_neg", lambda L, x: x.permute(-1, -3, 1), [(2, 3, 4)]),
    ("permute_fn", lambda L, x: L.permute(x, (1, 0)), [(3, 4)]),
    ("transpose", lambda L, x: x.transpose(0, -1), [(2, 3, 4)]),
    ("transpose_0d", lambda L, x: x.transpose(0, -1), [()]),
    ("swapaxes", lambda L, x: L.swapaxes(x, 0, 1), [(3, 4)]),
    ("swapdims", lambda L, x: x.swapdims(1, 2), [(2, 3, 4)]),
    ("t", lambda L, x: x.t(), [(3, 4)]),
    ("t_1d", lambda L, x: x.t(), [(3,)]),
    ("t_fn", lambda L, x: L.t(x), [(3, 4)]),
    ("T", lambda L, x: x.T, [(3, 4)]),
    ("mT", lambda L, x: x.mT, [(2, 3, 4)]),
    ("movedim", lambda L, x: x.movedim(0, -1), [(2, 3, 4)]),
    ("movedim_tuple", lambda L, x: L.movedim(x, (0, 2), (2, 1)), [(2, 3, 4)]),
    ("moveaxis", lambda L, x: L.moveaxis(x, -1, 0), [(2, 3, 4)]),
    ("squeeze", lambda L, x: x.squeeze(), [(1, 3, 1, 4)]),
    ("squeeze_dim", lambda L, x: x.squeeze(-2), [(1, 3, 1, 4)]),
    ("squeeze_not1", lambda L, x: x.squeeze(1), [(1, 3, 1, 4)]),
    ("squeeze_tuple", lambda L, x: L.squeeze(x, (0, 2)), [(1, 3, 1, 4)]),
    ("squeeze_0d", lambda L, x: x.squeeze(0), [()]),
    ("unsqueeze", lambda L, x: x.unsqueeze(1), [(3, 4)]),
    ("unsqueeze_end", lambda L, x: x.unsqueeze(-1), [(3, 4)]),
    ("unsqueeze_fn", lambda L, x: L.unsqueeze(x, 0), [(3, 4)]),
    ("unsqueeze_0d", lambda L, x: x.unsqueeze(0), [()]),
    ("flatten", lambda L, x: x.flatten(), [(2, 3, 4)]),
    ("flatten_range", lambda L, x: x.flatten(1, -1), [(2, 3, 4)]),
    ("flatten_head", lambda L, x: L.flatten(x, 0, 1), [(2, 3, 4)]),
    ("flatten_0d", lambda L, x: x.flatten(), [()]),
    ("ravel", lambda L, x: L.ravel(x), [(3, 4)]),
    ("unflatten", lambda L, x: x.unflatten(1, (2, 2)), [(3, 4)]),
    ("unflatten_neg", lambda L, x: x.unflatten(-1, (-1, 2)), [(3, 4)]),
    ("expand", lambda L, x: x.expand(2, 3, 4), [(3, 1)]),
    ("expand_neg1", lambda L, x: x.expand(-1, 5), [(3, 1)]),
    ("expand_same", lambda L, x: x.expand(3, 4), [(3, 4)]),
    ("expand_lead1", lambda L, x: x.expand(1, 3, 4), [(3, 4)]),
    ("expand_zero", lambda L, x: x.expand(0, 3, 4), [(3, 1)]),
    ("expand_as", lambda L, x, y: x.expand_as(y), [(1, 4), (3, 4)]),
    ("broadcast_to", lambda L, x: L.broadcast_to(x, (2, 3, 4)), [(4,)]),
    ("broadcast_tensors", lambda L, x, y: L.broadcast_tensors(x, y), [(3, 1), (4,)]),
    ("narrow", lambda L, x: x.narrow(1, 1, 2), [(3, 4)]),
    ("narrow_neg", lambda L, x: L.narrow(x, -1, -3, 2), [(3, 4)]),
    ("narrow_empty", lambda L, x: x.narrow(0, 3, 0), [(3, 4)]),
    ("select", lambda L, x: x.select(1, 2), [(3, 4)]),
    ("select_neg", lambda L, x: L.select(x, -1, -1), [(2, 3, 4)]),
    ("select_1d", lambda L, x: x.select(0, 1), [(3,)]),
    ("split", lambda L, x: x.split(2), [(5, 3)]),
    ("split_dim", lambda L, x: L.split(x, 3, dim=-1), [(2, 7)]),
    ("split_sizes", lambda L, x: x.split([1, 0, 3], 1), [(2, 4)]),
    ("split_zero", lambda L, x: x.split(2), [(0, 3)]),
    ("chunk", lambda L, x: x.chunk(3, 1), [(2, 7)]),
    ("chunk_fewer", lambda L, x: L.chunk(x, 4), [(3, 2)]),
    ("chunk_zero", lambda L, x: x.chunk(2), [(0, 3)]),
    ("unbind", lambda L, x: x.unbind(1), [(2, 3)]),
    ("unbind_fn", lambda L, x: L.unbind(x, -1), [(2, 3, 2)]),
    ("diagonal", lambda L, x: x.diagonal(), [(3, 4)]),
    ("diagonal_off", lambda L, x: x.diagonal(1), [(3, 4)]),
    ("diagonal_neg", lambda L, x: L.diagonal(x, -1, 2, 0), [(3, 2, 4)]),
    ("diagonal_empty", lambda L, x: x.diagonal(5), [(3, 4)]),
    ("unfold", lambda L, x: x.unfold(1, 2, 1), [(2, 5)]),
    ("unfold_step", lambda L, x: x.unfold(0, 2, 3), [(8, 2)]),
    ("unfold_gap", lambda L, x: x.unfold(-1, 1, 2), [(2, 5)]),
    ("unfold_0d", lambda L, x: x.unfold(0, 1, 1), [()]),
    ("meshgrid_ij", lambda L, x, y: L.meshgrid(x, y, indexing="ij"), [(3,), (2,)]),
    ("meshgrid_xy", lambda L, x, y, z: L.meshgrid(x, y, z, indexing="xy"), [(3,), (2,), (4,)]),
    ("atleast_1d", lambda L, x: L.atleast_1d(x), [()]),
    ("atleast_2d", lambda L, x, y: L.atleast_2d(x, y), [(3,), ()]),
    ("atleast_3d", lambda L, x, y: L.atleast_3d([x, y]), [(3,), (2, 3)]),
    ("chain", lambda L, x: x.t().unsqueeze(0).expand(2, 4, 3).narrow(2, 1, 2).select(1, 0),
     [(3, 4)]),
]


@pytest.mark.parametrize("layout", ["C", "T"])
@pytest.mark.parametrize("name, fn, shapes", VIEWS, ids=[v[0] for v in VIEWS])
def test_view_ops(name, fn, shapes, layout):
    check_view(fn, shapes, layout)


COPIES = [
    ("reshape_copy", lambda L, x: x.t().reshape(12), [(3, 4)]),
    ("flatten_copy", lambda L, x: x.mT.flatten(), [(2, 3, 4)]),
    ("contiguous", lambda L, x: x.t().contiguous(), [(3, 4)]),
    ("flip", lambda L, x: x.flip(0), [(3, 4)]),
    ("flip_dims", lambda L, x: L.flip(x, (0, -1)), [(2, 3, 4)]),
    ("fliplr", lambda L, x: L.fliplr(x), [(3, 4)]),
    ("flipud", lambda L, x: L.flipud(x), [(3, 4)]),
    ("roll", lambda L, x: x.roll(1, 0), [(3, 4)]),
    ("roll_tuple", lambda L, x: L.roll(x, (1, -5), (-1, 0)), [(3, 4)]),
    ("roll_flat", lambda L, x: x.roll(5), [(3, 4)]),
    ("tril", lambda L, x: x.tril(), [(3, 4)]),
    ("tril_k", lambda L, x: L.tril(x, -1), [(2, 3, 4)]),
    ("triu", lambda L, x: x.triu(1), [(4, 3)]),
    ("triu_fn", lambda L, x: L.triu(x, -2), [(2, 4, 3)]),
    ("repeat", lambda L, x: x.repeat(2, 3), [(3, 4)]),
    ("repeat_more", lambda L, x: x.repeat(2, 1, 3), [(3, 4)]),
    ("repeat_zero", lambda L, x: x.repeat(0, 2), [(3, 4)]),
    ("repeat_0d", lambda L, x: x.repeat(3), [()]),
    ("tile", lambda L, x: x.tile(2), [(3, 4)]),
    ("tile_fn", lambda L, x: L.tile(x, (2, 1, 1)), [(3, 4)]),
    ("flip_zero", lambda L, x: x.flip(1), [(0, 3)]),
    ("roll_zero", lambda L, x: x.roll(2, 1), [(0, 3)]),
    ("tril_zero", lambda L, x: x.tril(), [(2, 0)]),
    ("stack_zero", lambda L, x, y: L.stack([x, y], 1), [(0, 3), (0, 3)]),
    ("cat", lambda L, x, y: L.cat([x, y]), [(2, 3), (4, 3)]),
    ("cat_dim", lambda L, x, y, z: L.cat((x, y, z), -1), [(2, 3), (2, 1), (2, 0)]),
    ("cat_empty1d", lambda L, x, y: L.cat([x, y], 1), [(0,), (2, 3)]),
    ("concat", lambda L, x, y: L.concat([x, y], dim=1), [(2, 3), (2, 2)]),
    ("concatenate", lambda L, x, y: L.concatenate([x, y], axis=0), [(2, 3), (1, 3)]),
    ("stack", lambda L, x, y: L.stack([x, y]), [(2, 3), (2, 3)]),
    ("stack_end", lambda L, x, y: L.stack([x, y], -1), [(2, 3), (2, 3)]),
    ("stack_0d", lambda L, x, y: L.stack([x, y]), [(), ()]),
    ("hstack", lambda L, x, y: L.hstack([x, y]), [(2, 3), (2, 1)]),
    ("hstack_1d", lambda L, x, y: L.hstack([x, y]), [(3,), ()]),
    ("vstack", lambda L, x, y: L.vstack([x, y]), [(3,), (2, 3)]),
    ("dstack", lambda L, x, y: L.dstack([x, y]), [(2, 3), (2, 3, 2)]),
    ("column_stack", lambda L, x, y, z: L.column_stack([x, y, z]), [(3,), (3, 2), (3, 1)]),
]


@pytest.mark.parametrize("layout", ["C", "T"])
@pytest.mark.parametrize("name, fn, shapes", COPIES, ids=[c[0] for c in COPIES])
def test_copy_ops(name, fn, shapes, layout):
    g_out, t_out = check_op(fn, shapes, lib=True, layout=layout)
    for g, t in zip(_flat(g_out), _flat(t_out)):
        assert (g._base is None) == (t._base is None)


@pytest.mark.parametrize("fn, shapes", [
    (lambda L, x: (x.t().reshape(12) ** 2).view(3, 4).unsqueeze(0), [(4, 3)]),
    (lambda L, x: L.cat([x, x * x], 1).split(3, 1)[1].diagonal() ** 2, [(3, 3)]),
    (lambda L, x: L.stack(x.unbind(1)).roll(1, 0).flip(1).tril() ** 2, [(3, 3)]),
    (lambda L, x: (x.unfold(0, 3, 1) ** 2).repeat(2, 1, 1), [(5, 2)]),
    (lambda L, x: (x.expand(3, 2, 4) * x).narrow(2, 1, 2).select(0, 1), [(2, 4)]),
])
def test_second_derivatives(fn, shapes):
    check_op(fn, shapes, lib=True, double=True)


# ---- dtypes ---------------------------------------------------------------------------------
@pytest.mark.parametrize("fn", [
    lambda L, x: x.view(-1), lambda L, x: x.t().reshape(-1), lambda L, x: x.unsqueeze(0),
    lambda L, x: x.expand(2, 3, 4), lambda L, x: x.split(1), lambda L, x: x.flip(0),
    lambda L, x: x.roll(1), lambda L, x: x.tril(), lambda L, x: x.repeat(2, 1),
    lambda L, x: x.diagonal(), lambda L, x: L.cat([x, x]), lambda L, x: L.stack([x, x]),
    lambda L, x: x.unfold(1, 2, 1),
])
@pytest.mark.parametrize("dtype", ["float32", "int", "bool"])
def test_dtypes_kept(fn, dtype):
    shape = (3, 4)
    spec = {"float32": shape, "int": ("int", shape, -5, 5), "bool": ("bool", shape)}[dtype]
    check_op(fn, [spec], lib=True, dtype="float32")


@pytest.mark.parametrize("dts", [
    (torch.float32, torch.int64), (torch.int32, torch.int64), (torch.bool, torch.uint8),
    (torch.float32, torch.float64), (torch.bool, torch.float32), (torch.int16, torch.float16),
])
@pytest.mark.parametrize("op", ["cat", "stack"])
def test_join_promotes(dts, op):
    rng = np.random.default_rng(0)
    arrays = [rng.integers(0, 3, (2, 3)) for _ in dts]
    g = getattr(gt, op)([gt.tensor(a).to(getattr(gt, str(d).split(".")[1])) for a, d in
                         zip(arrays, dts)])
    t = getattr(torch, op)([torch.tensor(a).to(d) for a, d in zip(arrays, dts)])
    assert_close(g, t)


def test_cat_empty1d_promotes():
    g = gt.cat([gt.zeros(0, dtype=gt.float64), gt.ones(2, 3, dtype=gt.int64)])
    t = torch.cat([torch.zeros(0, dtype=torch.float64), torch.ones(2, 3, dtype=torch.int64)])
    assert_close(g, t)


def test_cat_mixed_dtype_grads():
    check_op(lambda L, x, y: L.cat([x, y.float()], 1) * 2, [(2, 3), (2, 2)], lib=True,
             dtype="float64")


# ---- memory: sharing, version counters, layout queries --------------------------------------
WRITABLE_VIEWS = [
    lambda x: x.view(-1), lambda x: x.view(4, 3), lambda x: x.t(), lambda x: x.permute(1, 0),
    lambda x: x.unsqueeze(1), lambda x: x.flatten(), lambda x: x.unflatten(1, (2, 2)),
    lambda x: x.narrow(1, 1, 2), lambda x: x.select(0, 1), lambda x: x.diagonal(1),
    lambda x: x.split(2, 1)[1], lambda x: x.chunk(3)[2], lambda x: x.unbind(1)[3],
    lambda x: x.unfold(1, 2, 2), lambda x: x.movedim(0, 1), lambda x: x.squeeze(),
    lambda x: x.reshape(2, 6), lambda x: x.t().narrow(0, 1, 2).t(), lambda x: x.expand(1, 3, 4),
]


@pytest.mark.parametrize("i", range(len(WRITABLE_VIEWS)))
def test_writes_through_views(i):
    fn = WRITABLE_VIEWS[i]
    outs = []
    for lib in (gt, torch):
        x = lib.arange(12.0).reshape(3, 4)
        v = fn(x)
        v.mul_(-1)                            # through the view into the base
        x.add_(100)                           # through the base into the view
        outs.append((x.clone(), v.clone(), (x._version, v._version, v.data_ptr() - x.data_ptr())))
    assert_close(outs[0][:2], outs[1][:2])
    assert outs[0][2] == outs[1][2]


def test_view_dtype():
    for dt in ("int64", "int32", "int16", "uint8", "float64"):
        g = gt.arange(12.0).reshape(3, 4).view(getattr(gt, dt))
        t = torch.arange(12.0).reshape(3, 4).view(getattr(torch, dt))
        assert_close(g, t)
        assert g.stride() == t.stride()
    outs = []
    for lib in (gt, torch):
        x = lib.zeros(3)
        x.view(lib.int32).add_(1)  # an alias: same bytes, same version counter
        outs.append((x, x._version))
    assert_close(outs[0][0], outs[1][0])
    assert outs[0][1] == outs[1][1] == 1
    assert not gt.zeros(3, requires_grad=True).view(gt.int32).requires_grad


def test_contiguous_and_storage():
    x = gt.randn(3, 4)
    assert x.contiguous() is x
    assert x.t().contiguous() is not x and x.t().contiguous().is_contiguous()
    v = x.t().narrow(0, 1, 2)
    assert v.untyped_storage().data_ptr() == x.untyped_storage().data_ptr()
    assert x.untyped_storage().nbytes() == 12 * 4 == len(v.untyped_storage())
    assert v.storage_offset() == 1 and v.data_ptr() == x.data_ptr() + 4


@pytest.mark.parametrize("fn", [
    lambda x: x.narrow(0, 0, 1), lambda x: x.t(), lambda x: x.expand(2, 3, 4).select(0, 0),
    lambda x: x.narrow(1, 1, 1), lambda x: x.unsqueeze(0),
    lambda x: x.unsqueeze(1).permute(2, 1, 0),
    lambda x: x.narrow(0, 0, 0), lambda x: x.narrow(1, 0, 1).t(), lambda x: x.select(1, 1),
    lambda x: x.unfold(1, 2, 2),
])
def test_is_contiguous(fn):
    g, t = fn(gt.zeros(3, 4)), fn(torch.zeros(3, 4))
    assert g.is_contiguous() == t.is_contiguous()


def test_unsqueeze_inplace():
    def fn(L, x):
        v = (x * 2).view(2, 3)
        assert v.unsqueeze_(1) is v and v.shape == (2, 1, 3) and v._version == 1
        return v * v
    check_view(fn, [(6,)])
    check_raises(lambda L, x: L.zeros(2, requires_grad=True).unsqueeze_(0), [(1,)], lib=True)


def test_grad_fn_names():
    names = {
        "View": lambda x: x.view(-1), "Permute": lambda x: x.permute(1, 0),
        "Transpose": lambda x: x.transpose(0, 1), "T": lambda x: x.t(),
        "Unsqueeze": lambda x: x.unsqueeze(0), "Expand": lambda x: x.expand(2, 3, 4),
        "Slice": lambda x: x.narrow(0, 0, 1), "Select": lambda x: x.select(0, 0),
        "Split": lambda x: x.split(1)[0], "SplitWithSizes": lambda x: x.split([1, 2])[0],
        "Unbind": lambda x: x.unbind()[0], "Diagonal": lambda x: x.diagonal(),
        "Unfold": lambda x: x.unfold(0, 2, 1), "Cat": lambda x: gt.cat([x, x]),
        "Stack": lambda x: gt.stack([x, x]), "Flip": lambda x: x.flip(0),
        "Roll": lambda x: x.roll(1), "Tril": lambda x: x.tril(), "Repeat": lambda x: x.repeat(2, 1),
        "Clone": lambda x: x.t().contiguous(),
    }
    x = gt.zeros(3, 4, requires_grad=True) * 1
    for name, fn in names.items():
        assert fn(x).grad_fn.name() == name + "Backward0"


def test_split_unused_outputs_get_zero_grad():
    check_op(lambda L, x: x.split(2)[1] * 3, [(5, 2)], lib=True)
    check_op(lambda L, x: x.unbind(0)[2] * 3, [(3, 2)], lib=True)


def test_meshgrid_default_warns():
    with pytest.warns(UserWarning, match="indexing"):
        grids = gt.meshgrid(gt.arange(3), gt.arange(2))
    assert [tuple(g.shape) for g in grids] == [(3, 2), (3, 2)]


@pytest.mark.parametrize("shapes", [((2, 3), (3,)), ((1,), (4, 1), ()), ((5, 1, 3), 3),
                                    ((0, 1), (3,))])
def test_broadcast_shapes(shapes):
    assert gt.broadcast_shapes(*shapes) == torch.broadcast_shapes(*shapes)


# ---- errors ---------------------------------------------------------------------------------
ERRORS = [
    ("view_noncontig", lambda L, x: x.t().view(12), [(3, 4)], "view size is not compatible"),
    ("view_size", lambda L, x: x.view(5, -1), [(3, 4)], r"shape '\[5, -1\]' is invalid for input"
                                                         r" of size 12"),
    ("view_two_neg", lambda L, x: x.view(-1, -1), [(3, 4)], "only one dimension"),
    ("view_neg2", lambda L, x: x.view(-2, 6), [(3, 4)], "invalid shape dimension -2"),
    ("reshape_size", lambda L, x: x.reshape(5), [(3, 4)], r"shape '\[5\]' is invalid"),
    ("reshape_zero_neg", lambda L, x: x.reshape(-1, 0), [(0, 3)], "ambiguous"),
    ("view_dtype_stride", lambda L, x: x.float().t().view(L.int16), [(3, 4)], r"stride\(-1\)"),
    ("view_dtype_size", lambda L, x: x.float().view(L.float64), [(4, 3)], r"size\(-1\)"),
    ("view_dtype_0d", lambda L, x: x.float().view(L.int16), [()], r"dim\(\) cannot be 0"),
    ("expand_size", lambda L, x: x.expand(3, 3), [(2, 3)], "must match the existing size"),
    ("expand_fewer", lambda L, x: x.expand(3), [(2, 3)], "number of sizes provided"),
    ("expand_lead_neg", lambda L, x: x.expand(-1, 2, 3), [(2, 3)], "leading, non-existing"),
    ("squeeze_dim", lambda L, x: x.squeeze(2), [(2, 3)], "Dimension out of range"),
    ("unsqueeze_dim", lambda L, x: x.unsqueeze(3), [(2, 3)], "Dimension out of range"),
    ("unsqueeze_neg", lambda L, x: x.unsqueeze(-4), [(2, 3)], "Dimension out of range"),
    ("permute_len", lambda L, x: x.permute(0), [(2, 3)], "number of dimensions"),
    ("permute_dup", lambda L, x: x.permute(0, 0), [(2, 3)], "duplicate dims"),
    ("t_3d", lambda L, x: x.t(), [(2, 3, 4)], r"t\(\) expects a tensor with <= 2 dimensions"),
    ("transpose_dim", lambda L, x: x.transpose(0, 2), [(2, 3)], "Dimension out of range"),
    ("movedim_len", lambda L, x: x.movedim((0, 1), (1,)), [(2, 3)], "same number of dims"),
    ("movedim_dup", lambda L, x: x.movedim((0, 0), (1, 0)), [(2, 3)], "repeated dim"),
    ("flatten_order", lambda L, x: x.flatten(1, 0), [(2, 3)], "start_dim cannot come after"),
    ("unflatten_prod", lambda L, x: x.unflatten(1, (2, 2)), [(2, 3)], "don't multiply up"),
    ("unflatten_empty", lambda L, x: x.unflatten(1, ()), [(2, 3)], "non-empty"),
    ("cat_shapes", lambda L, x, y: L.cat([x, y]), [(2, 3), (2, 4)], "Sizes of tensors must "
                                                                     "match except in dimension 0"),
    ("cat_ndim", lambda L, x, y: L.cat([x, y]), [(2, 3), (2, 3, 1)], "same number of dim"),
    ("cat_0d", lambda L, x: L.cat([x]), [()], "zero-dimensional"),
    ("cat_none", lambda L: L.cat([]), [], "non-empty"),
    ("cat_dim", lambda L, x: L.cat([x], 2), [(2, 3)], "Dimension out of range"),
    ("stack_shapes", lambda L, x, y: L.stack([x, y]), [(2, 3), (3, 2)], "equal size"),
    ("stack_none", lambda L: L.stack([]), [], "non-empty"),
    ("narrow_len", lambda L, x: x.narrow(1, 2, 2), [(2, 3)], "exceeds dimension size"),
    ("narrow_start", lambda L, x: x.narrow(1, -4, 1), [(2, 3)], "start out of range"),
    ("narrow_neglen", lambda L, x: x.narrow(1, 0, -1), [(2, 3)], "non-negative"),
    ("narrow_0d", lambda L, x: x.narrow(0, 0, 1), [()], "0-dim"),
    ("select_index", lambda L, x: x.select(1, 3), [(2, 3)], "out of range"),
    ("select_0d", lambda L, x: x.select(0, 0), [()], "0-dim"),
    ("split_sum", lambda L, x: x.split([1, 1]), [(3,)], "sum exactly to 3"),
    ("split_negsize", lambda L, x: x.split([2, -1, 2]), [(3,)], "non-negative"),
    ("split_zero", lambda L, x: x.split(0), [(3,)], "can only be 0"),
    ("split_neg", lambda L, x: x.split(-1), [(3,)], "non-negative"),
    ("chunk_zero", lambda L, x: x.chunk(0), [(3,)], "greater than 0"),
    ("split_0d", lambda L, x: x.split(1), [()], "at least a 1-dimensional"),
    ("chunk_0d", lambda L, x: x.chunk(2), [()], "at least a 1-dimensional"),
    ("unbind_0d", lambda L, x: x.unbind(), [()], "no dimensions"),
    ("diagonal_same", lambda L, x: x.diagonal(0, 1, 1), [(2, 3)], "cannot be identical"),
    ("unfold_size", lambda L, x: x.unfold(1, 4, 1), [(2, 3)], "maximum size"),
    ("unfold_step", lambda L, x: x.unfold(1, 2, 0), [(2, 3)], "must be > 0"),
    ("tril_1d", lambda L, x: x.tril(), [(3,)], "at least 2 dimensions"),
    ("triu_1d", lambda L, x: L.triu(x), [(3,)], "at least 2 dimensions"),
    ("roll_align", lambda L, x: x.roll((1, 2), 0), [(2, 3)], "must align"),
    ("roll_none", lambda L, x: x.roll((1, 2)), [(2, 3)], "must align"),
    ("repeat_fewer", lambda L, x: x.repeat(2), [(2, 3)], "can not be smaller"),
    ("flip_dup", lambda L, x: x.flip(0, 0), [(2, 3)], "multiple times"),
    ("fliplr_1d", lambda L, x: L.fliplr(x), [(3,)], ">= 2-d"),
    ("broadcast_tensors", lambda L, x, y: L.broadcast_tensors(x, y), [(2, 3), (4,)],
     "must match the size"),
    ("broadcast_shapes", lambda L: L.broadcast_shapes((2, 3), (4,)), [], "broadcast"),
    ("meshgrid_2d", lambda L, x: L.meshgrid(x, x, indexing="ij"), [(2, 2)], "0D or 1D"),
    ("meshgrid_indexing", lambda L, x: L.meshgrid(x, indexing="ab"), [(2,)], "indexing must"),
    ("expanded_write", lambda L, x: x.expand(2, 3).add_(1), [(3,)], None),
    ("split_piece_inplace", lambda L, x: (x * 1).split(1)[0].mul_(2), [(2, 3)],
     "is a view and is being modified inplace"),
    ("unbind_piece_inplace", lambda L, x: (x * 1).unbind(0)[1].mul_(2), [(2, 3)],
     "multiple views"),
    ("view_of_leaf_inplace", lambda L, x: x.view(-1).mul_(2), [(2, 3)], "view of a leaf"),
]


@pytest.mark.parametrize("name, fn, shapes, match", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors(name, fn, shapes, match):
    if name.endswith("inplace"):  # needs inputs that require grad
        for lib in (gt, torch):
            x = lib.ones(shapes[0], dtype=lib.float64, requires_grad=True)
            with pytest.raises(RuntimeError, match=match):
                fn(lib, x)
        return
    check_raises(fn, shapes, lib=True, match=match)


@pytest.mark.parametrize("fn, shapes", [
    (lambda L, x: x.repeat_interleave(2), [(2, 3)]),
    (lambda L, x: x.repeat_interleave(3, dim=1), [(2, 3)]),
    (lambda L, x: x.repeat_interleave(L.tensor([1, 0, 2]), dim=-1), [(2, 3)]),
    (lambda L, x: L.repeat_interleave(x, 2, dim=0), [(0, 3)]),
    (lambda L, x: x.repeat_interleave(L.tensor(2), dim=0), [(3,)]),
])
def test_repeat_interleave(fn, shapes):
    check_op(fn, shapes, lib=True)


def test_repeat_interleave_counts_form_and_errors():
    import glasstorch as gt
    assert gt.repeat_interleave(gt.tensor([2, 0, 1])).tolist() == \
        torch.repeat_interleave(torch.tensor([2, 0, 1])).tolist()
    check_raises(lambda L, x: x.repeat_interleave(L.tensor([1, 2]), dim=1), [(2, 3)], lib=True)
