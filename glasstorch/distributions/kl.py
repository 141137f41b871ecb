"""kl_divergence(p, q) = E_p[log p(x) - log q(x)] in closed form, looked up by the pair of
types. register_kl(TypeP, TypeQ) adds a formula; a lookup takes the most specific registered
pair (by subclassing), as torch does. This file: the dispatch and pairs of one family;
kl_cross.py: pairs of different families (infinite where q's support misses part of p's).
"""
import math
import warnings

from ..creation import full_like
from ..nn import functional as _F
from ..ops.gamma import digamma, lgamma
from .continuous import Cauchy, Exponential, Laplace, MultivariateNormal, Normal, Uniform
from .discrete import Bernoulli, Categorical, Geometric, Independent, OneHotCategorical
from .distribution import ExponentialFamily
from .gamma_family import Beta, Binomial, Dirichlet, Gamma, Poisson
from .matrix import LowRankMultivariateNormal, _mahalanobis, _solve_lower
from .relaxed import ContinuousBernoulli
from .transformed import Gumbel, HalfNormal, TransformedDistribution
from .transformed_power import Pareto
from .transforms import _sum_rightmost

__all__ = ["kl_divergence", "register_kl"]

_KL_REGISTRY = {}
_KL_MEMOIZE = {}
_EULER = 0.5772156649015329


def register_kl(type_p, type_q):
    """Decorator registering fn(p, q) as KL(p || q) for p of type_p and q of type_q."""
    if not isinstance(type_p, type) or not isinstance(type_q, type):
        raise TypeError(f"Expected type_p and type_q to be classes, got {type_p!r}, "
                        f"{type_q!r}")

    def decorator(fn):
        _KL_REGISTRY[type_p, type_q] = fn
        _KL_MEMOIZE.clear()
        return fn
    return decorator


def _more_specific(a, b):
    """True if pair a is at least as specific as pair b (first type compared first)."""
    for x, y in zip(a, b):
        if not issubclass(x, y):
            return False
        if x is not y:
            break
    return True


def _dispatch(type_p, type_q):
    matches = [m for m in _KL_REGISTRY if issubclass(type_p, m[0]) and issubclass(type_q, m[1])]
    if not matches:
        return NotImplemented
    left = _min_pair(matches)
    right = _min_pair([(q, p) for p, q in matches])[::-1]
    if _KL_REGISTRY[left] is not _KL_REGISTRY[right]:
        warnings.warn(f"Ambiguous kl_divergence({type_p.__name__}, {type_q.__name__}). "
                      f"Please register_kl({left[0].__name__}, {right[1].__name__})",
                      RuntimeWarning, stacklevel=3)
    return _KL_REGISTRY[left]


def _min_pair(pairs):
    best = pairs[0]
    for pair in pairs[1:]:
        if _more_specific(pair, best):
            best = pair
    return best


def kl_divergence(p, q):
    """KL(p || q), one value per batch entry. Raises NotImplementedError for an unregistered
    pair of types."""
    key = type(p), type(q)
    if key not in _KL_MEMOIZE:
        _KL_MEMOIZE[key] = _dispatch(*key)
    fn = _KL_MEMOIZE[key]
    if fn is NotImplemented:
        raise NotImplementedError(f"No KL(p || q) is implemented for p type "
                                  f"{type(p).__name__} and q type {type(q).__name__}")
    return fn(p, q)


def _infinite_like(t):
    return full_like(t, math.inf)


def _trace_XXT(m):
    """trace(M M^T) over the last two dims."""
    return (m ** 2).sum((-2, -1))


@register_kl(Bernoulli, Bernoulli)
def _kl_bernoulli_bernoulli(p, q):
    t1 = p.probs * (_F.softplus(-q.logits) - _F.softplus(-p.logits))
    t1 = t1.masked_fill(q.probs == 0, math.inf).masked_fill(p.probs == 0, 0.0)
    t2 = (1 - p.probs) * (_F.softplus(q.logits) - _F.softplus(p.logits))
    t2 = t2.masked_fill(q.probs == 1, math.inf).masked_fill(p.probs == 1, 0.0)
    return t1 + t2


@register_kl(Beta, Beta)
def _kl_beta_beta(p, q):
    sp = p.concentration1 + p.concentration0
    sq = q.concentration1 + q.concentration0
    t1 = lgamma(q.concentration1) + lgamma(q.concentration0) + lgamma(sp)
    t2 = lgamma(p.concentration1) + lgamma(p.concentration0) + lgamma(sq)
    t3 = (p.concentration1 - q.concentration1) * digamma(p.concentration1)
    t4 = (p.concentration0 - q.concentration0) * digamma(p.concentration0)
    return t1 - t2 + t3 + t4 + (sq - sp) * digamma(sp)


@register_kl(Binomial, Binomial)
def _kl_binomial_binomial(p, q):
    if bool((p.total_count < q.total_count).any()):
        raise NotImplementedError("KL between Binomials where q.total_count > "
                                  "p.total_count is not implemented")
    kl = p.total_count * (p.probs * (p.logits - q.logits) + (-p.probs).log1p() -
                          (-q.probs).log1p())
    return kl.masked_fill(p.total_count > q.total_count, math.inf)


