"""The chord/texture VAE's shapes, targets and training signal (tiny configs, CPU)."""

import numpy as np
import torch

from modeling.checkpoint_io import build_model
from modeling.vis2mus.accompaniment import generated_segment
from modeling.vis2mus.model import (
    PAD,
    STOP,
    Vis2MusConfig,
    Vis2MusVAE,
    bits_to_duration,
    duration_bits,
    feature_map_shape,
    pianotree_targets,
    vis2mus_step_loss,
)


def accompaniment_batch(n=8):
    pieces = [
        generated_segment(
            "I-V-vi-IV", pattern=pattern, register="middle", per_bar=2, dense=False, key=key
        )
        for key in range(n // 2)
        for pattern in ("alberti", "block")
    ]
    rolls = torch.as_tensor(np.stack([roll for roll, _ in pieces]))
    chords = torch.as_tensor(np.stack([chord for _, chord in pieces]))
    return rolls, chords


def test_the_texture_feature_map_is_10_by_8_by_29_for_a_32_by_128_roll():
    model = Vis2MusVAE(Vis2MusConfig.tiny())
    rolls, chords = accompaniment_batch()
    feature_map = model.texture_feature_map(rolls)
    assert feature_map.shape == (8, 10, 8, 29) == (8, *feature_map_shape(model.config))
    assert bool((feature_map >= 0).all())  # after the ReLU
    z_chd, _ = model.encode_chords(chords.float())
    z_txt, _ = model.encode_feature_map(feature_map)
    assert z_chd.shape == (8, 8) and z_txt.shape == (8, 8)
    assert model.decode_chords(z_chd).shape == (8, 8, 36)
    assert model.decode(z_chd, z_txt).shape == (8, 32, 128)
    out = model(rolls, chords.float())
    steps_slots = out["tokens"].shape[1:]
    assert out["pitch_logits"].shape == (8, *steps_slots, 130)
    assert out["duration_logits"].shape == (8, *steps_slots, 5)


def test_pianotree_targets_list_each_steps_notes_low_to_high_then_stop():
    roll = torch.zeros(1, 32, 128, dtype=torch.uint8)
    roll[0, 0, [60, 48, 64]] = torch.tensor([4, 8, 2], dtype=torch.uint8)
    tokens, durations = pianotree_targets(roll, max_notes=15)
    assert tokens.shape == (1, 32, 16)
    assert tokens[0, 0, :5].tolist() == [48, 60, 64, STOP, PAD]
    assert durations[0, 0, :3].tolist() == [8, 4, 2]
    assert tokens[0, 1, :2].tolist() == [STOP, PAD]  # a silent step says stop at once
    crowded = torch.zeros(1, 32, 128, dtype=torch.uint8)
    crowded[0, 0, 40:60] = 1  # 20 notes: the lowest 15 are kept
    tokens, _ = pianotree_targets(crowded, max_notes=15)
    assert tokens[0, 0].tolist() == [*range(40, 55), STOP]


def test_durations_travel_as_five_bits():
    durations = torch.arange(1, 33)
    bits = duration_bits(durations)
    assert bits.shape == (32, 5)
    assert bits[0].tolist() == [0, 0, 0, 0, 0] and bits[-1].tolist() == [1, 1, 1, 1, 1]
    assert torch.equal(bits_to_duration(bits), durations)


def test_one_optimiser_step_lowers_the_loss():
    torch.manual_seed(0)
    model = Vis2MusVAE(Vis2MusConfig.tiny()).eval()  # eval: no random transposition
    batch = accompaniment_batch()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)

    def loss():
        torch.manual_seed(1)  # the same latent samples both times
        return vis2mus_step_loss(model, batch, step=0)

    before, metrics = loss()
    optimizer.zero_grad()
    before.backward()
    optimizer.step()
    after, _ = loss()
    assert float(after.detach()) < float(before.detach())
    assert {"texture", "chord", "kl_chd", "kl_txt", "root_accuracy"} <= set(metrics)


def test_the_published_size_has_about_27_million_parameters():
    model = build_model("vis2mus", Vis2MusConfig.published().to_dict())
    parameters = sum(p.numel() for p in model.parameters())
    assert 26_000_000 < parameters < 28_500_000
    assert model.chord_rnn.hidden_size == 1024 and model.texture_rnn.hidden_size == 1024
    assert model.time_rnn.hidden_size == 1024 and model.note_rnn.hidden_size == 512
    assert model.pitch_head.out_features == 130 and model.duration_head.out_features == 5
    assert Vis2MusConfig.from_dict(model.config.to_dict()) == model.config
