"""Special functions NumPy lacks: erf, erfc, erfinv (vectorized, no SciPy).

Used by ops/unary.py (erf, erfc, erfinv) and through them by GELU. Each function takes and
returns a backend array of the same float dtype; float16/float32 inputs are computed in float64
and rounded back, so their results are correctly rounded in nearly all cases. The exception is
erf on float32 (GELU's hot path): a single-precision approximation in float32 arithmetic, within
1.4 ulp, ~6x faster than the float64 route.

Each interval's formula runs on a clipped copy of the input, and `_piecewise` selects with
`where`, evaluating only the branches some element needs (a polynomial is ~10 ufunc calls, which
dominate on small arrays). NaN and +-inf flow through; no formula sees an argument outside its
interval, so nothing overflows or warns.
"""
import numpy

__all__ = ["erf", "erfc", "erfinv"]

_f64 = numpy.float64

# W. J. Cody, "Rational Chebyshev approximations for the error function", Math. Comp. 23
# (1969) 631-638; coefficients and the exp(-y^2) splitting from Cody's SPECFUN routine CALERF
# (netlib.org/specfun/erf). Relative error below 1e-16 before rounding, on each interval:
#   |x| <= 0.46875           erf(x)  = x * A(x^2) / B(x^2)
#   0.46875 < |x| <= 4       erfc(x) = exp(-x^2) * C(x) / D(x)
#   |x| > 4                  erfc(x) = exp(-x^2) / x * (1/sqrt(pi) + P(1/x^2) / (x^2 Q(1/x^2)))
# Coefficients are listed from the highest power down (Horner order).
_A = (1.85777706184603153e-1, 3.16112374387056560e00, 1.13864154151050156e02,
      3.77485237685302021e02, 3.20937758913846947e03)
_B = (1.0, 2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
      2.84423683343917062e03)
_C = (2.15311535474403846e-8, 5.64188496988670089e-1, 8.88314979438837594e00,
      6.61191906371416295e01, 2.98635138197400131e02, 8.81952221241769090e02,
      1.71204761263407058e03, 2.05107837782607147e03, 1.23033935479799725e03)
_D = (1.0, 1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
      1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03,
      3.43936767414372164e03, 1.23033935480374942e03)
_P = (1.63153871373020978e-2, 3.05326634961232344e-1, 3.60344899949804439e-1,
      1.25781726111229246e-1, 1.60837851487422766e-2, 6.58749161529837803e-4)
_Q = (1.0, 2.56852019228982242e00, 1.87295284992346047e00, 5.27905102951428412e-1,
      6.05183413124413191e-2, 2.33520497626869185e-3)
_INV_SQRT_PI = 5.6418958354775628695e-1
_SMALL, _MID = 0.46875, 4.0
_BIG = 30.0  # erfc(x) underflows to 0 in float64 from x ~ 27.3 on


def _horner(coeffs, t):
    y = coeffs[0] * t + coeffs[1] if coeffs[0] != 1.0 else t + coeffs[1]
    for c in coeffs[2:]:  # in place: one pass over memory per operation, no temporaries
        y *= t
        y += c
    return y


def _piecewise(cond, if_true, if_false):
    """where(cond, if_true(), if_false()), calling only the branches some element takes."""
    if cond.all():
        return if_true()
    if not cond.any():
        return if_false()
    return numpy.where(cond, if_true(), if_false())


def _exp_neg_square(y):
    # exp(-y^2) with y^2 split as ysq^2 + del, ysq = y rounded down to 1/16: ysq^2 is exact, so
    # the rounding error of y*y (magnified by y^2 in exp) does not reach the result (CALERF)
    ysq = numpy.trunc(y * 16.0) / 16.0
    return numpy.exp(-ysq * ysq) * numpy.exp(-(y - ysq) * (y + ysq))


def _erf_small(x):
    # x is clipped to [-0.46875, 0.46875]
    t = x * x
    return x * _horner(_A, t) / _horner(_B, t)


def _erfc_mid(y):
    # y in [0.46875, 4]
    return _horner(_C, y) / _horner(_D, y) * _exp_neg_square(y)


def _erfc_tail(y):
    # y in [4, 30]
    t = 1.0 / (y * y)
    return (_INV_SQRT_PI - t * _horner(_P, t) / _horner(_Q, t)) / y * _exp_neg_square(y)


def _erfc_large(y):
    # erfc(y) for y >= 0.46875 (NaN takes the tail branch and stays NaN)
    return _piecewise(y <= _MID, lambda: _erfc_mid(numpy.clip(y, _SMALL, _MID)),
                      lambda: _erfc_tail(numpy.clip(y, _MID, _BIG)))


