"""distributions.transforms, constraints and biject_to/transform_to vs torch: each transform's
forward, inverse and log|det J| (values and gradients), shapes, constraint checks and reprs,
the transform the registries pick for each constraint, and validate_args errors."""
import pytest
import torch

import glasstorch as gt
from tests.helpers import check_op, check_raises


def _T(m):
    return m.distributions.transforms


def _C(m):
    return m.distributions.constraints


# (make(m) -> transform, input shape, input map x -> domain point)
TRANSFORMS = [
    (lambda m: _T(m).ExpTransform(), (3, 4), lambda x: x),
    (lambda m: _T(m).SigmoidTransform(), (3, 4), lambda x: x),
    (lambda m: _T(m).TanhTransform(), (3, 4), lambda x: x),
    (lambda m: _T(m).SoftplusTransform(), (3, 4), lambda x: x),
    (lambda m: _T(m).AffineTransform(1.5, -2.0), (3, 4), lambda x: x),
    (lambda m: _T(m).AffineTransform(m.tensor([1., 2., 3., 4.], dtype=m.float64),
                                     m.tensor([.5, 2., -1., 3.], dtype=m.float64),
                                     event_dim=1), (3, 4), lambda x: x),
    (lambda m: _T(m).PowerTransform(m.tensor(2.5, dtype=m.float64)), (3, 4),
     lambda x: x.abs() + 0.3),
    (lambda m: _T(m).StickBreakingTransform(), (3, 4), lambda x: x),
    (lambda m: _T(m).CorrCholeskyTransform(), (2, 6), lambda x: x),
    (lambda m: _T(m).LowerCholeskyTransform(), (2, 3, 3), lambda x: x),
    (lambda m: _T(m).ComposeTransform([_T(m).ExpTransform(), _T(m).AffineTransform(1., 3.)]),
     (3, 4), lambda x: x),
    (lambda m: _T(m).ComposeTransform([_T(m).AffineTransform(0., 2.),
                                       _T(m).StickBreakingTransform()]), (3, 4), lambda x: x),
    (lambda m: _T(m).IndependentTransform(_T(m).SigmoidTransform(), 1), (3, 4), lambda x: x),
    (lambda m: _T(m).ReshapeTransform((4,), (2, 2)), (3, 4), lambda x: x),
    (lambda m: _T(m).CatTransform([_T(m).ExpTransform(), _T(m).TanhTransform()], dim=1,
                                  lengths=[1, 3]), (3, 4), lambda x: x),
    (lambda m: _T(m).StackTransform([_T(m).ExpTransform(), _T(m).SigmoidTransform()], dim=0),
     (2, 4), lambda x: x),
    (lambda m: _T(m).CumulativeDistributionTransform(m.distributions.Normal(0., 2.)), (3, 4),
     lambda x: x),
    (lambda m: _T(m).ExpTransform().inv, (3, 4), lambda x: x.abs() + 0.1),
]


@pytest.mark.parametrize("i", range(len(TRANSFORMS)))
def test_transform_forward_inverse_logdet(i):
    make, shape, to_domain = TRANSFORMS[i]

    def fn(m, x):
        t = make(m)
        x = to_domain(x)
        y = t(x)
        outs = [y, t.inv(y)]
        if t.bijective:
            outs.append(t.log_abs_det_jacobian(x, y))
        return tuple(outs)
    check_op(fn, [shape], lib=True)


@pytest.mark.parametrize("i", range(len(TRANSFORMS)))
def test_transform_shapes_and_attributes(i):
    make, shape, _ = TRANSFORMS[i]
    tg, tt = make(gt), make(torch)
    assert tuple(tg.forward_shape(shape)) == tuple(tt.forward_shape(torch.Size(shape)))
    out = tt.forward_shape(torch.Size(shape))
    assert tuple(tg.inverse_shape(tuple(out))) == tuple(tt.inverse_shape(out))
    assert tg.bijective == tt.bijective
    assert repr(tg.domain) == repr(tt.domain) and repr(tg.codomain) == repr(tt.codomain)
    assert tg.domain.event_dim == tt.domain.event_dim
    assert tg.codomain.event_dim == tt.codomain.event_dim


def test_non_bijective_transforms():
    check_op(lambda m, x: _T(m).AbsTransform()(x), [(3, 4)], lib=True, avoid=[0.0])
    check_op(lambda m, x: _T(m).SoftmaxTransform()(x), [(3, 4)], lib=True)
    check_op(lambda m, x: _T(m).SoftmaxTransform().inv(x.softmax(-1)), [(3, 4)], lib=True)
    check_op(lambda m, x: _T(m).PositiveDefiniteTransform()(x), [(2, 3, 3)], lib=True)
    check_op(lambda m, x: _T(m).PositiveDefiniteTransform().inv(
        x @ x.mT + 3 * m.eye(3, dtype=x.dtype)), [(2, 3, 3)], lib=True)


def test_cache_and_identity():
    t = gt.distributions.transforms.ExpTransform(cache_size=1)
    x = gt.randn(3)
    assert t.inv(t(x)) is x
    assert gt.distributions.transforms.ExpTransform() == gt.distributions.ExpTransform()
    assert t.inv.inv is t
    x = gt.randn(2, 3)
    assert gt.distributions.identity_transform(x) is x
    with pytest.raises(ValueError):
        gt.distributions.transforms.ExpTransform(cache_size=2)


