"""The chord/texture disentangled VAE (Poly-dis shapes; Wang et al. 2020), Vis2Mus's backend.

Reimplemented from the papers' descriptions (no reference code):

- chord encoder: a bidirectional GRU over the 8 x 36 beat chords -> ``z_chd``;
  chord decoder: a GRU fed ``z_chd`` at each of the 8 beats -> root (12 classes), chroma
  (12 bits) and bass (12 classes) per beat;
- texture encoder: Conv2d(1->10, kernel (4, 12), stride (4, 1)) -> ReLU -> MaxPool(1, 4) gives
  the **10 x 8 x 29 feature map** (the place the Vis2Mus transformations act), read as 8 beats
  x 290 -> linear -> linear -> bidirectional GRU -> ``z_txt``;
- PianoTree-style decoder from ``[z_chd, z_txt]``: a time GRU over the 32 steps (fed ``z`` and
  a summary of the previous step's notes) and, per step, a note GRU that emits up to 15 notes
  from low to high and then a stop token: a pitch head over 130 classes (128 pitches, stop,
  pad) and a duration head of 5 bits (duration - 1 in binary).

Velocity is not modelled (the texture roll has none).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from modeling.gaussian import gaussian_kl
from modeling.vis2mus.data import BEATS, CHORD_DIM, PITCHES, STEPS

KIND = "vis2mus"
STOP = 128
PAD = 129
PITCH_CLASSES = 130
DURATION_BITS = 5


@dataclass
class Vis2MusConfig:
    """Sizes (published: Poly-dis) and the loss weights of one chord/texture VAE."""

    chord_hidden: int = 1024
    chord_decoder_hidden: int = 512
    z_chd: int = 256
    feature_channels: int = 10
    texture_linear: tuple[int, int] = (1000, 256)
    texture_hidden: int = 1024
    z_txt: int = 256
    time_hidden: int = 1024
    note_hidden: int = 512
    max_notes: int = 15
    pitch_embedding: int = 128
    duration_embedding: int = 16
    step_summary: int = 256
    beta: float = 0.1
    free_bits: float = 0.0  # nats per latent, summed over the dimensions
    chord_weight: float = 1.0

    @classmethod
    def tiny(cls) -> Vis2MusConfig:
        return cls(
            chord_hidden=16,
            chord_decoder_hidden=16,
            z_chd=8,
            texture_linear=(32, 16),
            texture_hidden=16,
            z_txt=8,
            time_hidden=32,
            note_hidden=16,
            pitch_embedding=8,
            duration_embedding=4,
            step_summary=16,
        )

    @classmethod
    def cpu_demo(cls) -> Vis2MusConfig:
        """About 1.2M parameters: trains for tens of minutes on one CPU core."""
        return cls(
            chord_hidden=128,
            chord_decoder_hidden=128,
            z_chd=64,
            texture_linear=(256, 128),
            texture_hidden=128,
            z_txt=64,
            time_hidden=256,
            note_hidden=128,
            pitch_embedding=48,
            duration_embedding=8,
            step_summary=96,
        )

    @classmethod
    def published(cls) -> Vis2MusConfig:
        """Poly-dis sizes: about 27M parameters (a GPU model)."""
        return cls()

    @classmethod
    def preset(cls, name: str) -> Vis2MusConfig:
        presets = {"tiny": cls.tiny, "cpu_demo": cls.cpu_demo, "published": cls.published}
        if name not in presets:
            raise ValueError(f"unknown Vis2Mus preset {name!r}; choose from {sorted(presets)}")
        return presets[name]()

    def to_dict(self) -> dict:
        data = asdict(self)
        data["texture_linear"] = list(self.texture_linear)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Vis2MusConfig:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["texture_linear"] = tuple(values.get("texture_linear", (1000, 256)))
        return cls(**values)


def feature_map_shape(config: Vis2MusConfig) -> tuple[int, int, int]:
    """(channels, beats, columns) of the texture feature map: (10, 8, 29) for a 32 x 128 roll."""
    return config.feature_channels, STEPS // 4, (PITCHES - 12 + 1) // 4


def duration_bits(durations: Tensor) -> Tensor:
    """Durations 1..32 -> [..., 5] bits of (duration - 1), most significant first."""
    values = (durations.long().clamp(1, 32) - 1).unsqueeze(-1)
    shifts = torch.arange(DURATION_BITS - 1, -1, -1, device=durations.device)
    return ((values >> shifts) & 1).float()


def bits_to_duration(bits: Tensor) -> Tensor:
    """[..., 5] bits (0/1) -> durations 1..32."""
    weights = 2 ** torch.arange(DURATION_BITS - 1, -1, -1, device=bits.device)
    return (bits.long() * weights).sum(-1) + 1


def pianotree_targets(rolls: Tensor, *, max_notes: int) -> tuple[Tensor, Tensor]:
    """Texture rolls [N, 32, 128] -> pitch tokens [N, 32, max_notes + 1] (notes low to high,
    then STOP, then PAD; notes above ``max_notes`` per step are dropped, the lowest kept) and
    their durations [N, 32, max_notes + 1] (0 where no note)."""
    onsets = rolls > 0
    order = torch.cumsum(onsets.long(), dim=-1) - 1  # rank of each onset pitch within its step
    keep = onsets & (order < max_notes)
    n, steps, _ = rolls.shape
    slots = max_notes + 1
    tokens = torch.full((n, steps, slots + 1), PAD, dtype=torch.long, device=rolls.device)
    durations = torch.zeros((n, steps, slots + 1), dtype=torch.long, device=rolls.device)
    where = torch.where(keep, order, torch.full_like(order, slots))  # dropped -> spare column
    pitches = torch.arange(PITCHES, device=rolls.device).expand_as(order)
    tokens.scatter_(2, where, torch.where(keep, pitches, torch.full_like(pitches, PAD)))
    durations.scatter_(2, where, torch.where(keep, rolls.long(), torch.zeros_like(order)))
    counts = keep.sum(-1, keepdim=True)
    tokens.scatter_(2, counts, torch.full_like(counts, STOP))
    return tokens[..., :slots], durations[..., :slots]


class Vis2MusVAE(nn.Module):
    """Two encoders (chord, texture) and two decoders (chord, PianoTree) around z_chd, z_txt."""

    kind = KIND

    def __init__(self, config: Vis2MusConfig) -> None:
        super().__init__()
        self.config = config
        c = config
        # chord encoder / decoder
        self.chord_rnn = nn.GRU(CHORD_DIM, c.chord_hidden, batch_first=True, bidirectional=True)
        self.chord_mu = nn.Linear(2 * c.chord_hidden, c.z_chd)
        self.chord_logvar = nn.Linear(2 * c.chord_hidden, c.z_chd)
        self.chord_decoder_init = nn.Linear(c.z_chd, c.chord_decoder_hidden)
        self.chord_decoder = nn.GRU(c.z_chd, c.chord_decoder_hidden, batch_first=True)
        self.chord_head = nn.Linear(c.chord_decoder_hidden, CHORD_DIM)
        # texture encoder
        channels, beats, columns = feature_map_shape(c)
        self.texture_conv = nn.Conv2d(1, channels, kernel_size=(4, 12), stride=(4, 1))
        first, second = c.texture_linear
        self.texture_linear = nn.Sequential(
            nn.Linear(channels * columns, first), nn.ReLU(), nn.Linear(first, second), nn.ReLU()
        )
        self.texture_rnn = nn.GRU(second, c.texture_hidden, batch_first=True, bidirectional=True)
        self.texture_mu = nn.Linear(2 * c.texture_hidden, c.z_txt)
        self.texture_logvar = nn.Linear(2 * c.texture_hidden, c.z_txt)
        # PianoTree decoder
        z_size = c.z_chd + c.z_txt
        note_size = c.pitch_embedding + c.duration_embedding
        self.pitch_embedding = nn.Embedding(PITCH_CLASSES, c.pitch_embedding)
        self.duration_embedding = nn.Linear(DURATION_BITS, c.duration_embedding)
        self.step_summary = nn.Linear(note_size, c.step_summary)
        self.time_init = nn.Linear(z_size, c.time_hidden)
        self.time_rnn = nn.GRU(z_size + c.step_summary, c.time_hidden, batch_first=True)
        self.note_init = nn.Linear(c.time_hidden, c.note_hidden)
        self.note_rnn = nn.GRU(c.time_hidden + note_size, c.note_hidden, batch_first=True)
        self.pitch_head = nn.Linear(c.note_hidden, PITCH_CLASSES)
        self.duration_head = nn.Linear(c.note_hidden, DURATION_BITS)

    # ----- encoders ------------------------------------------------------------------------
    def encode_chords(self, chords: Tensor) -> tuple[Tensor, Tensor]:
        """Chords [N, 8, 36] -> (mu, logvar) of z_chd."""
        _, h_n = self.chord_rnn(chords.float())
        final = torch.cat([h_n[0], h_n[1]], dim=-1)
        return self.chord_mu(final), self.chord_logvar(final)

    def texture_feature_map(self, rolls: Tensor) -> Tensor:
        """Texture rolls [N, 32, 128] -> the feature map [N, 10, 8, 29] (after ReLU and pool)."""
        x = F.relu(self.texture_conv(rolls.float().unsqueeze(1)))
        return F.max_pool2d(x, kernel_size=(1, 4))

    def encode_feature_map(self, feature_map: Tensor) -> tuple[Tensor, Tensor]:
        """The (possibly transformed) feature map [N, 10, 8, 29] -> (mu, logvar) of z_txt."""
        n, channels, beats, columns = feature_map.shape
        per_beat = feature_map.permute(0, 2, 1, 3).reshape(n, beats, channels * columns)
        _, h_n = self.texture_rnn(self.texture_linear(per_beat))
        final = torch.cat([h_n[0], h_n[1]], dim=-1)
        return self.texture_mu(final), self.texture_logvar(final)

    def encode_texture(self, rolls: Tensor) -> tuple[Tensor, Tensor]:
        return self.encode_feature_map(self.texture_feature_map(rolls))

    @staticmethod
    def reparameterize(mu: Tensor, logvar: Tensor) -> Tensor:
        return mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)

    # ----- decoders ------------------------------------------------------------------------
    def decode_chords(self, z_chd: Tensor) -> Tensor:
        """z_chd [N, z] -> chord logits [N, 8, 36] (root 12 | chroma 12 | bass 12)."""
        h0 = torch.tanh(self.chord_decoder_init(z_chd)).unsqueeze(0)
        steps = z_chd.unsqueeze(1).expand(-1, BEATS, -1)
        out, _ = self.chord_decoder(steps, h0)
        return self.chord_head(out)

    def note_embedding(self, tokens: Tensor, durations: Tensor) -> Tensor:
        """Pitch token and duration -> [..., pitch_embedding + duration_embedding]."""
        bits = duration_bits(durations.clamp(min=1)) * (tokens < PITCHES).unsqueeze(-1)
        return torch.cat([self.pitch_embedding(tokens), self.duration_embedding(bits)], dim=-1)

    def summarize_steps(self, tokens: Tensor, durations: Tensor) -> Tensor:
        """[N, T, K] notes of each step -> [N, T, step_summary] (sum over the real notes)."""
        real = (tokens < PITCHES).unsqueeze(-1).float()
        notes = self.note_embedding(tokens, durations) * real
        return torch.tanh(self.step_summary(notes.sum(dim=2)))

    def decode_teacher_forced(self, z: Tensor, tokens: Tensor, durations: Tensor):
        """z [N, z_chd + z_txt] and target notes -> (pitch logits [N, T, K, 130], duration
        logits [N, T, K, 5]), each step and note fed the ground truth before it."""
        n, steps, slots = tokens.shape
        summary = self.summarize_steps(tokens, durations)
        previous = torch.cat([torch.zeros_like(summary[:, :1]), summary[:, :-1]], dim=1)
        time_in = torch.cat([z.unsqueeze(1).expand(-1, steps, -1), previous], dim=-1)
        h_time, _ = self.time_rnn(time_in, torch.tanh(self.time_init(z)).unsqueeze(0))
        notes = self.note_embedding(tokens, durations)
        notes_before = torch.cat([torch.zeros_like(notes[:, :, :1]), notes[:, :, :-1]], dim=2)
        note_in = torch.cat(
            [h_time.unsqueeze(2).expand(-1, -1, slots, -1), notes_before], dim=-1
        ).reshape(n * steps, slots, -1)
        h0 = torch.tanh(self.note_init(h_time)).reshape(1, n * steps, -1)
        h_notes, _ = self.note_rnn(note_in, h0)
        h_notes = h_notes.reshape(n, steps, slots, -1)
        return self.pitch_head(h_notes), self.duration_head(h_notes)

    @torch.no_grad()
    def decode(self, z_chd: Tensor, z_txt: Tensor) -> Tensor:
        """Greedy free-running decoding -> texture rolls [N, 32, 128] (durations at onsets).

        Each note's pitch must lie above the previous note of its step (the order the model
        was trained on), so a step cannot repeat a pitch.
        """
        z = torch.cat([z_chd, z_txt], dim=-1)
        n, slots = z.shape[0], self.config.max_notes + 1
        rolls = torch.zeros(n, STEPS, PITCHES, dtype=torch.long, device=z.device)
        h_time = torch.tanh(self.time_init(z)).unsqueeze(0)
        summary = z.new_zeros(n, 1, self.config.step_summary)
        classes = torch.arange(PITCH_CLASSES, device=z.device)
        for t in range(STEPS):
            out, h_time = self.time_rnn(torch.cat([z.unsqueeze(1), summary], dim=-1), h_time)
            h_note = torch.tanh(self.note_init(out)).transpose(0, 1)
            previous = z.new_zeros(
                n, 1, self.config.pitch_embedding + self.config.duration_embedding
            )
            lowest = torch.zeros(n, dtype=torch.long, device=z.device)
            done = torch.zeros(n, dtype=torch.bool, device=z.device)
            step_tokens, step_durations = [], []
            for k in range(slots):
                h, h_note = self.note_rnn(torch.cat([out, previous], dim=-1), h_note)
                logits = self.pitch_head(h[:, 0])
                allowed = (classes.unsqueeze(0) >= lowest.unsqueeze(1)) & (classes < PAD)
                if k == slots - 1:
                    allowed = classes.unsqueeze(0) == STOP
                logits = logits.masked_fill(~allowed, float("-inf"))
                token = torch.where(done, torch.full_like(lowest, PAD), logits.argmax(-1))
                duration = bits_to_duration((self.duration_head(h[:, 0]) > 0).long())
                is_note = token < PITCHES
                rolls[is_note, t, token[is_note]] = duration[is_note]
                done = done | (token == STOP)
                lowest = torch.where(is_note, token + 1, lowest)
                step_tokens.append(token)
                step_durations.append(duration * is_note)
                previous = self.note_embedding(token, duration).unsqueeze(1)
                if bool(done.all()):
                    break
            tokens = torch.stack(step_tokens, 1).unsqueeze(1)
            durations = torch.stack(step_durations, 1).unsqueeze(1)
            summary = self.summarize_steps(tokens, durations)
        return rolls

    def forward(self, rolls: Tensor, chords: Tensor) -> dict[str, Tensor]:
        chd_mu, chd_logvar = self.encode_chords(chords)
        txt_mu, txt_logvar = self.encode_texture(rolls)
        z_chd = self.reparameterize(chd_mu, chd_logvar)
        z_txt = self.reparameterize(txt_mu, txt_logvar)
        tokens, durations = pianotree_targets(rolls, max_notes=self.config.max_notes)
        # Slots after the batch's longest step hold only PAD (never scored): leave them out.
        used = int((tokens != PAD).sum(-1).max())
        tokens, durations = tokens[..., :used], durations[..., :used]
        pitch_logits, duration_logits = self.decode_teacher_forced(
            torch.cat([z_chd, z_txt], dim=-1), tokens, durations
        )
        return {
            "pitch_logits": pitch_logits,
            "duration_logits": duration_logits,
            "tokens": tokens,
            "durations": durations,
            "chord_logits": self.decode_chords(z_chd),
            "chd_mu": chd_mu,
            "chd_logvar": chd_logvar,
            "txt_mu": txt_mu,
            "txt_logvar": txt_logvar,
        }


def vis2mus_loss(
    out: dict[str, Tensor], chords: Tensor, *, beta: float, free_bits: float, chord_weight: float
) -> tuple[Tensor, dict[str, float]]:
    """The objective, each term summed per example and averaged over the batch:

    - texture: cross entropy of every pitch token up to and including each step's STOP (PAD
      positions are not scored) + binary cross entropy of the 5 duration bits of every note;
    - chords (``chord_weight``): root and bass cross entropy and chroma binary cross entropy on
      every beat that has a chord (N.C. beats score only their empty chroma);
    - ``beta`` * (KL(z_chd) + KL(z_txt)), each KL less ``free_bits`` nats and never below 0.
    """
    tokens, durations = out["tokens"], out["durations"]
    scored = tokens != PAD
    pitch_ce = F.cross_entropy(
        out["pitch_logits"].permute(0, 3, 1, 2),
        tokens.clamp(max=PITCH_CLASSES - 1),
        reduction="none",
    )
    is_note = tokens < PITCHES
    duration_bce = F.binary_cross_entropy_with_logits(
        out["duration_logits"], duration_bits(durations.clamp(min=1)), reduction="none"
    ).sum(-1)
    texture = (pitch_ce * scored).sum((1, 2)) + (duration_bce * is_note).sum((1, 2))
    chord_logits = out["chord_logits"]
    has_chord = chords[..., :12].sum(-1) > 0
    root_ce = F.cross_entropy(
        chord_logits[..., :12].transpose(1, 2), chords[..., :12].argmax(-1), reduction="none"
    )
    bass_ce = F.cross_entropy(
        chord_logits[..., 24:].transpose(1, 2), chords[..., 24:].argmax(-1), reduction="none"
    )
    chroma_bce = F.binary_cross_entropy_with_logits(
        chord_logits[..., 12:24], chords[..., 12:24].float(), reduction="none"
    ).sum(-1)
    chord = ((root_ce + bass_ce) * has_chord + chroma_bce).sum(1)
    kl_chd = gaussian_kl(out["chd_mu"], logvar=out["chd_logvar"])
    kl_txt = gaussian_kl(out["txt_mu"], logvar=out["txt_logvar"])
    kl_cost = (kl_chd - free_bits).clamp(min=0) + (kl_txt - free_bits).clamp(min=0)
    loss = (texture + chord_weight * chord + beta * kl_cost).mean()
    with torch.no_grad():
        pitch_hits = (out["pitch_logits"].argmax(-1) == tokens) & scored
        root_hits = (chord_logits[..., :12].argmax(-1) == chords[..., :12].argmax(-1)) & has_chord
        metrics = {
            "loss": float(loss.detach()),
            "texture": float(texture.mean()),
            "chord": float(chord.mean()),
            "kl_chd": float(kl_chd.mean()),
            "kl_txt": float(kl_txt.mean()),
            "token_accuracy": float(pitch_hits.sum() / scored.sum().clamp(min=1)),
            "root_accuracy": float(root_hits.sum() / has_chord.sum().clamp(min=1)),
        }
    return loss, metrics


def random_transpositions(n: int, *, low: int = -5, high: int = 6) -> Tensor:
    return torch.randint(low, high + 1, (n,))


def vis2mus_step_loss(
    model: Vis2MusVAE, batch: tuple[Tensor, ...], *, step: int
) -> tuple[Tensor, dict[str, float]]:
    """Loss of one batch (rolls, chords) for ``modeling.loop.train``; training batches are
    transposed by a random -5..+6 semitones per example."""
    from modeling.vis2mus.data import transpose_batch

    rolls, chords = batch
    if model.training:
        rolls, chords = transpose_batch(rolls, chords, random_transpositions(rolls.shape[0]))
    out = model(rolls, chords.float())
    c = model.config
    return vis2mus_loss(
        out, chords.float(), beta=c.beta, free_bits=c.free_bits, chord_weight=c.chord_weight
    )
