"""The metrics that make the SynVAE comparable with the paper, on tiny configs."""

import math

import numpy as np
import pytest
import torch

from modeling.data.melody import STEPS, pitch_to_token
from modeling.metrics import cyclic_shift_scores, nwj_lower_bound
from modeling.synvae.classifier import ClassifierConfig, ImageClassifier
from modeling.synvae.evaluate import evaluate_synvae, sampled_latent_pairs
from modeling.synvae.evaluate_music import evaluate_musicvae, free_running_scores
from modeling.synvae.melody_stats import against_corpus, melody_statistics
from modeling.synvae.model import SynVAE, SynVAEConfig
from modeling.synvae.musicvae import MusicVAE, MusicVAEConfig
from modeling.synvae.visvae import VisVAEConfig
from tests.modeling.synvae.tiny import synthetic_corpus, synthetic_images


def melody(*events: tuple[int, int]) -> np.ndarray:
    """(step, token) pairs on an otherwise empty (all-hold) 2-bar melody."""
    tokens = np.zeros(STEPS, dtype=np.int64)
    for step, token in events:
        tokens[step] = token
    return tokens


def correlated_gaussians(n: int, *, rho: float, dims: int, seed: int = 0):
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(n, dims, generator=generator)
    y = rho * x + math.sqrt(1 - rho**2) * torch.randn(n, dims, generator=generator)
    return x, y


def test_nwj_bound_finds_the_information_of_correlated_gaussians_and_none_in_noise():
    x, y = correlated_gaussians(3000, rho=0.9, dims=2)
    truth = -0.5 * math.log(1 - 0.9**2) * 2  # 1.66 nats
    estimate = nwj_lower_bound(x, y, steps=250, batch_size=128, seed=0)
    assert 0.6 * truth < estimate.nats < truth + 0.15
    assert estimate.n_heldout == 750

    independent = nwj_lower_bound(x, torch.randn(3000, 2), steps=250, batch_size=128, seed=0)
    assert abs(independent.nats) < 0.1


def test_cyclic_shifts_never_pair_an_x_with_its_own_y():
    seen = []

    class Recorder(torch.nn.Module):
        def forward(self, x, y):
            seen.append((x[:, 0] == y[:, 0]).tolist())
            return x[:, 0]

    x = torch.arange(6.0)[:, None]
    cyclic_shift_scores(Recorder(), x, x.clone(), shifts=10)
    assert all(seen[0]) and len(seen) == 1 + 5  # joint, then at most n - 1 shifts
    assert not any(any(pairs) for pairs in seen[1:])


def test_melody_statistics_count_notes_ranges_and_repeats():
    c4, e4, g4 = pitch_to_token(60), pitch_to_token(64), pitch_to_token(67)
    tokens = np.stack(
        [
            melody((0, c4), (4, c4), (8, e4), (12, 1), (16, g4)),  # 4 notes, 1 repeat in 3 pairs
            melody((0, g4), (16, g4)),  # 2 notes, 1 repeat in 1 pair
            melody(),  # silent
        ]
    )
    stats = melody_statistics(tokens)
    assert stats["notes_per_bar"] == pytest.approx((4 + 2 + 0) / 3 / 2)
    assert stats["pitch_range"] == pytest.approx((7 + 0) / 2)  # silent melodies have no range
    assert stats["repeated_pitch_share"] == pytest.approx(2 / 4)
    assert stats["silent_share"] == pytest.approx(1 / 3)
    assert stats["sounding_steps"] == pytest.approx((28 / 32 + 1.0 + 0.0) / 3)
    compared = against_corpus(stats, dict(stats, notes_per_bar=stats["notes_per_bar"] * 2))
    assert compared["notes_per_bar"] == {"ratio": 0.5, "within": False}
    assert compared["pitch_range"]["within"] is True


