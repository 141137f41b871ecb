"""Bessel functions, the Airy function Ai and the regularized incomplete gamma functions, on
float64 arrays (NumPy has none of them). Each regime uses a method that is accurate there:

  J0, J1   |x| <= 2: the power series sum (-1)^k (x/2)^(2k+n) / (k! (k+n)!);
           2 < |x| <= 25: J_m(x) are the Fourier coefficients of e^(i x sin t), so one FFT of
           128 samples gives J_0 ... J_63 (the periodic trapezoid rule: exact to rounding);
           |x| > 25: Hankel's asymptotic expansion (20 terms of P and Q).
  Y0, Y1   x <= 25: Neumann's series Y0 = 2/pi ((log(x/2) + gamma) J0 - 2 sum (-1)^k J_2k / k)
           with the J_2k from the same FFT, and Y1 = -Y0'; x > 25: Hankel's expansion.
  I0, I1   |x| <= 30: the power series (positive terms, no cancellation); beyond, the
           asymptotic series e^x / sqrt(2 pi x) sum (-1)^k a_k(n) / x^k. Scaled forms I e^-|x|.
  K0, K1   x <= 2: the series in log(x/2) and I_n (A&S 9.6.11); up to 1e4, the trapezoid rule
           on K_n(x) = e^-x int_0^inf e^(-x (cosh t - 1)) cosh(n t) dt (double-exponential
           decay: exponentially accurate); beyond, the asymptotic series. Scaled forms K e^x.
  Ai       x < 2 (down to -8): the Maclaurin series in long double; x >= 2: Ai = sqrt(x/3)/pi
           K_1/3(2/3 x^1.5) by the same trapezoid rule; x < -8: the asymptotic expansion.
  P, Q     (gammainc, gammaincc) the series for x < a + 1, else Lentz's continued fraction
           for Q; the other one is the complement.
Non-finite inputs give what torch gives (its Cephes kernels), e.g. i0(inf) = nan, k0(inf) = 0.
"""
import functools
import math

import numpy

__all__ = ["bessel_j", "bessel_y", "bessel_i", "bessel_k", "airy_ai", "gammainc"]

_EULER = 0.57721566490153286061
_FFT_N = 128


def _f64(x):
    return numpy.asarray(x, dtype=numpy.float64)


def _flat_kernel(kernel, arrays=1):
    """Run `kernel` on 1-D copies of its first `arrays` arguments (masked assignment needs
    arrays, and 0-d reductions give NumPy scalars); the result takes their broadcast shape."""
    @functools.wraps(kernel)
    def run(*args, **kwargs):
        xs = numpy.broadcast_arrays(*[_f64(a) for a in args[:arrays]])
        shape = xs[0].shape
        out = kernel(*[a.reshape(-1) for a in xs], *args[arrays:], **kwargs)
        return numpy.asarray(out, dtype=numpy.float64).reshape(shape)
    return run


def _series_j(x, n, terms=30):
    half = x / 2
    term = half ** n / math.factorial(n)
    total = term
    q = -half * half
    for k in range(1, terms):
        term = term * q / (k * (k + n))
        total = total + term
    return total