@register_kl(Categorical, Categorical)
def _kl_categorical_categorical(p, q):
    t = p.probs * (p.logits - q.logits)
    t = t.masked_fill((q.probs == 0).expand(*t.shape), math.inf)
    return t.masked_fill((p.probs == 0).expand(*t.shape), 0.0).sum(-1)


@register_kl(ContinuousBernoulli, ContinuousBernoulli)
def _kl_cb_cb(p, q):
    return p.mean * (p.logits - q.logits) + p._cont_bern_log_norm() + (-p.probs).log1p() - \
        q._cont_bern_log_norm() - (-q.probs).log1p()


@register_kl(Dirichlet, Dirichlet)
def _kl_dirichlet_dirichlet(p, q):
    sp, sq = p.concentration.sum(-1), q.concentration.sum(-1)
    t1 = lgamma(sp) - lgamma(sq)
    t2 = (lgamma(p.concentration) - lgamma(q.concentration)).sum(-1)
    t3 = p.concentration - q.concentration
    t4 = digamma(p.concentration) - digamma(sp).unsqueeze(-1)
    return t1 - t2 + (t3 * t4).sum(-1)


@register_kl(Exponential, Exponential)
def _kl_exponential_exponential(p, q):
    ratio = q.rate / p.rate
    return ratio - ratio.log() - 1


@register_kl(ExponentialFamily, ExponentialFamily)
def _kl_expfamily_expfamily(p, q):
    """The Bregman divergence of the log-normalizer A between the natural parameters:
    A(theta_q) - A(theta_p) - <theta_q - theta_p, grad A(theta_p)>."""
    from ..autograd import grad
    from ..autograd.grad_mode import enable_grad
    if type(p) is not type(q):
        raise NotImplementedError("The cross KL-divergence between different exponential "
                                  "families cannot be computed using Bregman divergences")
    p_params = [t.detach().requires_grad_() for t in p._natural_params]
    with enable_grad():
        lg = p._log_normalizer(*p_params)
        grads = grad(lg.sum(), p_params, create_graph=True)
    result = q._log_normalizer(*q._natural_params) - lg
    for pt, qt, g in zip(p_params, q._natural_params, grads):
        result = result - _sum_rightmost((qt - pt) * g, len(q.event_shape))
    return result


@register_kl(Gamma, Gamma)
def _kl_gamma_gamma(p, q):
    t1 = q.concentration * (p.rate / q.rate).log()
    t2 = lgamma(q.concentration) - lgamma(p.concentration)
    t3 = (p.concentration - q.concentration) * digamma(p.concentration)
    return t1 + t2 + t3 + (q.rate - p.rate) * (p.concentration / p.rate)


@register_kl(Gumbel, Gumbel)
def _kl_gumbel_gumbel(p, q):
    ct1, ct2, ct3 = p.scale / q.scale, q.loc / q.scale, p.loc / q.scale
    t3 = (ct2 + lgamma(1 + ct1) - ct3).exp()
    return -ct1.log() - ct2 + ct3 + ct1 * _EULER + t3 - (1 + _EULER)


@register_kl(Geometric, Geometric)
def _kl_geometric_geometric(p, q):
    return -p.entropy() - (-q.probs).log1p() / p.probs - q.logits


@register_kl(HalfNormal, HalfNormal)
def _kl_halfnormal_halfnormal(p, q):
    var_ratio = (p.scale / q.scale) ** 2
    return 0.5 * (var_ratio - 1 - var_ratio.log())


@register_kl(Laplace, Laplace)
def _kl_laplace_laplace(p, q):
    scale_ratio = p.scale / q.scale
    loc_abs = (p.loc - q.loc).abs()
    return -scale_ratio.log() + loc_abs / q.scale + scale_ratio * \
        (-loc_abs / p.scale).exp() - 1


def _check_events(p, q):
    if tuple(p.event_shape) != tuple(q.event_shape):
        raise ValueError("KL-divergence between two (Low Rank) Multivariate Normals with "
                         "different event shapes cannot be computed")


def _lowrank_A(q):
    """chol(C_q)^-1 W_q^T D_q^-1, so that Sigma_q^-1 = D_q^-1 - A^T A."""
    Wt_Dinv = q._unbroadcasted_cov_factor.transpose(-2, -1) / \
        q._unbroadcasted_cov_diag.unsqueeze(-2)
    return _solve_lower(q._capacitance_tril, Wt_Dinv)


def _lowrank_mahalanobis(q, x):
    W, D = q._unbroadcasted_cov_factor, q._unbroadcasted_cov_diag
    Wt_Dinv_x = ((W.transpose(-2, -1) / D.unsqueeze(-2)) @ x.unsqueeze(-1)).squeeze(-1)
    return (x ** 2 / D).sum(-1) - _mahalanobis(q._capacitance_tril, Wt_Dinv_x)


