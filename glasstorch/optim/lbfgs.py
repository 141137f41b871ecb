"""LBFGS: limited-memory BFGS with an optional strong-Wolfe line search (needs a closure)."""
from ..autograd.grad_mode import no_grad
from ..backend import xp as _xp
from ..tensor import _make
from .optimizer import Optimizer, _check_options, _eval_closure

__all__ = ["LBFGS"]


class LBFGS(Optimizer):
    """L-BFGS (Nocedal 1980; Nocedal & Wright 2006, Algorithm 7.4 two-loop recursion), as in
    minFunc. The direction d = -H g applies the inverse-Hessian estimate built from the last
    `history_size` pairs s = x_{k+1} - x_k, y = g_{k+1} - g_k, scaled by H_0 = s'y / y'y:

        q = -g;  a_i = (s_i'q) / (y_i's_i), q -= a_i y_i   (newest first);  r = H_0 q
        r += s_i (a_i - (y_i'r) / (y_i's_i))               (oldest first);  x = x + t r

    One `step(closure)` runs up to `max_iter` iterations. The step t is `lr` (the first one
    min(1, 1/|g|_1) * lr), or found by `line_search_fn="strong_wolfe"` (Nocedal & Wright,
    Algorithms 3.5-3.6). All parameters form one flat vector: one param group only.

    Example::

        >>> import glasstorch as torch
        >>> w = torch.nn.Parameter(torch.tensor([1.0, -2.0]))
        >>> opt = torch.optim.LBFGS([w], line_search_fn="strong_wolfe")
        >>> def closure():
        ...     opt.zero_grad()
        ...     loss = ((w - 3) * (w - 3)).sum()
        ...     loss.backward()
        ...     return loss
        >>> opt.step(closure).item()  # the loss before the step
        29.0
        >>> [round(v, 4) for v in w.tolist()]
        [3.0, 3.0]
    """

    _elementwise_state = False   # its state is one flat history, not per parameter

    def __init__(self, params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7,
                 tolerance_change=1e-9, history_size=100, line_search_fn=None):
        _check_options(lr=lr)
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        super().__init__(params, {
            "lr": lr, "max_iter": max_iter, "max_eval": max_eval,
            "tolerance_grad": tolerance_grad, "tolerance_change": tolerance_change,
            "history_size": history_size, "line_search_fn": line_search_fn})
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")

    @property
    def _params(self):
        return self.param_groups[0]["params"]

    # ---- the parameters seen as one flat vector ----------------------------------------------
    def _flat_grad(self):
        return _xp.concatenate([p.grad._data.reshape(-1) if p.grad is not None
                                else _xp.zeros(p._data.size, p._data.dtype)
                                for p in self._params])

    def _add_to_params(self, t, d):
        """x += t * d, split back into the parameters."""
        offset = 0
        for p in self._params:
            n = p._data.size
            x = p._data
            x += t * d[offset:offset + n].reshape(x.shape)
            p._version_counter[0] += 1
            offset += n

    def _set_params(self, arrays):
        for p, a in zip(self._params, arrays):
            p._data[...] = a
            p._version_counter[0] += 1

    def _evaluate_at(self, closure, x0, t, d):
        """Loss and flat gradient at x0 + t d; the parameters are put back to x0."""
        self._add_to_params(t, d)
        loss = float(_eval_closure(closure))
        g = self._flat_grad()
        self._set_params(x0)
        return loss, g

    @no_grad()
    def step(self, closure):
        group = self.param_groups[0]
        lr = float(group["lr"])
        max_iter, max_eval = group["max_iter"], group["max_eval"]
        tol_grad, tol_change = group["tolerance_grad"], group["tolerance_change"]
        history_size = group["history_size"]
        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        orig_loss = _eval_closure(closure)
        loss = float(orig_loss)
        evals = 1
        state["func_evals"] += 1
        g = self._flat_grad()
        if _xp.abs(g).max() <= tol_grad:  # already optimal
            return orig_loss

        # (numbers kept as floats; a state loaded from torch may hold them as 0-d tensors)
        d, t, H_diag = _array(state.get("d")), _float(state.get("t")), _float(state.get("H_diag"))
        old_dirs = [y._data for y in state.get("old_dirs", [])]
        old_stps = [s._data for s in state.get("old_stps", [])]
        ro = [float(r) for r in state.get("ro", [])]
        prev_g, prev_loss = _array(state.get("prev_flat_grad")), state.get("prev_loss")

        n_iter, opt_cond = 0, False
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d = -g
                old_dirs, old_stps, ro, H_diag = [], [], [], 1.0
            else:
                y, s = g - prev_g, d * t
                ys = float(y @ s)
                if ys > 1e-10:  # keep the pair only while the curvature condition holds
                    if len(old_dirs) == history_size:
                        del old_dirs[0], old_stps[0], ro[0]
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    H_diag = ys / float(y @ y)
                al = [0.0] * len(old_dirs)
                q = -g
                for i in range(len(old_dirs) - 1, -1, -1):
                    al[i] = float(old_stps[i] @ q) * ro[i]
                    q -= al[i] * old_dirs[i]
                d = q * H_diag
                for i in range(len(old_dirs)):
                    be_i = float(old_dirs[i] @ d) * ro[i]
                    d += (al[i] - be_i) * old_stps[i]
            prev_g = g  # (g is never updated in place)
            prev_loss = loss
            t = min(1.0, 1.0 / float(_xp.abs(g).sum())) * lr if state["n_iter"] == 1 else lr
            gtd = float(g @ d)  # directional derivative: stop unless d descends
            if gtd > -tol_change:
                break

            ls_evals = 0
            if group["line_search_fn"] is not None:
                if group["line_search_fn"] != "strong_wolfe":
                    raise RuntimeError("only 'strong_wolfe' is supported")
                x0 = [p._data.copy() for p in self._params]
                # torch: the line search keeps its default tolerance_change (1e-9)
                loss, g, t, ls_evals = _strong_wolfe(
                    lambda x, step, direction: self._evaluate_at(closure, x, step, direction),
                    x0, t, d, loss, g, gtd, max_ls=max_eval - evals)
                self._add_to_params(t, d)
                opt_cond = _xp.abs(g).max() <= tol_grad
            else:
                self._add_to_params(t, d)
                if n_iter != max_iter:  # the last iteration's loss is left to the next step
                    loss = float(_eval_closure(closure))
                    g = self._flat_grad()
                    opt_cond = _xp.abs(g).max() <= tol_grad
                    ls_evals = 1
            evals += ls_evals
            state["func_evals"] += ls_evals

            if (n_iter == max_iter or evals >= max_eval or opt_cond
                    or _xp.abs(d * t).max() <= tol_change or abs(loss - prev_loss) < tol_change):
                break

        state.update(d=_make(d), t=t, old_dirs=[_make(y) for y in old_dirs],
                     old_stps=[_make(s) for s in old_stps], ro=ro, H_diag=H_diag,
                     prev_flat_grad=_make(prev_g), prev_loss=prev_loss)
        return orig_loss


