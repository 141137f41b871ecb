"""torch's one-module-per-family paths (`from torch.distributions.normal import Normal`),
served from glasstorch's files, which group families (continuous.py holds Normal, Uniform, ...):
each path in TORCH_PATHS becomes a small module object in sys.modules holding the names torch
has there, so deep imports (and the `torch` import alias) resolve to the same classes.
"""
import sys
import types

# torch.distributions.<path>: the names torch's module exports (all found in the package)
TORCH_PATHS = {
    "bernoulli": ["Bernoulli"], "beta": ["Beta"], "binomial": ["Binomial"],
    "categorical": ["Categorical"], "cauchy": ["Cauchy"], "chi2": ["Chi2"],
    "continuous_bernoulli": ["ContinuousBernoulli"], "dirichlet": ["Dirichlet"],
    "exp_family": ["ExponentialFamily"], "exponential": ["Exponential"],
    "fishersnedecor": ["FisherSnedecor"], "gamma": ["Gamma"],
    "generalized_pareto": ["GeneralizedPareto"], "geometric": ["Geometric"],
    "gumbel": ["Gumbel"], "half_cauchy": ["HalfCauchy"], "half_normal": ["HalfNormal"],
    "independent": ["Independent"], "inverse_gamma": ["InverseGamma"],
    "kumaraswamy": ["Kumaraswamy"], "laplace": ["Laplace"], "lkj_cholesky": ["LKJCholesky"],
    "log_normal": ["LogNormal"], "logistic_normal": ["LogisticNormal"],
    "lowrank_multivariate_normal": ["LowRankMultivariateNormal"],
    "mixture_same_family": ["MixtureSameFamily"], "multinomial": ["Multinomial"],
    "multivariate_normal": ["MultivariateNormal"], "negative_binomial": ["NegativeBinomial"],
    "normal": ["Normal"],
    "one_hot_categorical": ["OneHotCategorical", "OneHotCategoricalStraightThrough"],
    "pareto": ["Pareto"], "poisson": ["Poisson"],
    "relaxed_bernoulli": ["LogitRelaxedBernoulli", "RelaxedBernoulli"],
    "relaxed_categorical": ["ExpRelaxedCategorical", "RelaxedOneHotCategorical"],
    "studentT": ["StudentT"], "transformed_distribution": ["TransformedDistribution"],
    "uniform": ["Uniform"], "von_mises": ["VonMises"], "weibull": ["Weibull"],
    "wishart": ["Wishart"],
}


def install(package):
    """Register glasstorch.distributions.<path> for every TORCH_PATHS entry."""
    from . import relaxed
    found = dict(vars(package), LogitRelaxedBernoulli=relaxed.LogitRelaxedBernoulli,
                 ExpRelaxedCategorical=relaxed.ExpRelaxedCategorical)
    for path, names in TORCH_PATHS.items():
        name = f"{package.__name__}.{path}"
        module = types.ModuleType(name, f"torch.distributions.{path}: {', '.join(names)} "
                                        f"(defined in {found[names[0]].__module__})")
        module.__dict__.update({n: found[n] for n in names}, __all__=list(names))
        sys.modules[name] = module
        setattr(package, path, module)
