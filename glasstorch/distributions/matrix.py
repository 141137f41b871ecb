"""Distributions with matrix structure: LowRankMultivariateNormal (covariance W W^T + diag(D),
evaluated through the Woodbury identity in O(n m^2)), Wishart (random covariance matrices,
sampled by Bartlett's decomposition) and LKJCholesky (Cholesky factors of random correlation
matrices, the onion method of Lewandowski, Kurowicka & Joe 2009).
"""
import math
import warnings

from .. import linalg
from .. import random as _random
from ..creation import arange, eye
from ..ops.gamma import digamma, lgamma
from ..tensor import Size
from . import constraints
from .distribution import Distribution, ExponentialFamily, broadcast_all
from .gamma_family import Beta, Chi2
from .transforms_vector import _vec_to_tril

__all__ = ["LowRankMultivariateNormal", "Wishart", "LKJCholesky"]


def _randn(shape, like):
    return _random.randn(*shape, dtype=like.dtype) if shape else \
        _random.randn((), dtype=like.dtype)


def _solve_lower(L, b):
    """L^-1 b for lower-triangular L (..., n, n) and b (..., n, k), batch dims broadcast."""
    from ..ops.view import broadcast_shapes
    batch = tuple(broadcast_shapes(tuple(L.shape[:-2]), tuple(b.shape[:-2])))
    return linalg.solve_triangular(L.expand(*batch, *L.shape[-2:]),
                                   b.expand(*batch, *b.shape[-2:]), upper=False)


def _mahalanobis(L, x):
    """x^T (L L^T)^-1 x = |L^-1 x|^2 over the last dim."""
    return (_solve_lower(L, x.unsqueeze(-1)).squeeze(-1) ** 2).sum(-1)


def _cholesky_inverse_solve(B, L):
    """(L L^T)^-1 B (torch.cholesky_solve(B, L))."""
    y = _solve_lower(L, B)
    return _solve_lower(L, eye(L.shape[-1], dtype=L.dtype)).transpose(-2, -1) @ y