def _array(t):
    return None if t is None else t._data


def _float(x):
    return None if x is None else float(x)


def _cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None):
    """Minimizer of the cubic through (x1, f1, g1), (x2, f2, g2), clipped to `bounds`
    (Nocedal & Wright eq. 3.59); the bounds' midpoint when the cubic has no minimum."""
    lo, hi = bounds if bounds is not None else (min(x1, x2), max(x1, x2))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1 ** 2 - g1 * g2
    if d2_square < 0:
        return (lo + hi) / 2.0
    d2 = d2_square ** 0.5
    if x1 <= x2:
        x = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        x = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(x, lo), hi)


def _strong_wolfe(evaluate, x, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9,
                  max_ls=25):
    """Step t along d meeting the strong Wolfe conditions (sufficient decrease with c1,
    curvature |g(t)'d| <= c2 |g'd|): bracket (Nocedal & Wright Alg. 3.5), then zoom (3.6)
    by safeguarded cubic interpolation. Returns (loss, flat grad, t, evaluations)."""
    d_norm = float(_xp.abs(d).max())
    f_new, g_new = evaluate(x, t, d)
    evals = 1
    gtd_new = float(g_new @ d)
    t_prev, f_prev, g_prev, gtd_prev = 0.0, f, g, gtd
    done = False
    ls_iter = 0
    # bracketing phase: grow t until an interval surely holds a point meeting the conditions
    while ls_iter < max_ls:
        if f_new > f + c1 * t * gtd or (ls_iter > 1 and f_new >= f_prev):
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new], [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, bracket_f, bracket_g = [t], [f_new], [g_new]
            done = True
            break
        if gtd_new >= 0:
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new], [gtd_prev, gtd_new]
            break
        t_next = _cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new,
                                    bounds=(t + 0.01 * (t - t_prev), t * 10))
        t_prev, f_prev, g_prev, gtd_prev = t, f_new, g_new, gtd_new
        t = t_next
        f_new, g_new = evaluate(x, t, d)
        evals += 1
        gtd_new = float(g_new @ d)
        ls_iter += 1
    if ls_iter == max_ls:  # ran out of evaluations: bracket between 0 and the last t
        bracket, bracket_f, bracket_g = [0, t], [f, f_new], [g, g_new]

    # zoom phase: shrink the bracket by cubic interpolation until the conditions hold
    insuf_progress = False
    low, high = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = _cubic_interpolate(bracket[0], bracket_f[0], bracket_gtd[0],
                               bracket[1], bracket_f[1], bracket_gtd[1])
        # safeguard: a point too close to an end of the bracket makes little progress
        eps = 0.1 * (max(bracket) - min(bracket))
        if min(max(bracket) - t, t - min(bracket)) < eps:
            if insuf_progress or t >= max(bracket) or t <= min(bracket):
                t = max(bracket) - eps if abs(t - max(bracket)) < abs(t - min(bracket)) \
                    else min(bracket) + eps
                insuf_progress = False
            else:
                insuf_progress = True
        else:
            insuf_progress = False
        f_new, g_new = evaluate(x, t, d)
        evals += 1
        gtd_new = float(g_new @ d)
        ls_iter += 1
        if f_new > f + c1 * t * gtd or f_new >= bracket_f[low]:
            bracket[high], bracket_f[high] = t, f_new
            bracket_g[high], bracket_gtd[high] = g_new, gtd_new
            low, high = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high] - bracket[low]) >= 0:
                bracket[high], bracket_f[high] = bracket[low], bracket_f[low]
                bracket_g[high], bracket_gtd[high] = bracket_g[low], bracket_gtd[low]
            bracket[low], bracket_f[low] = t, f_new
            bracket_g[low], bracket_gtd[low] = g_new, gtd_new
    return bracket_f[low], bracket_g[low], bracket[low], evals