def _fft_j(x):
    """J_0 ... J_63 of each x (|x| <= 25) along a new last axis."""
    t = numpy.arange(_FFT_N) * (2 * math.pi / _FFT_N)
    samples = numpy.exp(1j * x[..., None] * numpy.sin(t))
    return numpy.fft.fft(samples, axis=-1).real[..., :_FFT_N // 2] / _FFT_N


def _hankel(x, n, terms=20):
    """(P, Q) of Hankel's expansion for order n at x > 0 (large)."""
    mu = 4.0 * n * n
    p = numpy.ones_like(x)
    q = numpy.zeros_like(x)
    a = numpy.ones_like(x)
    for k in range(1, terms):
        a = a * (mu - (2 * k - 1) ** 2) / (k * 8.0 * x)
        sign = -1.0 if (k // 2) % 2 else 1.0
        if k % 2:
            q = q + sign * a
        else:
            p = p + sign * a
    return p, q


@_flat_kernel
def bessel_j(x, n):
    """J_n(x) for n = 0 or 1."""
    x = _f64(x)
    ax = numpy.abs(x)
    with numpy.errstate(all="ignore"):
        out = _series_j(numpy.where(ax <= 2, ax, 0.0), n)
        mid = (ax > 2) & (ax <= 25)
        if mid.any():
            out[mid] = _fft_j(ax[mid])[..., n]
        big = ax > 25
        if big.any():
            xb = ax[big]
            p, q = _hankel(xb, n)
            chi = xb - (n / 2 + 0.25) * math.pi
            out[big] = numpy.sqrt(2 / (math.pi * xb)) * (p * numpy.cos(chi) - q * numpy.sin(chi))
        if n == 1:
            out = numpy.where(x < 0, -out, out)
        out = numpy.where(numpy.isinf(x), numpy.nan, out)
    return numpy.where(numpy.isnan(x), numpy.nan, out)


@_flat_kernel
def bessel_y(x, n):
    """Y_n(x) for n = 0 or 1: -inf at 0, nan below."""
    x = _f64(x)
    out = numpy.full(x.shape, numpy.nan)
    with numpy.errstate(all="ignore"):
        small = (x > 0) & (x <= 25)
        if small.any():
            xs = x[small]
            j = _fft_j(xs)
            lead = numpy.log(xs / 2) + _EULER
            ks = numpy.arange(1, _FFT_N // 4 - 1)
            sign = numpy.where(ks % 2, -1.0, 1.0)
            if n == 0:
                tail = (sign / ks * j[..., 2 * ks]).sum(-1)
                out[small] = 2 / math.pi * (lead * j[..., 0] - 2 * tail)
            else:
                j1 = numpy.where(xs <= 2, _series_j(numpy.minimum(xs, 2), 1), j[..., 1])
                tail = (sign / ks * (j[..., 2 * ks - 1] - j[..., 2 * ks + 1])).sum(-1)
                out[small] = 2 / math.pi * (-j[..., 0] / xs + lead * j1 + tail)
        big = (x > 25) & numpy.isfinite(x)
        if big.any():
            xb = x[big]
            p, q = _hankel(xb, n)
            chi = xb - (n / 2 + 0.25) * math.pi
            out[big] = numpy.sqrt(2 / (math.pi * xb)) * (p * numpy.sin(chi) + q * numpy.cos(chi))
    return numpy.where(x == 0, -numpy.inf, out)


def _series_i(x, n, terms=90):
    half = x / 2
    term = half ** n / math.factorial(n)
    total = term
    q = half * half
    for k in range(1, terms):
        term = term * q / (k * (k + n))
        total = total + term
    return total


@_flat_kernel
def bessel_i(x, n, scaled=False):
    """I_n(x) (n = 0, 1), or I_n(x) e^-|x| when scaled."""
    x = _f64(x)
    ax = numpy.abs(x)
    with numpy.errstate(all="ignore"):
        xs = numpy.where(ax <= 30, ax, 0.0)
        out = _series_i(xs, n) * (numpy.exp(-xs) if scaled else 1.0)
        big = ax > 30
        if big.any():
            xb = ax[big]
            mu = 4.0 * n * n
            total = numpy.ones_like(xb)
            a = numpy.ones_like(xb)
            for k in range(1, 30):
                a = -a * (mu - (2 * k - 1) ** 2) / (k * 8.0 * xb)
                total = total + a
            lead = 1 / numpy.sqrt(2 * math.pi * xb)
            out[big] = total * (lead if scaled else numpy.exp(xb) * lead)
        if n == 1:
            out = numpy.where(x < 0, -out, out)
    return numpy.where(numpy.isnan(x), numpy.nan, out)


def _k_integral(x, nu, nodes=240):
    """int_0^inf e^(-x (cosh t - 1)) cosh(nu t) dt for x >= ~1 (the trapezoid rule)."""
    top = numpy.arccosh(1 + 60 / x)
    h = top / nodes
    t = h[..., None] * numpy.arange(nodes + 1)
    f = numpy.exp(-x[..., None] * (numpy.cosh(t) - 1)) * numpy.cosh(nu * t)
    return h * (f.sum(-1) - 0.5 * f[..., 0])


@_flat_kernel
def bessel_k(x, n, scaled=False):
    """K_n(x) (n = 0, 1), or K_n(x) e^x when scaled: inf at 0, nan below, 0 at inf."""
    x = _f64(x)
    out = numpy.full(x.shape, numpy.nan)
    with numpy.errstate(all="ignore"):
        small = (x > 0) & (x <= 2)
        if small.any():
            xs = x[small]
            q = xs * xs / 4
            log_half = numpy.log(xs / 2)
            if n == 0:
                term, harmonic, tail = numpy.ones_like(xs), 0.0, numpy.zeros_like(xs)
                for k in range(1, 30):
                    term = term * q / (k * k)
                    harmonic += 1 / k
                    tail = tail + harmonic * term
                val = -(log_half + _EULER) * _series_i(xs, 0) + tail
            else:
                # 1/x + log(x/2) I1 - x/4 sum (psi(k+1) + psi(k+2)) q^k / (k! (k+1)!)
                term, psi1, tail = numpy.ones_like(xs), -_EULER, numpy.zeros_like(xs)
                for k in range(0, 30):
                    if k:
                        term = term * q / (k * (k + 1))
                        psi1 += 1 / k
                    tail = tail + (2 * psi1 + 1 / (k + 1)) * term
                val = 1 / xs + log_half * _series_i(xs, 1) - xs / 4 * tail
            out[small] = val * numpy.exp(xs) if scaled else val
        mid = (x > 2) & (x <= 1e4)
        if mid.any():
            xm = x[mid]
            val = _k_integral(xm, n)
            out[mid] = val if scaled else val * numpy.exp(-xm)
        big = (x > 1e4) & numpy.isfinite(x)
        if big.any():                  # sqrt(pi / 2x) e^-x sum a_k(n) / x^k
            xb = x[big]
            total, a = numpy.ones_like(xb), numpy.ones_like(xb)
            for k in range(1, 8):
                a = a * (4.0 * n * n - (2 * k - 1) ** 2) / (k * 8.0 * xb)
                total = total + a
            val = numpy.sqrt(math.pi / (2 * xb)) * total
            out[big] = val if scaled else val * numpy.exp(-xb)
    out = numpy.where(x == 0, numpy.inf, out)
    return numpy.where(x == numpy.inf, 0.0, out)


_AI0 = 0.355028053887817239260     # Ai(0)
_AIP0 = 0.258819403792806798405    # -Ai'(0)


@_flat_kernel
def airy_ai(x):
    """Ai(x); 0 beyond 103.892 (underflow), nan at +-inf (torch's)."""
    x = _f64(x)
    out = numpy.full(x.shape, numpy.nan)
    with numpy.errstate(all="ignore"):
        mid = (x >= -8) & (x < 2)
        if mid.any():
            xm = x[mid].astype(numpy.longdouble)
            cube = xm ** 3
            f, g = numpy.ones_like(xm), xm.copy()
            tf, tg = numpy.ones_like(xm), xm.copy()
            for k in range(60):
                tf = tf * cube / ((3 * k + 2) * (3 * k + 3))
                tg = tg * cube / ((3 * k + 3) * (3 * k + 4))
                f, g = f + tf, g + tg
            out[mid] = (_AI0 * f - _AIP0 * g).astype(numpy.float64)
        pos = (x >= 2) & (x <= 103.892)
        if pos.any():
            xp = x[pos]
            zeta = 2 / 3 * xp ** 1.5
            out[pos] = numpy.sqrt(xp / 3) / math.pi * _k_integral(zeta, 1 / 3) * numpy.exp(-zeta)
        out = numpy.where((x > 103.892) & numpy.isfinite(x), 0.0, out)
        neg = (x < -8) & numpy.isfinite(x)
        if neg.any():
            xn = -x[neg]
            zeta = 2 / 3 * xn ** 1.5
            # u_k = Gamma(3k + 1/2) / (54^k k! Gamma(k + 1/2))
            even, odd = numpy.ones_like(xn), numpy.zeros_like(xn)
            u, power = 1.0, numpy.ones_like(xn)
            for k in range(1, 40):
                u = u * (3 * k - 2.5) * (3 * k - 1.5) * (3 * k - 0.5) / (54 * k * (k - 0.5))
                power = power / zeta
                sign = -1.0 if ((k // 2) % 2) else 1.0
                if k % 2:
                    odd = odd + sign * u * power
                else:
                    even = even + sign * u * power
            phase = zeta + math.pi / 4
            out[neg] = (numpy.sin(phase) * even - numpy.cos(phase) * odd) / (
                math.sqrt(math.pi) * xn ** 0.25)
    return out


def _lgamma(a):
    from .gamma import lgamma
    return lgamma(a)


@functools.partial(_flat_kernel, arrays=2)
def gammainc(a, x, upper=False):
    """The regularized lower incomplete gamma P(a, x), or Q = 1 - P when `upper`."""
    a, x = numpy.broadcast_arrays(_f64(a), _f64(x))
    p = numpy.full(a.shape, numpy.nan)
    with numpy.errstate(all="ignore"):
        ok = (a > 0) & (x > 0) & numpy.isfinite(a) & numpy.isfinite(x)
        if ok.any():
            aa, xx = a[ok], x[ok]
            log_front = aa * numpy.log(xx) - xx - _lgamma(aa)
            series = xx < aa + 1
            val = numpy.empty_like(aa)
            if series.any():           # P = e^-x x^a / Gamma(a+1) sum x^n / ((a+1)...(a+n))
                s_a, s_x = aa[series], xx[series]
                term = 1 / s_a
                total = term.copy()
                for _ in range(2000):
                    s_a = s_a + 1
                    term = term * s_x / s_a
                    total = total + term
                    if numpy.all(numpy.abs(term) < numpy.abs(total) * 1e-17):
                        break
                val[series] = total * numpy.exp(log_front[series])
            frac = ~series
            if frac.any():             # Q by Lentz's method on the continued fraction
                f_a, f_x = aa[frac], xx[frac]
                tiny = 1e-300
                b = f_x + 1 - f_a
                c = numpy.full_like(b, 1 / tiny)
                d = 1 / b
                h = d.copy()
                for i in range(1, 2000):
                    an = -i * (i - f_a)
                    b = b + 2
                    d = an * d + b
                    d = numpy.where(numpy.abs(d) < tiny, tiny, d)
                    c = b + an / c
                    c = numpy.where(numpy.abs(c) < tiny, tiny, c)
                    d = 1 / d
                    delta = d * c
                    h = h * delta
                    if numpy.all(numpy.abs(delta - 1) < 1e-16):
                        break
                val[frac] = 1 - numpy.exp(log_front[frac]) * h
            p[ok] = val
            if upper:
                q = numpy.full(a.shape, numpy.nan)
                qv = 1 - val
                if frac.any():
                    qv[frac] = numpy.exp(log_front[frac]) * h
                q[ok] = qv
        # edges (torch's): x = 0 -> P 0; a = 0, x > 0 -> P 1; x = inf -> P 1; a = inf -> P 0
        edge = numpy.full(a.shape, numpy.nan)
        edge = numpy.where((x == 0) & (a > 0), 0.0, edge)
        edge = numpy.where((a == 0) & (x > 0), 1.0, edge)
        edge = numpy.where((x == numpy.inf) & (a > 0) & numpy.isfinite(a), 1.0, edge)
        edge = numpy.where((a == numpy.inf) & (x >= 0) & numpy.isfinite(x), 0.0, edge)
        bad = (a < 0) | (x < 0) | numpy.isnan(a) | numpy.isnan(x)
        edge = numpy.where(bad, numpy.nan, edge)
    if upper:
        q = q if ok.any() else numpy.full(a.shape, numpy.nan)
        return numpy.where(ok, q, 1 - edge)
    return numpy.where(ok, p, edge)
