"""Binomial mixed model of correctness: logit P(correct) = b0 + u_participant + v_item.

Fitted with statsmodels' BinomialBayesMixedGLM by variational Bayes (`fit_vb`). The intercept b0
is the log-odds of a correct answer for a typical participant on a typical item; it is compared
with logit(1/k). Unlike the pooled binomial test, this accounts for answers of one person (and
answers to one item) being correlated.

Two things differ from calling statsmodels naively, both documented in docs/analysis.md:
- Speed: the ELBO and its gradient are the statsmodels formulas evaluated in one vectorised pass
  (identical values, checked by a test); the fit starts from a cheap penalised-likelihood guess
  (kept: stock fit_vb floors starting sds at 0.37) and uses L-BFGS-B. Stock `fit_vb` takes about
  two minutes on 40,000 answers; this takes seconds.
- The intercept's uncertainty: mean-field VB ignores the posterior correlation between b0 and the
  random effects and understates its sd several-fold. The reported sd is the Laplace (Gaussian)
  approximation of b0's posterior given the VB variance components, as glmer's Wald test does;
  the VB sd is reported beside it as `intercept_sd_vb`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import statsmodels
from scipy import sparse, stats
from scipy.optimize import minimize
from scipy.special import expit, logit
from statsmodels.genmod import bayes_mixed_glm
from statsmodels.genmod.bayes_mixed_glm import BayesMixedGLMResults, BinomialBayesMixedGLM
from threadpoolctl import threadpool_limits

from analysis.significance import Interval

FIXED_EFFECT_PRIOR_SD = 2.0  # statsmodels' default fe_p
LOG_SD_PRIOR_SD = 1.0  # statsmodels' default vcp_p
DENSE_CELL_LIMIT = 20_000_000  # small-factor x big-factor cells the Laplace step may hold
# The vectorised ELBO overrides and calls private parts of statsmodels' model. They were checked
# (to 1e-12, tests/analysis/test_mixed.py) on these minor versions; on any other one, or when a
# private name is gone, the stock model is used: the same answer, only slower.
VECTORISED_FOR_STATSMODELS = ("0.14", "0.15")
PRIVATE_METHODS = ("_unpack", "_elbo_common", "_lp_stats")


def vectorised_elbo_supported(version: str = statsmodels.__version__) -> bool:
    """Whether the private statsmodels parts the fast ELBO relies on are the checked ones."""
    minor = ".".join(version.split(".")[:2])
    has_names = all(hasattr(BinomialBayesMixedGLM, name) for name in PRIVATE_METHODS)
    return minor in VECTORISED_FOR_STATSMODELS and has_names and hasattr(bayes_mixed_glm, "glw")


class MixedModelUnavailable(Exception):
    """The model cannot be fitted on these answers; the message says why."""


@dataclass(frozen=True)
class MixedModel:
    intercept: float
    intercept_sd: float
    intercept_sd_vb: float
    chance_logit: float
    z: float
    p_value: float
    interval: Interval
    accuracy_typical: float
    accuracy_typical_interval: Interval
    participant_sd: float
    item_sd: float | None
    n_answers: int
    n_participants: int
    n_items: int
    converged: bool
    sd_method: str
    method: str = "BinomialBayesMixedGLM.fit_vb, intercept vs logit(1/k)"

    def to_dict(self) -> dict:
        return asdict(self)


class _VectorisedBinomialBayesMixedGLM(BinomialBayesMixedGLM):
    """statsmodels' model with the same ELBO and gradient, computed together in one pass."""

    _cache_key: tuple[bytes, bytes] | None = None
    _cache: tuple[float, np.ndarray, np.ndarray] | None = None

    def _lp_stats(self, fep_mean, fep_sd, vc_mean, vc_sd):
        if not hasattr(self, "_exog_squared"):
            self._exog_squared = self.exog**2
        mean = self.exog @ fep_mean + self.exog_vc @ vc_mean
        variance = self._exog_squared @ fep_sd**2 + self.exog_vc2 @ vc_sd**2
        return mean, variance

    def vb_elbo(self, vb_mean, vb_sd):
        return self._elbo_and_gradient(vb_mean, vb_sd)[0]

    def vb_elbo_grad(self, vb_mean, vb_sd):
        _, mean_grad, sd_grad = self._elbo_and_gradient(vb_mean, vb_sd)
        return mean_grad.copy(), sd_grad.copy()

    def _elbo_and_gradient(self, vb_mean, vb_sd):
        key = (vb_mean.tobytes(), vb_sd.tobytes())
        if key != self._cache_key:
            self._cache = self._evaluate(vb_mean, vb_sd)
            self._cache_key = key
        return self._cache

    def _evaluate(self, vb_mean, vb_sd):
        fep_mean, vcp_mean, vc_mean = self._unpack(vb_mean)
        fep_sd, vcp_sd, vc_sd = self._unpack(vb_sd)
        mean, variance = self._lp_stats(fep_mean, fep_sd, vc_mean, vc_sd)
        nodes, weights = _quadrature(self.rng)
        sd = np.sqrt(variance)
        # softplus(u) and sigmoid(u) at every node and row, from one exp(-|u|)
        u = np.multiply.outer(nodes, sd)
        u += mean
        e = np.abs(u)
        np.negative(e, out=e)
        np.exp(e, out=e)
        softplus = np.add(e, 1.0)
        np.log(softplus, out=softplus)
        softplus += np.maximum(u, 0.0)
        inverse = np.add(e, 1.0)
        np.reciprocal(inverse, out=inverse)
        sigmoid = np.where(u >= 0, inverse, e * inverse)
        elbo = float(self.endog @ mean - (weights @ softplus).sum())
        elbo += self._elbo_common(fep_mean, fep_sd, vcp_mean, vcp_sd, vc_mean, vc_sd)
        elbo += np.log(fep_sd).sum() + np.log(vcp_sd).sum() + np.log(vc_sd).sum()
        mean_term = self.endog - weights @ sigmoid
        sd_term = -((weights * nodes) @ sigmoid) / sd
        common = self._elbo_grad_common(fep_mean, fep_sd, vcp_mean, vcp_sd, vc_mean, vc_sd)
        mean_grad = np.concatenate(
            (
                self.exog.T @ mean_term + common[0],
                common[2],
                self.exog_vc.T @ mean_term + common[4],
            )
        )
        sd_grad = np.concatenate(
            (
                (self._exog_squared.T @ sd_term) * fep_sd + common[1] + 1 / fep_sd,
                common[3] + 1 / vcp_sd,
                (self.exog_vc2.T @ sd_term) * vc_sd + common[5] + 1 / vc_sd,
            )
        )
        return elbo, mean_grad, sd_grad


