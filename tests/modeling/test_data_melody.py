"""2-bar melody encoding: tokens <-> MIDI <-> tokens, extraction from MIDI and music21."""

import numpy as np
import pretty_midi
import pytest
from music21 import chord, meter, note, stream, tie

from modeling.data import melody
from modeling.data.melody import (
    NO_EVENT,
    NOTE_OFF,
    NUM_CLASSES,
    STEPS,
    UnsupportedMeterError,
    canonical_melody,
    melodies_from_midi,
    melodies_from_music21,
    melody_to_midi,
    pitch_to_token,
    token_to_pitch,
    transpose_melodies,
)

C4, D4, E4, G4 = 60, 62, 64, 67


def random_melodies(count, *, seed):
    """Plausible melodies: mostly holds, some rests, pitches across the piano."""
    rng = np.random.default_rng(seed)
    kinds = rng.choice(3, size=(count, STEPS), p=[0.5, 0.1, 0.4])
    pitches = rng.integers(2, NUM_CLASSES, size=(count, STEPS))
    raw = np.where(kinds == 0, NO_EVENT, np.where(kinds == 1, NOTE_OFF, pitches))
    return [canonical_melody(row) for row in raw]


def melody_from(*notes):
    """Tokens from (step, pitch or 'off') pairs."""
    tokens = np.zeros(STEPS, dtype=np.int64)
    for step, value in notes:
        tokens[step] = NOTE_OFF if value == "off" else pitch_to_token(value)
    return tokens


def midi_with(notes, *, tempo=120.0, time_signature=None):
    pm = pretty_midi.PrettyMIDI(initial_tempo=tempo)
    if time_signature:
        pm.time_signature_changes.append(pretty_midi.TimeSignature(*time_signature, 0.0))
    instrument = pretty_midi.Instrument(program=0)
    for start, end, pitch in notes:
        instrument.notes.append(pretty_midi.Note(velocity=80, pitch=pitch, start=start, end=end))
    pm.instruments.append(instrument)
    return pm


def test_token_layout_matches_magenta_melody_one_hot():
    assert pitch_to_token(21) == 2
    assert pitch_to_token(108) == 89
    assert token_to_pitch(pitch_to_token(60)) == 60
    assert token_to_pitch(NO_EVENT) is None
    assert token_to_pitch(NOTE_OFF) is None


@pytest.mark.parametrize("tempo", [72.0, 120.0, 173.0])
def test_tokens_survive_midi_and_back(tempo):
    for tokens in random_melodies(150, seed=int(tempo)):
        pm = melody_to_midi(tokens, tempo_bpm=tempo)
        windows = melodies_from_midi(pm, min_sounding_fraction=0)
        assert windows.shape == (1, STEPS)
        np.testing.assert_array_equal(windows[0], tokens)


def test_tokens_survive_a_midi_file_on_disk(tmp_path):
    tokens = melody_from((0, C4), (4, D4), (8, "off"), (12, E4), (30, G4))
    path = tmp_path / "m.mid"
    melody_to_midi(tokens, tempo_bpm=96.0, program=73).write(str(path))
    loaded = pretty_midi.PrettyMIDI(str(path))
    assert loaded.instruments[0].program == 73
    np.testing.assert_array_equal(melodies_from_midi(loaded, min_sounding_fraction=0)[0], tokens)


def test_melody_to_midi_places_notes_on_the_sixteenth_grid():
    tokens = melody_from((0, C4), (4, D4), (8, "off"), (16, E4))
    pm = melody_to_midi(tokens, tempo_bpm=120.0, velocity=64)
    notes = [(n.pitch, n.start, n.end, n.velocity) for n in pm.instruments[0].notes]
    # At 120 bpm a sixteenth lasts 0.125 s; the last note holds to the end of bar 2 (4 s).
    assert notes == [(C4, 0.0, 0.5, 64), (D4, 0.5, 1.0, 64), (E4, 2.0, 4.0, 64)]


def test_redundant_note_off_is_harmless_and_canonicalised():
    tokens = melody_from((0, C4), (4, "off"), (6, "off"))
    assert len(melody_to_midi(tokens).instruments[0].notes) == 1
    assert canonical_melody(tokens)[6] == NO_EVENT


@pytest.mark.parametrize(
    "bad, message",
    [
        (np.zeros(31, dtype=int), "32 tokens"),
        (np.zeros((2, 32), dtype=int), "32 tokens"),
        (np.full(32, 90), "0..89"),
        (np.full(32, -1), "0..89"),
        (np.full(32, 2.5), "integers"),
    ],
)
def test_melody_to_midi_rejects_bad_tokens(bad, message):
    with pytest.raises(ValueError, match=message):
        melody_to_midi(bad)


@pytest.mark.parametrize("pitch", [20, 109])
def test_pitches_outside_the_piano_cannot_be_encoded(pitch):
    with pytest.raises(ValueError, match="outside"):
        pitch_to_token(pitch)


