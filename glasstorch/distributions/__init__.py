"""torch.distributions: probability distributions with sampling, log-densities, entropies and
KL divergences, built from tensor ops (so log_prob, entropy, kl_divergence and rsample are
differentiable in the parameters; policy gradients use `Categorical(logits=...)`):

    dist = torch.distributions.Categorical(logits=policy(state))
    action = dist.sample()
    loss = -dist.log_prob(action) * reward

distribution.py is the base class; continuous.py, discrete.py, gamma_family.py ... the
families; kl.py the closed-form KL divergences; constraints.py the parameter/support sets;
transforms.py the bijections TransformedDistribution pushes densities through;
constraint_registry.py maps constraints to transforms (biject_to, transform_to); _paths.py
serves torch's per-family module paths (torch.distributions.normal, ...).
"""
import sys

from .distribution import Distribution, ExponentialFamily  # noqa: F401
from . import constraints, transforms, utils  # noqa: F401
from .transforms import *  # noqa: F401,F403
from .constraint_registry import biject_to, transform_to  # noqa: F401
from .continuous import (Normal, Uniform, Exponential, Laplace,  # noqa: F401
                         Cauchy, MultivariateNormal)
from .discrete import (Bernoulli, Categorical, OneHotCategorical, Geometric,  # noqa: F401
                       Independent)
from .gamma_family import (Gamma, Chi2, Beta, Dirichlet, Poisson, Binomial,  # noqa: F401
                           StudentT)
from .transformed import (TransformedDistribution, LogNormal, LogisticNormal,  # noqa: F401
                          HalfNormal, HalfCauchy, Gumbel)
from .transformed_power import Weibull, Pareto, Kumaraswamy, InverseGamma  # noqa: F401
from .relaxed import (RelaxedBernoulli, RelaxedOneHotCategorical,  # noqa: F401
                      ContinuousBernoulli)
from .continuous_more import GeneralizedPareto, FisherSnedecor, VonMises  # noqa: F401
from .counts import Multinomial, NegativeBinomial  # noqa: F401
from .discrete import OneHotCategoricalStraightThrough  # noqa: F401
from .mixture import MixtureSameFamily  # noqa: F401
from .matrix import LowRankMultivariateNormal, Wishart, LKJCholesky  # noqa: F401
from .kl import kl_divergence, register_kl  # noqa: F401
from . import kl, kl_cross  # noqa: F401  (kl_cross registers the cross-family pairs)

__all__ = ["Distribution", "ExponentialFamily", "Normal", "LogNormal", "Uniform", "Exponential",
           "Laplace", "Cauchy", "MultivariateNormal", "Bernoulli", "Categorical",
           "OneHotCategorical", "Geometric", "Independent", "Gamma", "Chi2", "Beta", "Dirichlet",
           "Poisson", "Binomial", "StudentT", "HalfNormal", "Gumbel", "kl_divergence",
           "register_kl", "biject_to", "transform_to", "TransformedDistribution",
           "LogisticNormal", "HalfCauchy", "Weibull", "Pareto", "Kumaraswamy", "InverseGamma",
           "RelaxedBernoulli", "RelaxedOneHotCategorical", "ContinuousBernoulli",
           "GeneralizedPareto", "FisherSnedecor", "VonMises", "Multinomial", "NegativeBinomial",
           "OneHotCategoricalStraightThrough", "MixtureSameFamily", "LowRankMultivariateNormal",
           "Wishart", "LKJCholesky"] + transforms.__all__

from . import _paths  # noqa: E402
_paths.install(sys.modules[__name__])
