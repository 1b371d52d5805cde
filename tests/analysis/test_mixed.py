"""The binomial mixed model: same ELBO as statsmodels, sensible tests, honest uncertainty."""

import numpy as np
import pytest
from scipy.special import expit, logit
from statsmodels.genmod.bayes_mixed_glm import BinomialBayesMixedGLM

from analysis import mixed
from analysis.mixed import MixedModelUnavailable, _build_model, fit_accuracy_model


def simulated_answers(*, seed, n_people=21, n_trials=20, accuracy=0.7, person_sd=0.0):
    rng = np.random.default_rng(seed)
    person = np.repeat(np.arange(n_people), n_trials)
    item = np.tile(np.arange(n_trials), n_people)
    eta = logit(accuracy) + rng.normal(0, person_sd, n_people)[person]
    correct = (rng.random(len(person)) < expit(eta)).astype(float)
    return correct, person, item


def test_vectorised_elbo_and_gradient_equal_statsmodels():
    correct, person, item = simulated_answers(seed=0, n_people=12, n_trials=8)
    fast = _build_model(correct, [(person, 12), (item, 8)])
    stock = BinomialBayesMixedGLM(fast.endog, fast.exog, fast.exog_vc, fast.ident)
    rng = np.random.default_rng(1)
    size = 1 + 2 + 20
    mean, sd = rng.normal(size=size), np.exp(rng.normal(-0.5, 0.3, size=size))
    assert fast.vb_elbo(mean, sd) == pytest.approx(stock.vb_elbo(mean, sd), rel=1e-12)
    for ours, theirs in zip(fast.vb_elbo_grad(mean, sd), stock.vb_elbo_grad(mean, sd), strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-10)


def test_planted_accuracy_is_recovered_and_beats_chance():
    correct, person, item = simulated_answers(seed=2, accuracy=0.7)
    fit = fit_accuracy_model(correct=correct, participant=person, item=item, chance=1 / 3)
    assert fit.converged
    assert fit.accuracy_typical_interval.low < 0.7 < fit.accuracy_typical_interval.high
    assert fit.p_value < 0.001
    assert fit.chance_logit == pytest.approx(logit(1 / 3))
    assert (fit.n_answers, fit.n_participants, fit.n_items) == (420, 21, 20)


def test_laplace_sd_is_wider_than_the_mean_field_sd():
    correct, person, item = simulated_answers(seed=4, person_sd=0.8)
    fit = fit_accuracy_model(correct=correct, participant=person, item=item, chance=1 / 3)
    assert fit.intercept_sd > 1.5 * fit.intercept_sd_vb
    assert fit.participant_sd > 0.3


def test_heterogeneous_participants_make_the_mixed_test_more_cautious_than_pooled():
    from analysis.significance import binomial_test_against_chance

    correct, person, item = simulated_answers(seed=5, accuracy=0.45, person_sd=1.2)
    fit = fit_accuracy_model(correct=correct, participant=person, item=item, chance=1 / 3)
    pooled = binomial_test_against_chance(
        n_correct=int(correct.sum()), n_answers=len(correct), chance=1 / 3
    )
    assert fit.p_value > pooled.p_value


@pytest.mark.slow
def test_random_answerers_rarely_reject_chance():
    rejections = 0
    for seed in range(20):
        correct, person, item = simulated_answers(seed=100 + seed, accuracy=1 / 3)
        fit = fit_accuracy_model(correct=correct, participant=person, item=item, chance=1 / 3)
        rejections += fit.p_value < 0.05
    assert rejections <= 3  # about 1 expected at alpha 0.05


def test_one_item_falls_back_to_a_participant_effect_only():
    correct, person, _ = simulated_answers(seed=6)
    fit = fit_accuracy_model(
        correct=correct, participant=person, item=np.zeros(len(correct)), chance=0.5
    )
    assert fit.item_sd is None and fit.n_items == 1


@pytest.mark.parametrize(
    ("correct", "person", "reason"),
    [
        (np.ones(10), np.arange(10) % 2, "every answer is correct"),
        (np.r_[np.ones(5), np.zeros(5)], np.zeros(10), "two participants"),
        (np.array([]), np.array([]), "no answers"),
    ],
)
def test_unidentifiable_data_is_refused_with_a_reason(correct, person, reason):
    with pytest.raises(MixedModelUnavailable, match=reason):
        fit_accuracy_model(
            correct=correct, participant=person, item=np.arange(len(correct)), chance=0.5
        )


def test_our_fit_reaches_the_same_optimum_as_statsmodels_fit_vb():
    from analysis.mixed import _warm_start, fit_vb_from

    correct, person, item = simulated_answers(seed=8, n_people=15, n_trials=8, person_sd=0.8)
    factors = [(person, 15), (item, 8)]
    model = _build_model(correct, factors)
    stock = BinomialBayesMixedGLM(model.endog, model.exog, model.exog_vc, model.ident).fit_vb()
    start_mean, start_sd = _warm_start(correct, factors)
    ours, converged = fit_vb_from(model, mean=start_mean, sd=start_sd)
    assert converged
    np.testing.assert_allclose(ours.fe_mean, stock.fe_mean, atol=2e-3)
    np.testing.assert_allclose(ours.vcp_mean, stock.vcp_mean, atol=2e-2)
    np.testing.assert_allclose(ours.vc_mean, stock.vc_mean, atol=5e-3)


def test_an_unchecked_statsmodels_version_falls_back_to_the_stock_model(monkeypatch):
    assert mixed.vectorised_elbo_supported("0.15.0")
    assert not mixed.vectorised_elbo_supported("0.16.0")
    monkeypatch.setattr(mixed, "vectorised_elbo_supported", lambda: False)
    built = []
    original = mixed._build_model
    monkeypatch.setattr(mixed, "_build_model", lambda *a, **k: built.append(k) or original(*a, **k))
    rng = np.random.default_rng(3)
    person = np.repeat(np.arange(8), 20)
    item = np.tile(np.arange(20), 8)
    correct = (rng.random(160) < 0.7).astype(float)
    fitted = mixed.fit_accuracy_model(correct=correct, participant=person, item=item, chance=1 / 3)
    assert built == [{"vectorised": False}]
    assert 0.5 < fitted.accuracy_typical < 0.85