def _quadrature(scale: float) -> tuple[np.ndarray, np.ndarray]:
    """statsmodels' Gauss-Legendre nodes on [-scale, scale], weights times the normal density."""
    nodes = scale * np.array([w[1] for w in bayes_mixed_glm.glw])
    weights = np.array([w[0] for w in bayes_mixed_glm.glw])
    return nodes, weights * np.exp(-(nodes**2) / 2) * scale / np.sqrt(2 * np.pi)


def fit_accuracy_model(
    *,
    correct: np.ndarray,
    participant: np.ndarray,
    item: np.ndarray,
    chance: float,
    level: float = 0.95,
) -> MixedModel:
    """Fit correct ~ 1 + (1|participant) + (1|item) and test the intercept against logit(chance).

    The p-value is one-sided (intercept > logit(chance)); the interval is two-sided at `level`.
    Raises MixedModelUnavailable when the data cannot identify the model.
    """
    y = np.asarray(correct, dtype=float)
    participant_index, n_participants = _level_index(participant)
    item_index, n_items = _level_index(item)
    _check_identifiable(y, n_participants=n_participants)
    factors = [(participant_index, n_participants)]
    if n_items >= 2:
        factors.append((item_index, n_items))
    model = _build_model(y, factors, vectorised=vectorised_elbo_supported())
    start_mean, start_sd = _warm_start(y, factors)
    result, converged = fit_vb_from(model, mean=start_mean, sd=start_sd)
    intercept = float(result.fe_mean[0])
    component_sds = np.exp(result.vcp_mean)
    sd, sd_method = _intercept_sd(
        y, factors, result=result, component_sds=component_sds, vb_sd=float(result.fe_sd[0])
    )
    return _summarise(
        intercept=intercept,
        sd=sd,
        sd_method=sd_method,
        vb_sd=float(result.fe_sd[0]),
        chance=chance,
        level=level,
        component_sds=component_sds,
        n_answers=len(y),
        n_participants=n_participants,
        n_items=n_items,
        converged=converged,
    )