def test_extraction_keeps_the_highest_note_and_quantises_to_sixteenths():
    # A C major chord under a melody; onsets and ends a little off the grid (120 bpm).
    pm = midi_with(
        [
            (0.01, 1.99, C4),
            (0.0, 2.0, E4),
            (0.0, 0.49, G4 + 5),
            (0.51, 1.0, G4 + 7),
            (2.0, 4.0, G4),
        ]
    )
    windows = melodies_from_midi(pm)
    expected = melody_from((0, G4 + 5), (4, G4 + 7), (8, "off"), (16, G4))
    np.testing.assert_array_equal(windows, expected[None, :])


def test_extraction_cuts_non_overlapping_windows_and_skips_silent_ones():
    notes = [(0.0, 4.0, C4), (4.0, 8.0, D4), (12.0, 12.25, E4), (16.0, 20.0, G4)]
    windows = melodies_from_midi(midi_with(notes))
    # 120 bpm: 2 bars = 4 s. Windows 0, 1 and 4 hold C4, D4 and G4; window 3 only a short E4.
    assert windows.shape == (3, STEPS)
    assert [token_to_pitch(w[0]) for w in windows] == [C4, D4, G4]
    assert melodies_from_midi(midi_with(notes), min_sounding_fraction=0).shape == (4, STEPS)


def test_drums_are_not_melody_and_empty_midi_is_refused():
    pm = midi_with([])
    drums = pretty_midi.Instrument(program=0, is_drum=True)
    drums.notes.append(pretty_midi.Note(velocity=100, pitch=36, start=0.0, end=1.0))
    pm.instruments.append(drums)
    with pytest.raises(ValueError, match="has no notes"):
        melodies_from_midi(pm)


def test_triple_metre_midi_is_refused():
    with pytest.raises(UnsupportedMeterError, match="3/4|bars of 3"):
        melodies_from_midi(midi_with([(0.0, 1.0, C4)], time_signature=(3, 4)))


def test_out_of_range_windows_are_dropped():
    notes = [(0.0, 4.0, 110), (4.0, 8.0, C4)]
    windows = melodies_from_midi(midi_with(notes))
    assert [token_to_pitch(w[0]) for w in windows] == [C4]


def test_transposition_drops_windows_that_leave_the_piano():
    low = melody_from((0, 22), (16, 30))
    high = melody_from((0, 100), (16, 105))
    shifted = transpose_melodies(np.stack([low, high]), semitones=-2)
    assert len(shifted) == 1
    assert token_to_pitch(shifted[0][0]) == 98
    np.testing.assert_array_equal(shifted[0] != 0, high != 0)


def score_with_pickup():
    """2/4 tune: pickup G, then C (tied over the barline) E-G chord, G D."""
    part = stream.Part()
    pickup = stream.Measure(number=0)
    pickup.append(meter.TimeSignature("2/4"))
    pickup.append(note.Note("G3", quarterLength=1))
    pickup.paddingLeft = 1.0
    part.append(pickup)
    bar1 = stream.Measure(number=1)
    tied = note.Note("C4", quarterLength=2)
    tied.tie = tie.Tie("start")
    bar1.append(tied)
    bar2 = stream.Measure(number=2)
    tail = note.Note("C4", quarterLength=1)
    tail.tie = tie.Tie("stop")
    bar2.append(tail)
    bar2.append(chord.Chord(["E4", "G4"], quarterLength=0.5))
    bar2.append(note.Rest(quarterLength=0.5))
    bar3 = stream.Measure(number=3)
    bar3.append(note.Note("G4", quarterLength=1))
    bar3.append(note.Note("D4", quarterLength=1))
    bar4 = stream.Measure(number=4)
    bar4.append(note.Note("C4", quarterLength=2))
    for bar in (bar1, bar2, bar3, bar4):
        part.append(bar)
    score = stream.Score()
    score.insert(0, part)
    return score


def test_music21_extraction_skips_pickup_merges_ties_and_takes_chord_tops():
    windows = melodies_from_music21(score_with_pickup())
    expected = melody_from((0, C4), (12, G4), (14, "off"), (16, G4), (20, D4), (24, C4))
    np.testing.assert_array_equal(windows, expected[None, :])


def test_music21_melody_part_is_the_soprano_not_the_first_listed():
    from music21 import corpus

    score = corpus.parse("bach/bwv1.6")  # lists a doubling horn before the soprano
    soprano = [p.midi for p in score.parts["Soprano"].flatten().pitches]
    windows = melodies_from_music21(score)
    pitches = {melody.token_to_pitch(t) for t in windows.ravel() if t >= 2}
    assert len(windows) > 5
    assert pitches <= set(soprano)


def test_music21_triple_metre_is_refused():
    part = stream.Part()
    bar = stream.Measure(number=1)
    bar.append(meter.TimeSignature("3/4"))
    bar.append(note.Note("C4", quarterLength=3))
    part.append(bar)
    with pytest.raises(UnsupportedMeterError):
        melodies_from_music21(part)


def test_music21_score_without_notes_is_refused():
    part = stream.Part()
    part.append(note.Rest(quarterLength=4))
    with pytest.raises(ValueError, match="has no notes"):
        melodies_from_music21(part)
