"""The segment encodings on small hand-made pieces: known chords give known root/chroma/bass."""

import numpy as np
import pytest

from modeling.vis2mus.accompaniment import generated_segment
from modeling.vis2mus.data import (
    Note,
    UnsupportedScore,
    build_segment_corpus,
    chord_vector,
    label_chords,
    quality_name,
    roll_notes,
    segments_of_score,
    texture_roll,
    transpose_chords,
    transpose_rolls,
)


def hand_made_score(meter="4/4"):
    """Bar 1: C major (C3 bass, E4 G4 C5) as half notes twice; bar 2: G7 with B2 in the bass
    as a whole note."""
    from music21 import chord, stream
    from music21 import meter as m21meter

    part = stream.Part()
    part.append(m21meter.TimeSignature(meter))
    part.append(chord.Chord(["C3", "E4", "G4", "C5"], quarterLength=2))
    part.append(chord.Chord(["C3", "E4", "G4", "C5"], quarterLength=2))
    part.append(chord.Chord(["B2", "D4", "F4", "G4"], quarterLength=4))
    score = stream.Score()
    score.insert(0, part)
    return score


def pitch_classes(vector):
    return sorted(np.flatnonzero(vector[12:24]).tolist())


def test_a_known_chord_gives_its_root_chroma_and_bass():
    rolls, chords = segments_of_score(hand_made_score())
    assert rolls.shape == (1, 32, 128) and chords.shape == (1, 8, 36)
    c_major, g7 = chords[0, 0], chords[0, 4]
    assert np.flatnonzero(c_major[:12]).tolist() == [0]  # root C
    assert pitch_classes(c_major) == [0, 4, 7]
    assert np.flatnonzero(c_major[24:]).tolist() == [0]  # bass C
    assert np.flatnonzero(g7[:12]).tolist() == [7]  # root G
    assert pitch_classes(g7) == [2, 5, 7, 11]
    assert np.flatnonzero(g7[24:]).tolist() == [11]  # B in the bass: first inversion
    assert (chords[0, :4] == c_major).all() and (chords[0, 4:] == g7).all()
    assert quality_name(7, g7[12:24]) == "7"


def test_the_texture_roll_holds_each_notes_duration_at_its_onset():
    rolls, _ = segments_of_score(hand_made_score())
    notes = roll_notes(rolls[0])
    assert Note(0, 48, 8) in notes and Note(8, 72, 8) in notes and Note(16, 47, 16) in notes
    assert len(notes) == 12
    assert rolls[0, 1:8].sum() == 0  # nothing starts between the onsets


def test_scores_in_other_meters_are_refused():
    with pytest.raises(UnsupportedScore, match="4/4"):
        segments_of_score(hand_made_score("3/4"))


def test_long_notes_are_cut_to_32_steps_and_notes_outside_the_segment_dropped():
    roll = texture_roll([Note(0, 60, 40), Note(31, 61, 1), Note(32, 62, 4)])
    assert roll[0, 60] == 32 and roll[31, 61] == 1 and roll.sum() == 33


def test_transposition_moves_notes_and_rotates_chords():
    roll = texture_roll([Note(0, 60, 4), Note(4, 125, 4)])
    up = transpose_rolls(roll, 3)
    assert up[0, 63] == 4 and up[4].sum() == 0  # 128 is beyond the top: dropped
    g_major = chord_vector(root=7, pitch_classes=[7, 11, 2], bass=11)
    a_flat = transpose_chords(g_major, 1)
    assert np.flatnonzero(a_flat[:12]).tolist() == [8]
    assert pitch_classes(a_flat) == [0, 3, 8] and np.flatnonzero(a_flat[24:]).tolist() == [0]


def test_generated_accompaniments_carry_their_exact_chords():
    roll, chords = generated_segment(
        "ii-V-I-vi", pattern="alberti", register="low", per_bar=2, dense=False, key=0
    )
    roots = chords[:, :12].argmax(-1).tolist()
    assert roots == [2, 2, 7, 7, 0, 0, 9, 9]  # Dm7 G7 Cmaj7 Am7, two beats each
    assert quality_name(7, chords[2, 12:24]) == "7"
    assert np.flatnonzero(chords[0, 24:]).tolist() == [2]  # root position: D in the bass
    read = label_chords(roll)  # the labeler used on decoded music reads the same roots
    assert read[:, :12].argmax(-1).tolist() == roots


def test_the_corpus_is_split_by_work_and_cached(tmp_path):
    cache = tmp_path / "segments.npz"
    corpus = build_segment_corpus(max_works=0, seed=3, cache_path=cache)
    train_works, val_works = set(corpus.train.works), set(corpus.val.works)
    assert train_works and val_works and not train_works & val_works
    assert len(corpus.train) == len(corpus.train.works) and corpus.train.rolls.shape[1:] == (
        32,
        128,
    )
    again = build_segment_corpus(max_works=0, seed=3, cache_path=cache)
    assert np.array_equal(again.val.rolls, corpus.val.rolls)
    assert again.description == corpus.description