def _erf(z):
    a = numpy.abs(z)
    return _piecewise(a <= _SMALL, lambda: _erf_small(numpy.clip(z, -_SMALL, _SMALL)),
                      lambda: numpy.copysign(1.0 - _erfc_large(a), z))


def _erfc(z):
    a = numpy.abs(z)

    def large():
        e = _erfc_large(a)
        return numpy.where(z < 0, 2.0 - e, e)

    return _piecewise(a <= _SMALL, lambda: 1.0 - _erf_small(numpy.clip(z, -_SMALL, _SMALL)),
                      large)


# M. Giles, "Approximating the erfinv function", GPU Computing Gems Jade Edition (2011), the
# double-precision version: erfinv(x) = x * p(w), w = -log((1-x)(1+x)), with a polynomial in
# w - 3.125 (w < 6.25), in sqrt(w) - 3.25 (w < 16) or in sqrt(w) - 5 (beyond). Horner order.
_G1 = (-3.6444120640178196996e-21, -1.685059138182016589e-19, 1.2858480715256400167e-18,
       1.115787767802518096e-17, -1.333171662854620906e-16, 2.0972767875968561637e-17,
       6.6376381343583238325e-15, -4.0545662729752068639e-14, -8.1519341976054721522e-14,
       2.6335093153082322977e-12, -1.2975133253453532498e-11, -5.4154120542946279317e-11,
       1.051212273321532285e-09, -4.1126339803469836976e-09, -2.9070369957882005086e-08,
       4.2347877827932403518e-07, -1.3654692000834678645e-06, -1.3882523362786468719e-05,
       0.0001867342080340571352, -0.00074070253416626697512, -0.0060336708714301490533,
       0.24015818242558961693, 1.6536545626831027356)
_G2 = (2.2137376921775787049e-09, 9.0756561938885390979e-08, -2.7517406297064545428e-07,
       1.8239629214389227755e-08, 1.5027403968909827627e-06, -4.013867526981545969e-06,
       2.9234449089955446044e-06, 1.2475304481671778723e-05, -4.7318229009055733981e-05,
       6.8284851459573175448e-05, 2.4031110387097893999e-05, -0.0003550375203628474796,
       0.00095328937973738049703, -0.0016882755560235047313, 0.0024914420961078508066,
       -0.0037512085075692412107, 0.005370914553590063617, 1.0052589676941592334,
       3.0838856104922207635)
_G3 = (-2.7109920616438573243e-11, -2.5556418169965252055e-10, 1.5076572693500548083e-09,
       -3.7894654401267369937e-09, 7.6157012080783393804e-09, -1.4960026627149240478e-08,
       2.9147953450901080826e-08, -6.7711997758452339498e-08, 2.2900482228026654717e-07,
       -9.9298272942317002539e-07, 4.5260625972231537039e-06, -1.9681778105531670567e-05,
       7.5995277030017761139e-05, -0.00021503011930044477347, -0.00013871931833623122026,
       1.0103004648645343977, 4.8499064014085844221)
_TWO_OVER_SQRT_PI = 1.1283791670955125739


def _erfinv(z):
    a = numpy.abs(z)
    with numpy.errstate(divide="ignore", invalid="ignore"):  # a >= 1 is patched at the end
        w = -numpy.log((1.0 - a) * (1.0 + a))  # (1-a)(1+a), not 1-a^2: exact near a = 1
        r = a * _piecewise(w < 6.25, lambda: _horner(_G1, numpy.minimum(w, 6.25) - 3.125),
                           lambda: _giles_tail(w))
        # Newton on erf(r) - a; for r > 0.46875 (a > 0.49) written as (1 - a) - erfc(r), where
        # 1 - a is exact or nearly so: the residual keeps its relative accuracy as a -> 1
        resid = _piecewise(r <= _SMALL, lambda: _erf_small(numpy.minimum(r, _SMALL)) - a,
                           lambda: (1.0 - a) - _erfc_large(r))
        r = r - resid / (_TWO_OVER_SQRT_PI * numpy.exp(-r * r))
    r = numpy.where(a == 1.0, numpy.inf, numpy.where(a > 1.0, numpy.nan, r))
    return numpy.copysign(r, z)


def _giles_tail(w):
    # w >= 6.25 (NaN and inf take the last branch)
    return _piecewise(w < 16.0, lambda: _horner(_G2, numpy.sqrt(numpy.clip(w, 6.25, 16.0)) - 3.25),
                      lambda: _horner(_G3, numpy.sqrt(numpy.clip(w, 16.0, 1e3)) - 5.0))