class LowRankMultivariateNormal(Distribution):
    """N(loc, W W^T + diag(D)) with W = cov_factor (..., n, m), D = cov_diag (..., n). With
    the capacitance C = I + W^T D^-1 W (m x m): log det = log det C + sum log D, and
    x^T Sigma^-1 x = x^T D^-1 x - |chol(C)^-1 W^T D^-1 x|^2."""
    arg_constraints = {"loc": constraints.real_vector,
                       "cov_factor": constraints.independent(constraints.real, 2),
                       "cov_diag": constraints.independent(constraints.positive, 1)}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc, cov_factor, cov_diag, validate_args=None):
        from ..ops.view import broadcast_tensors
        if loc.ndim < 1:
            raise ValueError("loc must be at least one-dimensional.")
        n = loc.shape[-1]
        if cov_factor.ndim < 2:
            raise ValueError("cov_factor must be at least two-dimensional, with optional "
                             "leading batch dimensions")
        if cov_factor.shape[-2] != n:
            raise ValueError(f"cov_factor must be a batch of matrices with shape {n} x m")
        if tuple(cov_diag.shape[-1:]) != (n,):
            raise ValueError(f"cov_diag must be a batch of vectors with shape {Size((n,))}")
        try:
            loc_, self.cov_factor, diag_ = broadcast_tensors(loc.unsqueeze(-1), cov_factor,
                                                             cov_diag.unsqueeze(-1))
        except RuntimeError as e:
            raise ValueError(f"Incompatible batch shapes: loc {loc.shape}, cov_factor "
                             f"{cov_factor.shape}, cov_diag {cov_diag.shape}") from e
        self.loc, self.cov_diag = loc_[..., 0], diag_[..., 0]
        self._unbroadcasted_cov_factor = cov_factor
        self._unbroadcasted_cov_diag = cov_diag
        # validated before the Cholesky below (torch factors first: a bad cov_diag raises
        # LinAlgError there instead of the ValueError naming it)
        super().__init__(self.loc.shape[:-1], (n,), validate_args=validate_args)
        Wt_Dinv = cov_factor.transpose(-2, -1) / cov_diag.unsqueeze(-2)
        m = cov_factor.shape[-1]
        self._capacitance_tril = linalg.cholesky(Wt_Dinv @ cov_factor +
                                                 eye(m, dtype=cov_factor.dtype))

    _lazy_params = ("scale_tril", "covariance_matrix", "precision_matrix")
    mean = mode = property(lambda self: self.loc)

    def _full(self, matrix):
        return matrix.expand(*self._batch_shape, *self._event_shape, *self._event_shape)

    @property
    def variance(self):
        return ((self._unbroadcasted_cov_factor ** 2).sum(-1) +
                self._unbroadcasted_cov_diag).expand(*self._batch_shape, *self._event_shape)

    @property
    def scale_tril(self):
        n = self._event_shape[0]
        d_sqrt = self._unbroadcasted_cov_diag.sqrt().unsqueeze(-1)
        W = self._unbroadcasted_cov_factor / d_sqrt
        K = W @ W.transpose(-2, -1) + eye(n, dtype=W.dtype)
        return self._full(d_sqrt * linalg.cholesky(K))

    @property
    def covariance_matrix(self):
        W = self._unbroadcasted_cov_factor
        return self._full(W @ W.transpose(-2, -1) + self._unbroadcasted_cov_diag.diag_embed())

    @property
    def precision_matrix(self):
        """Woodbury: D^-1 - D^-1 W C^-1 W^T D^-1."""
        D = self._unbroadcasted_cov_diag
        Wt_Dinv = self._unbroadcasted_cov_factor.transpose(-2, -1) / D.unsqueeze(-2)
        A = _solve_lower(self._capacitance_tril, Wt_Dinv)
        return self._full(D.reciprocal().diag_embed() - A.transpose(-2, -1) @ A)

    def rsample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        eps_W = _randn(tuple(shape[:-1]) + tuple(self.cov_factor.shape[-1:]), self.loc)
        eps_D = _randn(shape, self.loc)
        return self.loc + (self._unbroadcasted_cov_factor @ eps_W.unsqueeze(-1)).squeeze(-1) \
            + self._unbroadcasted_cov_diag.sqrt() * eps_D

    def _log_det(self):
        return 2 * self._capacitance_tril.diagonal(0, -2, -1).log().sum(-1) + \
            self._unbroadcasted_cov_diag.log().sum(-1)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        x = value - self.loc
        W, D = self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag
        Wt_Dinv_x = ((W.transpose(-2, -1) / D.unsqueeze(-2)) @ x.unsqueeze(-1)).squeeze(-1)
        M = (x ** 2 / D).sum(-1) - _mahalanobis(self._capacitance_tril, Wt_Dinv_x)
        return -0.5 * (self._event_shape[0] * math.log(2 * math.pi) + self._log_det() + M)

    def entropy(self):
        H = 0.5 * (self._event_shape[0] * (1.0 + math.log(2 * math.pi)) + self._log_det())
        return H.expand(*self._batch_shape) if self._batch_shape else H


def _mvlgamma(x, p):
    """log of the multivariate gamma function Gamma_p(x)."""
    j = arange(p, dtype=x.dtype) / 2
    return p * (p - 1) / 4 * math.log(math.pi) + lgamma(x.unsqueeze(-1) - j).sum(-1)


def _mvdigamma(x, p):
    return digamma(x.unsqueeze(-1) - arange(p, dtype=x.dtype) / 2).sum(-1)


class _derived:
    """An attribute computed on access unless the instance holds its own value (a non-data
    descriptor: the instance __dict__ wins, as torch's lazy_property)."""

    def __init__(self, fn):
        self.fn = fn

    def __get__(self, obj, cls=None):
        return self if obj is None else self.fn(obj)