def _mvn_log_det(d):
    if isinstance(d, LowRankMultivariateNormal):
        return d._log_det()
    return 2 * d._unbroadcasted_scale_tril.diagonal(0, -2, -1).log().sum(-1)


@register_kl(LowRankMultivariateNormal, LowRankMultivariateNormal)
def _kl_lowrank_lowrank(p, q):
    _check_events(p, q)
    A = _lowrank_A(q)
    pW, pD, qD = p._unbroadcasted_cov_factor, p._unbroadcasted_cov_diag, \
        q._unbroadcasted_cov_diag
    trace = (pD / qD).sum(-1) + _trace_XXT(pW * qD.rsqrt().unsqueeze(-1)) - \
        _trace_XXT(A * pD.sqrt().unsqueeze(-2)) - _trace_XXT(A @ pW)
    return 0.5 * (_mvn_log_det(q) - _mvn_log_det(p) + trace +
                  _lowrank_mahalanobis(q, q.loc - p.loc) - p.event_shape[0])


@register_kl(MultivariateNormal, LowRankMultivariateNormal)
def _kl_mvn_lowrank(p, q):
    _check_events(p, q)
    A = _lowrank_A(q)
    L = p._unbroadcasted_scale_tril
    trace = _trace_XXT(L * q._unbroadcasted_cov_diag.rsqrt().unsqueeze(-1)) - _trace_XXT(A @ L)
    return 0.5 * (_mvn_log_det(q) - _mvn_log_det(p) + trace +
                  _lowrank_mahalanobis(q, q.loc - p.loc) - p.event_shape[0])


@register_kl(LowRankMultivariateNormal, MultivariateNormal)
def _kl_lowrank_mvn(p, q):
    _check_events(p, q)
    Lq = q._unbroadcasted_scale_tril
    trace = _trace_XXT(_solve_lower(Lq, p._unbroadcasted_cov_factor)) + \
        _trace_XXT(_solve_lower(Lq, p._unbroadcasted_cov_diag.sqrt().diag_embed()))
    return 0.5 * (_mvn_log_det(q) - _mvn_log_det(p) + trace +
                  _mahalanobis(Lq, q.loc - p.loc) - p.event_shape[0])


@register_kl(MultivariateNormal, MultivariateNormal)
def _kl_mvn_mvn(p, q):
    if tuple(p.event_shape) != tuple(q.event_shape):
        raise ValueError("KL-divergence between two Multivariate Normals with different "
                         "event shapes cannot be computed")
    Lq, Lp = q._unbroadcasted_scale_tril, p._unbroadcasted_scale_tril
    return 0.5 * (_mvn_log_det(q) - _mvn_log_det(p) + _trace_XXT(_solve_lower(Lq, Lp)) +
                  _mahalanobis(Lq, q.loc - p.loc) - p.event_shape[0])


@register_kl(Normal, Normal)
def _kl_normal_normal(p, q):
    var_ratio = (p.scale / q.scale) ** 2
    t1 = ((p.loc - q.loc) / q.scale) ** 2
    return 0.5 * (var_ratio + t1 - 1 - var_ratio.log())


@register_kl(OneHotCategorical, OneHotCategorical)
def _kl_onehot_onehot(p, q):
    return _kl_categorical_categorical(p._categorical, q._categorical)


@register_kl(Pareto, Pareto)
def _kl_pareto_pareto(p, q):
    alpha_ratio = q.alpha / p.alpha
    result = q.alpha * (p.scale / q.scale).log() - alpha_ratio.log() + alpha_ratio - 1
    return result.masked_fill(p.scale < q.scale, math.inf)


@register_kl(Poisson, Poisson)
def _kl_poisson_poisson(p, q):
    return p.rate * (p.rate.log() - q.rate.log()) - (p.rate - q.rate)


@register_kl(TransformedDistribution, TransformedDistribution)
def _kl_transformed_transformed(p, q):
    if p.transforms != q.transforms or tuple(p.event_shape) != tuple(q.event_shape):
        raise NotImplementedError
    return kl_divergence(p.base_dist, q.base_dist)


@register_kl(Uniform, Uniform)
def _kl_uniform_uniform(p, q):
    result = ((q.high - q.low) / (p.high - p.low)).log()
    return result.masked_fill((q.low > p.low) | (q.high < p.high), math.inf)


@register_kl(Independent, Independent)
def _kl_independent_independent(p, q):
    if p.reinterpreted_batch_ndims != q.reinterpreted_batch_ndims:
        raise NotImplementedError
    return _sum_rightmost(kl_divergence(p.base_dist, q.base_dist),
                          p.reinterpreted_batch_ndims)


@register_kl(Cauchy, Cauchy)
def _kl_cauchy_cauchy(p, q):
    # Chyzak & Nielsen (2019), arXiv:1905.10965
    return ((p.scale + q.scale) ** 2 + (p.loc - q.loc) ** 2).log() - \
        (4 * p.scale * q.scale).log()


# the cross-family pairs are registered by kl_cross.py, which the package imports after this