# N. Juffa's single-precision erff, "Efficient, faithfully-rounded implementation of error
# function erff()" (stackoverflow.com/q/35148198, answer of 2016; also MLX's erf.h):
#   |x| <= 0.927734375   erf(x) = x + x * S(x^2)
#   |x| >  0.927734375   erf(x) = sign(x) (1 - exp(t L(t) - t)), t = |x| clamped to 4
# (erf(4) rounds to 1 in float32, so the clamp changes nothing and keeps t^2 from overflowing).
# Written for FMA, < 1 ulp; evaluated here with NumPy's separate multiply and add: max 1.37 ulp
# (every float32 in [2^-40, 4] checked against the float64 path; tests/ops/test_unary.py samples)
_S32 = (-5.96761703e-4, 4.99119423e-3, -2.67681349e-2, 1.12819925e-1, -3.76125336e-1,
        1.28379166e-1)
_L32 = (-1.72853470e-5, 3.83197126e-4, -3.88396438e-3, 2.42546219e-2, -1.06777877e-1,
        -6.34846687e-1, -1.28717512e-1)
_JUFFA_SPLIT = 0.927734375  # 475/512


def _erf32_small(x):
    # erf for |x| <= 0.927734375 (x clipped there, so x * x cannot overflow)
    x = numpy.clip(x, -_JUFFA_SPLIT, _JUFFA_SPLIT)
    y = _horner(_S32, x * x)
    y *= x
    y += x
    return y


def _erf32_large(x):
    # erf for |x| > 0.927734375 (NaN propagates through the clamp)
    t = numpy.minimum(numpy.abs(x), numpy.float32(4.0))
    r = _horner(_L32, t)
    r *= t
    r -= t
    e = numpy.exp(r)  # r <= -0.86: no cancellation in 1 - e
    return numpy.copysign(1.0 - e, x)


def _erf32(x):
    # x 1-D float32; Python-float coefficients stay float32 (NEP 50), as Juffa's 'f' literals
    return _by_majority(numpy.abs(x) <= _JUFFA_SPLIT, x, _erf32_small, _erf32_large)


def _by_majority(cond, x, if_true, if_false):
    """where(cond, if_true(x), if_false(x)) for 1-D x: the branch most elements take runs on all
    of x, the other only on the elements that take it (gathered, then scattered back), instead
    of both on everything (GELU's erf: 1.9x faster). Each branch accepts any input."""
    if 2 * numpy.count_nonzero(cond) >= cond.size:
        y, rest, other = if_true(x), numpy.flatnonzero(~cond), if_false
    else:
        y, rest, other = if_false(x), numpy.flatnonzero(cond), if_true
    if rest.size:
        y[rest] = other(x[rest])
    return y


def _as_f64(x):
    return x if x.dtype == _f64 else x.astype(_f64)


_BLOCK = 1 << 14  # 128 KB of float64 per temporary: the passes of a block stay in L2
_BLOCK32 = 2 * _BLOCK  # the same 128 KB in float32


def _blocked(f, x):
    """f (a float64 kernel) applied to x in cache-sized blocks, the result in x's dtype: the
    ~70 ufunc passes of a rational approximation then run in cache instead of streaming whole
    arrays through memory (4x faster on 1M elements)."""
    if x.size <= _BLOCK:
        return f(_as_f64(x)).astype(x.dtype, copy=False)
    flat = x.reshape(-1)
    out = numpy.empty(flat.shape, x.dtype)
    for i in range(0, flat.size, _BLOCK):
        out[i:i + _BLOCK] = f(_as_f64(flat[i:i + _BLOCK]))
    return out.reshape(x.shape)


def _blocked32(f, x):
    """f (a float32 kernel of 1-D arrays) applied to x in cache-sized blocks (see _blocked)."""
    if x.size <= _BLOCK32:
        return f(x.reshape(-1)).reshape(x.shape)
    flat = x.reshape(-1)
    out = numpy.empty(flat.shape, x.dtype)
    for i in range(0, flat.size, _BLOCK32):
        out[i:i + _BLOCK32] = f(flat[i:i + _BLOCK32])
    return out.reshape(x.shape)


def erf(x):
    """erf(x) = 2/sqrt(pi) * integral_0^x exp(-t^2) dt, elementwise (Cody 1969; float32:
    Juffa's single-precision approximation)."""
    if x.dtype == numpy.float32:
        return _blocked32(_erf32, x)
    return _blocked(_erf, x)


def erfc(x):
    """erfc(x) = 1 - erf(x), accurate (relative) where erf(x) is close to 1 (Cody 1969)."""
    return _blocked(_erfc, x)


def erfinv(x):
    """erfinv(y): the x with erf(x) = y; +-inf at +-1, NaN outside [-1, 1] (Giles 2011 plus
    one Newton step on erf, which brings it to the accuracy of erf itself)."""
    return _blocked(_erfinv, x)
