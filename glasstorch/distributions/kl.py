"""kl_divergence(p, q) = E_p[log p - log q], closed forms looked up by the pair of types
(register_kl adds one, as in torch)."""


from .continuous import Normal, Uniform, Exponential, Laplace, MultivariateNormal
from .discrete import Bernoulli, Categorical, OneHotCategorical, Independent

__all__ = ["kl_divergence", "register_kl"]

_KL = {}


def register_kl(type_p, type_q):
    def decorator(fn):
        _KL[(type_p, type_q)] = fn
        return fn
    return decorator


def kl_divergence(p, q):
    for tp in type(p).__mro__:
        for tq in type(q).__mro__:
            if (tp, tq) in _KL:
                return _KL[(tp, tq)](p, q)
    raise NotImplementedError(f"No KL(p || q) is implemented for p = {type(p).__name__}, "
                              f"q = {type(q).__name__}")


@register_kl(Normal, Normal)
def _kl_normal(p, q):
    var_ratio = (p.scale / q.scale) ** 2
    t1 = ((p.loc - q.loc) / q.scale) ** 2
    return 0.5 * (var_ratio + t1 - 1 - var_ratio.log())


@register_kl(Bernoulli, Bernoulli)
def _kl_bernoulli(p, q):
    import glasstorch.nn.functional as F
    t1 = p.probs * (F.softplus(-q.logits) - F.softplus(-p.logits))
    t2 = (1 - p.probs) * (F.softplus(q.logits) - F.softplus(p.logits))
    return t1 + t2


@register_kl(Categorical, Categorical)
def _kl_categorical(p, q):
    t = p.probs * (p.logits - q.logits)
    t = t.masked_fill(q.probs == 0, float("inf")).masked_fill(p.probs == 0, 0.0)
    return t.sum(-1)


@register_kl(OneHotCategorical, OneHotCategorical)
def _kl_onehot(p, q):
    return _kl_categorical(p._categorical, q._categorical)


@register_kl(Uniform, Uniform)
def _kl_uniform(p, q):
    result = ((q.high - q.low) / (p.high - p.low)).log()
    outside = (q.low > p.low) | (q.high < p.high)
    return result.masked_fill(outside, float("inf"))


@register_kl(Exponential, Exponential)
def _kl_exponential(p, q):
    ratio = q.rate / p.rate
    return ratio - ratio.log() - 1


@register_kl(Laplace, Laplace)
def _kl_laplace(p, q):
    scale_ratio = p.scale / q.scale
    loc_abs = (p.loc - q.loc).abs()
    return -scale_ratio.log() + loc_abs / q.scale + scale_ratio * \
        (-loc_abs / p.scale).exp() - 1


@register_kl(MultivariateNormal, MultivariateNormal)
def _kl_mvn(p, q):
    from .. import linalg
    k = p.event_shape[0]
    Lq, Lp = q.scale_tril, p.scale_tril
    M = linalg.solve_triangular(Lq, Lp, upper=False)
    diff = linalg.solve_triangular(Lq, (q.loc - p.loc).unsqueeze(-1), upper=False)
    half_log_det = (Lq.diagonal(0, -2, -1).log().sum(-1) -
                    Lp.diagonal(0, -2, -1).log().sum(-1))
    return half_log_det + 0.5 * ((M ** 2).sum((-2, -1)) + (diff ** 2).sum((-2, -1)) - k)


@register_kl(Independent, Independent)
def _kl_independent(p, q):
    if p.reinterpreted_batch_ndims != q.reinterpreted_batch_ndims:
        raise NotImplementedError("KL between Independents of different event dims")
    return p._sum(kl_divergence(p.base_dist, q.base_dist))