def fit_vb_from(
    model: BinomialBayesMixedGLM, *, mean: np.ndarray, sd: np.ndarray
) -> tuple[BayesMixedGLMResults, bool]:
    """`model.fit_vb(mean, sd)` without its floor of exp(-1) on the starting sds.

    statsmodels raises every starting sd below 0.37 to 0.37, which throws away a good warm
    start (random-effect sds are typically 0.1-0.3). Same objective (the model's ELBO over
    means and log-sds), same optimiser family (L-BFGS-B, as `fit_vb(fit_method="L-BFGS-B")`).
    """
    n = len(mean)

    def negative_elbo(x: np.ndarray) -> tuple[float, np.ndarray]:
        sds = np.exp(x[n:])
        mean_grad, sd_grad = model.vb_elbo_grad(x[:n], sds)
        return -model.vb_elbo(x[:n], sds), -np.concatenate((mean_grad, sd_grad * sds))

    start = np.concatenate((mean, np.log(sd)))
    options = {"maxiter": 2000, "maxcor": 30}
    # L-BFGS-B's small BLAS calls spend most of their time waking threads on a busy machine
    with threadpool_limits(limits=1, user_api="blas"):
        optimum = minimize(negative_elbo, start, jac=True, method="L-BFGS-B", options=options)
    params, variances = optimum.x[:n], np.exp(2 * optimum.x[n:])
    return BayesMixedGLMResults(model, params, variances, optimum), bool(optimum.success)


def _level_index(values: np.ndarray) -> tuple[np.ndarray, int]:
    levels, index = np.unique(np.asarray(values).astype(str), return_inverse=True)
    return index, len(levels)


def _check_identifiable(y: np.ndarray, *, n_participants: int) -> None:
    if len(y) == 0:
        raise MixedModelUnavailable("no answers")
    if n_participants < 2:
        raise MixedModelUnavailable("a participant effect needs at least two participants")
    if y.min() == y.max():
        state = "correct" if y[0] == 1 else "wrong"
        raise MixedModelUnavailable(f"every answer is {state}; the log-odds are unbounded")


def _build_model(
    y: np.ndarray, factors: list[tuple[np.ndarray, int]], *, vectorised: bool = True
) -> BinomialBayesMixedGLM:
    rows = np.arange(len(y))
    blocks = [
        sparse.csr_matrix((np.ones(len(y)), (rows, index)), shape=(len(y), n_levels))
        for index, n_levels in factors
    ]
    ident = np.concatenate([np.full(n, k, dtype=int) for k, (_, n) in enumerate(factors)])
    names = ["participant", "item"][: len(factors)]
    model_class = _VectorisedBinomialBayesMixedGLM if vectorised else BinomialBayesMixedGLM
    return model_class(
        y,
        np.ones((len(y), 1)),
        sparse.hstack(blocks).tocsr(),
        ident,
        vcp_p=LOG_SD_PRIOR_SD,
        fe_p=FIXED_EFFECT_PRIOR_SD,
        fep_names=["Intercept"],
        vcp_names=names,
    )


def _warm_start(
    y: np.ndarray, factors: list[tuple[np.ndarray, int]], *, rounds: int = 4, sweeps: int = 3
) -> tuple[np.ndarray, np.ndarray]:
    """Penalised-likelihood guess of the VB means (block Newton sweeps, variances by EM)."""
    share = np.clip(y.mean(), 1e-3, 1 - 1e-3)
    intercept = float(logit(share))
    effects = [np.zeros(n) for _, n in factors]
    effect_sds = [np.ones(n) for _, n in factors]
    variances = [0.25 for _ in factors]
    for _ in range(rounds):
        for _ in range(sweeps):
            eta = intercept + sum(e[index] for e, (index, _) in zip(effects, factors, strict=True))
            mu = expit(eta)
            intercept += float((y - mu).sum() / (mu * (1 - mu)).sum())
            for k, (index, n_levels) in enumerate(factors):
                eta = intercept + sum(e[i] for e, (i, _) in zip(effects, factors, strict=True))
                mu = expit(eta)
                gradient = np.bincount(index, y - mu, n_levels) - effects[k] / variances[k]
                curvature = np.bincount(index, mu * (1 - mu), n_levels) + 1 / variances[k]
                effects[k] = effects[k] + gradient / curvature
                effect_sds[k] = 1 / np.sqrt(curvature)
        variances = [
            max(float(np.mean(e**2 + s**2)), 1e-4) for e, s in zip(effects, effect_sds, strict=True)
        ]
    mean = np.concatenate([[intercept], 0.5 * np.log(variances), *effects])
    sd = np.concatenate([[0.1], np.full(len(factors), 0.3), *effect_sds])
    return mean, sd