class Wishart(ExponentialFamily):
    """W = L A A^T L^T over p x p positive-definite matrices, with Sigma = L L^T given as
    covariance_matrix, precision_matrix or scale_tril, and df > p - 1 degrees of freedom."""
    support = constraints.positive_definite
    has_rsample = True
    _mean_carrier_measure = 0

    @property
    def arg_constraints(self):
        return {"covariance_matrix": constraints.positive_definite,
                "precision_matrix": constraints.positive_definite,
                "scale_tril": constraints.lower_cholesky,
                "df": constraints.greater_than(self.event_shape[-1] - 1)}

    def __init__(self, df, covariance_matrix=None, precision_matrix=None, scale_tril=None,
                 validate_args=None):
        from ..ops.view import broadcast_shapes
        given = [m for m in (covariance_matrix, precision_matrix, scale_tril) if m is not None]
        if len(given) != 1:
            raise ValueError("Exactly one of covariance_matrix or precision_matrix or "
                             "scale_tril may be specified.")
        param = given[0]
        if param.ndim < 2:
            raise ValueError("scale_tril must be at least two-dimensional, with optional "
                             "leading batch dimensions")
        if isinstance(df, (int, float)):
            # torch keeps a number df 0-d (and then fails in .mean); expanded it just works
            batch_shape = Size(param.shape[:-2])
            self.df = param.new_tensor(float(df)).expand(*batch_shape)
        else:
            batch_shape = Size(broadcast_shapes(tuple(param.shape[:-2]), tuple(df.shape)))
            self.df = df.expand(*batch_shape)
        p = param.shape[-1]
        if bool((self.df <= p - 1).any()):
            raise ValueError(f"Value of df={df} expected to be greater than ndim - 1 = {p - 1}.")
        if bool((self.df < p).any()):
            warnings.warn("Low df values detected. Singular samples are highly likely to "
                          "occur for ndim - 1 < df < ndim.", stacklevel=2)
        for name, m in (("scale_tril", scale_tril), ("covariance_matrix", covariance_matrix),
                        ("precision_matrix", precision_matrix)):
            if m is not None:
                self.__dict__[name] = m.expand(*batch_shape, p, p)
        super().__init__(batch_shape, (p, p), validate_args=validate_args)
        if scale_tril is not None:
            L = scale_tril
        elif covariance_matrix is not None:
            L = linalg.cholesky(covariance_matrix)
        else:       # Sigma = P^-1: the Cholesky factor of the inverse
            L = linalg.cholesky(linalg.inv(precision_matrix))
        self._unbroadcasted_scale_tril = L
        self._dist_chi2 = Chi2((self.df.unsqueeze(-1) - arange(p, dtype=L.dtype))
                               .expand(*batch_shape, p), validate_args=False)

    # whichever of the three was not given is derived from the Cholesky factor
    scale_tril = _derived(lambda self: self._unbroadcasted_scale_tril.expand(
        *self._batch_shape, *self._event_shape))
    covariance_matrix = _derived(lambda self: (
        self._unbroadcasted_scale_tril @ self._unbroadcasted_scale_tril.transpose(-2, -1))
        .expand(*self._batch_shape, *self._event_shape))
    precision_matrix = _derived(lambda self: _cholesky_inverse_solve(
        eye(self._event_shape[-1], dtype=self.df.dtype), self._unbroadcasted_scale_tril)
        .expand(*self._batch_shape, *self._event_shape))

    def _df(self):
        return self.df.reshape(*self._batch_shape, 1, 1)

    mean = property(lambda self: self._df() * self.covariance_matrix)

    @property
    def mode(self):
        factor = self.df - self.covariance_matrix.shape[-1] - 1
        factor = factor.masked_fill(factor <= 0, math.nan)
        return factor.reshape(*self._batch_shape, 1, 1) * self.covariance_matrix

    @property
    def variance(self):
        V = self.covariance_matrix
        d = V.diagonal(0, -2, -1)
        return self._df() * (V ** 2 + d.unsqueeze(-1) * d.unsqueeze(-2))

    def _bartlett(self, sample_shape):
        """L A with A lower triangular: sqrt(Chi2(df - i)) on the diagonal, N(0, 1) below."""
        from .._runtime import finfo
        p = self._event_shape[-1]
        diag = self._dist_chi2.rsample(sample_shape).sqrt()
        diag = diag.clamp(min=finfo(diag.dtype).eps)
        below = _randn(tuple(sample_shape) + tuple(self._batch_shape) + (p * (p - 1) // 2,),
                       diag)
        chol = self._unbroadcasted_scale_tril @ (_vec_to_tril(below, p, -1) +
                                                 diag.diag_embed())
        return chol @ chol.transpose(-2, -1)

    def rsample(self, sample_shape=Size(), max_try_correction=None):
        """Draws that came out singular (df close to p - 1) are redrawn, up to
        max_try_correction (10) times."""
        sample = self._bartlett(Size(sample_shape))
        ok = self.support.check(sample)
        tries = 10 if max_try_correction is None else max_try_correction
        if not bool(ok.all()):
            warnings.warn("Singular sample detected.", stacklevel=2)
        while not bool(ok.all()) and tries > 0:
            redraw = self._bartlett(Size(sample_shape))
            sample = sample.where(ok.unsqueeze(-1).unsqueeze(-1), redraw)
            ok = self.support.check(sample)
            tries -= 1
        return sample

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        nu, p = self.df, self._event_shape[-1]
        half_log_det = self._unbroadcasted_scale_tril.diagonal(0, -2, -1).log().sum(-1)
        trace = _cholesky_inverse_solve(value, self._unbroadcasted_scale_tril).diagonal(
            0, -2, -1).sum(-1)
        return -nu * (p * math.log(2) / 2 + half_log_det) - _mvlgamma(nu / 2, p) + \
            (nu - p - 1) / 2 * linalg.slogdet(value)[1] - trace / 2

    def entropy(self):
        nu, p = self.df, self._event_shape[-1]
        half_log_det = self._unbroadcasted_scale_tril.diagonal(0, -2, -1).log().sum(-1)
        return (p + 1) * (p * math.log(2) / 2 + half_log_det) + _mvlgamma(nu / 2, p) - \
            (nu - p - 1) / 2 * _mvdigamma(nu / 2, p) + nu * p / 2

    @property
    def _natural_params(self):
        p = self._event_shape[-1]
        return -self.precision_matrix / 2, (self.df - p - 1) / 2

    def _log_normalizer(self, x, y):
        p = self._event_shape[-1]
        return (y + (p + 1) / 2) * (-linalg.slogdet(-2 * x)[1] + math.log(2) * p) + \
            _mvlgamma(y + (p + 1) / 2, p)


class LKJCholesky(Distribution):
    """Cholesky factors L of correlation matrices with density proportional to
    det(L L^T)^(concentration - 1) (concentration 1: uniform over correlation matrices)."""
    arg_constraints = {"concentration": constraints.positive}
    support = constraints.corr_cholesky

    def __init__(self, dim, concentration=1.0, validate_args=None):
        if dim < 2:
            raise ValueError("Expected dim to be an integer greater than or equal to 2. "
                             f"Found dim={dim}.")
        self.dim = dim
        (self.concentration,) = broadcast_all(concentration)
        # the onion method: row i's squared off-diagonal length is Beta(i/2, marginal - i/2)
        marginal = self.concentration + 0.5 * (dim - 2)
        offset = _cat0(arange(dim - 1, dtype=self.concentration.dtype))
        self._beta = Beta(offset + 0.5, marginal.unsqueeze(-1) - 0.5 * offset,
                          validate_args=False)
        super().__init__(self.concentration.shape, (dim, dim), validate_args)

    def sample(self, sample_shape=Size()):
        from .._runtime import finfo
        y = self._beta.sample(sample_shape).unsqueeze(-1)
        tiny = finfo(y.dtype).tiny
        # a direction on the sphere per row, below the diagonal (row 0 has none: stays 0)
        u = _randn(self._extended_shape(sample_shape), y).tril(-1)
        u = u / (u ** 2).sum(-1, keepdim=True).sqrt().clamp(min=tiny)
        w = y.sqrt() * u
        diag = (1 - (w ** 2).sum(-1)).clamp(min=tiny).sqrt()
        return w + diag.diag_embed()

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        diag = value.diagonal(0, -1, -2)[..., 1:]
        order = arange(2, self.dim + 1, dtype=self.concentration.dtype)
        order = 2 * (self.concentration - 1).unsqueeze(-1) + self.dim - order
        unnormalized = (order * diag.log()).sum(-1)
        dm1 = self.dim - 1
        alpha = self.concentration + 0.5 * dm1
        normalizer = 0.5 * dm1 * math.log(math.pi) + _mvlgamma(alpha - 0.5, dm1) - \
            lgamma(alpha) * dm1
        return unnormalized - normalizer


def _cat0(offset):
    """[0, 0, 1, ..., dim - 2]: offset with a zero in front."""
    from ..ops.concat import cat
    return cat([offset.new_zeros((1,)), offset])