CONSTRAINTS = [
    ("real", None), ("positive", None), ("nonnegative", None), ("unit_interval", None),
    ("boolean", None), ("nonnegative_integer", None), ("positive_integer", None),
    ("simplex", None), ("real_vector", None), ("one_hot", None), ("lower_triangular", None),
    ("lower_cholesky", None), ("corr_cholesky", None), ("square", None), ("symmetric", None),
    ("positive_definite", None), ("positive_semidefinite", None),
    ("greater_than", (1.0,)), ("greater_than_eq", (1.0,)), ("less_than", (0.5,)),
    ("interval", (-1.0, 2.0)), ("half_open_interval", (-1.0, 2.0)),
    ("integer_interval", (0, 3)), ("multinomial", (4,)),
]
VALUES = [
    torch.tensor([[0.5, 0.5], [1.0, 0.0]], dtype=torch.float64),
    torch.tensor([[1.0, 0.0], [0.3, 0.9]], dtype=torch.float64),
    torch.tensor([[2.0, 0.5], [0.5, 1.0]], dtype=torch.float64),
    torch.tensor([[1.0, 2.0], [2.0, -3.0]], dtype=torch.float64),
    torch.tensor([[0.0, -1.0], [float("nan"), 1.0]], dtype=torch.float64),
    torch.tensor([[1.0, 0.0], [0.6, 0.8]], dtype=torch.float64),
]


@pytest.mark.parametrize("name,args", CONSTRAINTS)
def test_constraint_check_and_repr(name, args):
    cg, ct = getattr(_C(gt), name), getattr(_C(torch), name)
    if args is not None:
        cg, ct = cg(*args), ct(*args)
    assert repr(cg) == repr(ct)
    assert cg.event_dim == ct.event_dim and cg.is_discrete == ct.is_discrete
    for v in VALUES:
        assert cg.check(gt.tensor(v.numpy())).tolist() == ct.check(v).tolist(), v


def test_dependent_constraints():
    C = _C(gt)
    assert C.is_dependent(C.dependent) and not C.is_dependent(C.real)
    with pytest.raises(ValueError):
        C.dependent.check(gt.zeros(2))
    u = gt.distributions.Uniform(0.0, 2.0)
    assert repr(u.support) == repr(torch.distributions.Uniform(0.0, 2.0).support)
    assert C.is_dependent(gt.distributions.Uniform.support)
    s = C.stack([C.positive, C.real], dim=0)
    assert s.check(gt.tensor([[1.0, -1.0], [-2.0, 3.0]])).tolist() == [[True, False],
                                                                       [True, True]]
    c = C.cat([C.positive, C.real], dim=0, lengths=[1, 1])
    assert c.check(gt.tensor([-1.0, -1.0])).tolist() == [False, True]


REGISTERED = ["real", "positive", "nonnegative", "unit_interval", "simplex", "real_vector",
              "lower_cholesky", "corr_cholesky", "positive_definite",
              ("greater_than", (1.0,)), ("less_than", (2.0,)), ("interval", (-1.0, 3.0)),
              ("half_open_interval", (0.0, 1.0))]


@pytest.mark.parametrize("entry", REGISTERED)
@pytest.mark.parametrize("registry", ["biject_to", "transform_to"])
def test_registries_pick_torchs_transform(entry, registry):
    name, args = (entry, None) if isinstance(entry, str) else entry
    cg, ct = getattr(_C(gt), name), getattr(_C(torch), name)
    if args is not None:
        cg, ct = cg(*args), ct(*args)
    try:
        tt = getattr(torch.distributions, registry)(ct)
    except NotImplementedError:
        with pytest.raises(NotImplementedError):
            getattr(gt.distributions, registry)(cg)
        return
    tg = getattr(gt.distributions, registry)(cg)
    assert repr(tg) == repr(tt)
    shape = {"corr_cholesky": (2, 3), "lower_cholesky": (2, 3, 3),
             "positive_definite": (2, 3, 3)}.get(name, (2, 4))
    x = gt.randn(*shape, dtype=gt.float64)
    assert bool(cg.check(tg(x)).all())
    yt = tt(torch.tensor(x.numpy()))
    assert abs(tg(x).numpy() - yt.numpy()).max() < 1e-12


def test_registry_unknown_constraint_and_register():
    D = gt.distributions
    with pytest.raises(NotImplementedError):
        D.biject_to(D.constraints.boolean)
    reg = gt.distributions.constraint_registry.ConstraintRegistry()
    reg.register(D.constraints.boolean, lambda c: D.transforms.SigmoidTransform())
    assert isinstance(reg(D.constraints.boolean), D.transforms.SigmoidTransform)
    with pytest.raises(TypeError):
        reg.register(3, lambda c: None)


@pytest.mark.parametrize("call", [
    lambda m: m.distributions.Exponential(m.tensor([1.0])).log_prob(m.tensor([-1.0])),
    lambda m: m.distributions.Normal(m.zeros(3), 1.0).log_prob(m.zeros(2)),
    lambda m: m.distributions.Beta(m.tensor([1.0]), m.tensor([2.0])).log_prob(m.tensor([1.5])),
    lambda m: m.distributions.Categorical(logits=m.zeros(3)).log_prob(m.tensor(3)),
    lambda m: m.distributions.Gamma(m.tensor([1.0]), m.tensor([-2.0])),
    lambda m: m.distributions.Uniform(m.tensor([1.0]), m.tensor([0.0])),
    lambda m: m.distributions.Dirichlet(m.tensor([1.0, -1.0])),
])
def test_validate_args_errors(call):
    check_raises(call, lib=True, exc=ValueError)


def test_validate_args_off_and_message():
    d = gt.distributions.Normal(0.0, -1.0, validate_args=False)
    assert float(d.scale) == -1.0
    with pytest.raises(ValueError, match="scale .* GreaterThan"):
        gt.distributions.Normal(0.0, -1.0)