def _intercept_sd(
    y: np.ndarray,
    factors: list[tuple[np.ndarray, int]],
    *,
    result,
    component_sds: np.ndarray,
    vb_sd: float,
) -> tuple[float, str]:
    """Laplace sd of the intercept given the variance components (Schur complement)."""
    levels = sorted(n for _, n in factors)
    if len(levels) > 1 and (1 + levels[0]) * levels[-1] > DENSE_CELL_LIMIT:
        return vb_sd, "variational Bayes (too many levels for the Laplace step; too small)"
    eta = result.model.exog_vc @ result.vc_mean + result.fe_mean[0]
    weight = expit(eta) * (1 - expit(eta))
    precisions = 1 / component_sds**2
    order = sorted(range(len(factors)), key=lambda k: factors[k][1])
    big_index, n_big = factors[order[-1]]
    big_diagonal = np.bincount(big_index, weight, n_big) + precisions[order[-1]]
    small = [factors[k] for k in order[:-1]]
    small_precisions = [precisions[k] for k in order[:-1]]
    dense, cross = _dense_blocks(weight, small, small_precisions, big_index, n_big)
    schur = dense - (cross / big_diagonal) @ cross.T
    variance = np.linalg.inv(schur)[0, 0]
    return float(np.sqrt(variance)), "Laplace approximation given the variance components"


def _dense_blocks(
    weight: np.ndarray,
    small: list[tuple[np.ndarray, int]],
    small_precisions: list[float],
    big_index: np.ndarray,
    n_big: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Precision blocks of [intercept, small-factor effects] and their cross with the big one."""
    size = 1 + sum(n for _, n in small)
    dense = np.zeros((size, size))
    cross = np.zeros((size, n_big))
    dense[0, 0] = weight.sum() + 1 / FIXED_EFFECT_PRIOR_SD**2
    cross[0] = np.bincount(big_index, weight, n_big)
    offset = 1
    for (index, n_levels), precision in zip(small, small_precisions, strict=True):
        totals = np.bincount(index, weight, n_levels)
        block = slice(offset, offset + n_levels)
        dense[0, block] = dense[block, 0] = totals
        dense[block, block] = np.diag(totals + precision)
        pair = np.bincount(index * n_big + big_index, weight, n_levels * n_big)
        cross[block] = pair.reshape(n_levels, n_big)
        offset += n_levels
    return dense, cross


def _summarise(
    *,
    intercept: float,
    sd: float,
    sd_method: str,
    vb_sd: float,
    chance: float,
    level: float,
    component_sds: np.ndarray,
    n_answers: int,
    n_participants: int,
    n_items: int,
    converged: bool,
) -> MixedModel:
    chance_logit = float(logit(chance))
    z = (intercept - chance_logit) / sd
    half_width = stats.norm.ppf(0.5 + level / 2) * sd
    low, high = intercept - half_width, intercept + half_width
    return MixedModel(
        intercept=intercept,
        intercept_sd=sd,
        intercept_sd_vb=vb_sd,
        chance_logit=chance_logit,
        z=float(z),
        p_value=float(stats.norm.sf(z)),
        interval=Interval(
            low=float(low), high=float(high), level=level, method="normal, logit scale"
        ),
        accuracy_typical=float(expit(intercept)),
        accuracy_typical_interval=Interval(
            low=float(expit(low)), high=float(expit(high)), level=level, method="normal, logit"
        ),
        participant_sd=float(component_sds[0]),
        item_sd=float(component_sds[1]) if len(component_sds) > 1 else None,
        n_answers=n_answers,
        n_participants=n_participants,
        n_items=n_items,
        converged=converged,
        sd_method=sd_method,
    )