def test_free_running_accuracy_on_non_empty_steps_ignores_the_holds():
    truth = torch.as_tensor(np.stack([melody((0, 40), (8, 41)), melody((0, 40))]))

    class HalfRight(torch.nn.Module):
        """Reproduces every hold, the first note of each melody, and nothing else."""

        def encode(self, tokens):
            return tokens.float(), None

        def decode(self, mu, sample):
            decoded = torch.zeros_like(mu, dtype=torch.long)
            decoded[:, 0] = mu[:, 0].long()
            return type("Out", (), {"tokens": decoded})

    scores = free_running_scores(HalfRight(), truth)
    assert scores["free_running_non_empty"] == pytest.approx(2 / 3)
    assert scores["free_running_accuracy"] == pytest.approx(63 / 64)
    assert scores["exact_melodies"] == pytest.approx(1 / 2)


def test_a_musicvae_is_measured_on_held_out_windows_and_its_prior_against_the_corpus():
    torch.manual_seed(0)
    model = MusicVAE(MusicVAEConfig.tiny())
    val = torch.as_tensor(synthetic_corpus().val)
    metrics = evaluate_musicvae(model, val, seed=0, prior_samples=20)
    assert metrics["held_out_windows"] == len(val)
    for key in ("free_running_accuracy", "free_running_non_empty", "exact_melodies"):
        assert 0.0 <= metrics[key] <= 1.0
    assert 0 <= metrics["active_dims"] <= model.config.z_size
    assert set(metrics["prior"]) == {"argmax", "temperature_0.5"}
    for prior in metrics["prior"].values():
        assert prior["melodies"] == 20
        assert set(prior["against_corpus"]) == {
            "notes_per_bar",
            "pitch_range",
            "repeated_pitch_share",
        }
    assert metrics["corpus_val_melodies"]["melodies"] == len(val)


def tiny_synvae(*, sampled: bool) -> SynVAE:
    torch.manual_seed(0)
    config = SynVAEConfig(
        visual=VisVAEConfig.tiny(z_size=8),
        music=MusicVAEConfig.tiny(),
        sample_z_v=sampled,
        sample_z_a=sampled,
    )
    return SynVAE(config)


def test_sampled_latent_pairs_follow_the_stochastic_path_and_are_seeded():
    model = tiny_synvae(sampled=True)
    images = torch.as_tensor(synthetic_images().test_x)
    z_v, z_a = sampled_latent_pairs(model, images, seed=0)
    assert z_v.shape == z_a.shape == (len(images), 8)
    mu_v, _ = model.encode_visual(images)
    assert not torch.allclose(z_v, mu_v)  # sampled, not the means
    again_v, again_a = sampled_latent_pairs(model, images, seed=0)
    assert torch.equal(z_v, again_v) and torch.equal(z_a, again_a)


@pytest.mark.parametrize("sampled", [True, False])
def test_synvae_row_names_both_mi_estimators_and_says_whether_its_kl_is_comparable(sampled):
    images = synthetic_images()
    x, y = torch.as_tensor(images.test_x), torch.as_tensor(images.test_y)
    untrained = ImageClassifier(ClassifierConfig(num_classes=3, width=0.25))
    torch.manual_seed(1)
    other = ImageClassifier(ClassifierConfig(num_classes=3, width=0.25))
    row = evaluate_synvae(
        tiny_synvae(sampled=sampled),
        x,
        y,
        classifier=untrained,
        mi_images=torch.cat([torch.as_tensor(images.val_x), x]),
        mine_steps=20,
        more_classifiers={7: other},
    )
    assert row["kl_comparable"] is sampled
    assert "Donsker-Varadhan" in row["mi_estimator"] and "NWJ" in row["mi_nwj_estimator"]
    assert math.isfinite(row["mi_nats"]) and math.isfinite(row["mi_nwj_sampled_nats"])
    assert set(row["accuracy_by_classifier_seed"]) == {"7"}
    assert row["melodies"]["melodies"] == len(x)
    assert row["melody_decoding"].startswith("argmax")


def test_nwj_on_too_few_pairs_stays_near_zero_instead_of_far_below_it():
    x, y = torch.randn(40, 64), torch.randn(40, 64)
    estimate = nwj_lower_bound(x, y, steps=200, batch_size=16, seed=0)
    assert -0.5 < estimate.nats <= 0.5
