"""Using a trained ACP-Net as the studies will: score a picture with a clip, rank pictures for
a clip, read the emotion probes; inference never loads training code."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from modeling.affect.score import AffectScorer

ROOT = Path(__file__).resolve().parents[3]

pytestmark = pytest.mark.slow  # needs the session's generated set and a tiny ACP-Net


def test_a_clip_ranks_the_pictures_of_its_own_class_first(tiny_acpnet, affect_set):
    scorer = AffectScorer.from_checkpoint(tiny_acpnet["checkpoint"])
    pictures, clips, labels = affect_set.pairs_of("test")
    hits = []
    for clip, label in zip(clips, labels, strict=True):
        ranked = scorer.rank_images(clip, list(pictures))
        assert sorted(i for i, _ in ranked) == list(range(len(pictures)))
        scores = [p for _, p in ranked]
        assert scores == sorted(scores, reverse=True) and 0.0 <= scores[-1] <= scores[0] <= 1.0
        top = [i for i, _ in ranked[: int((labels == label).sum())]]
        hits.append(np.mean(labels[top] == label))
    # the tiny run of seed 0 gives 0.80 here and passed 0.85 elsewhere; chance is 1 in 3
    assert np.mean(hits) >= 0.7


def test_a_pair_scores_as_a_probability_from_files_or_arrays(tiny_acpnet, affect_set, tmp_path):
    scorer = AffectScorer.from_checkpoint(tiny_acpnet["checkpoint"])
    pictures, clips, labels = affect_set.pairs_of("test")
    path = tmp_path / "picture.png"
    Image.fromarray(pictures[0]).resize((200, 120)).save(path)
    same = scorer.score_pair(path, clips[0])
    other = scorer.score_pair(pictures[0], clips[int(np.flatnonzero(labels != labels[0])[0])])
    assert 0.0 <= other < 0.5 < same <= 1.0
    assert scorer.score_pairs(list(pictures[:3]), list(clips[:3])).shape == (3,)


def test_the_probes_name_the_emotion_of_a_picture_and_of_a_clip(tiny_acpnet, affect_set):
    scorer = AffectScorer.from_checkpoint(tiny_acpnet["checkpoint"])
    pictures, clips, labels = affect_set.pairs_of("test")
    for read in (scorer.image_emotions(list(pictures)), scorer.clip_emotions(list(clips))):
        assert set(read[0]) == {"positive", "neutral", "negative"}
        assert abs(sum(read[0].values()) - 1.0) < 1e-5
        best = [affect_set.classes.index(max(r, key=r.get)) for r in read]
        assert np.mean(np.array(best) == labels) >= 0.8


def test_scoring_never_imports_training_code(tiny_acpnet, affect_set, tmp_path):
    pictures, clips, _ = affect_set.pairs_of("test")
    np.save(tmp_path / "clip.npy", clips[0])
    Image.fromarray(pictures[0]).save(tmp_path / "picture.png")
    script = f"""
import sys, numpy as np
from modeling.affect.score import AffectScorer
scorer = AffectScorer.from_checkpoint({str(tiny_acpnet["checkpoint"])!r})
scorer.score_pair({str(tmp_path / "picture.png")!r}, np.load({str(tmp_path / "clip.npy")!r}))
training = ("modeling.loop", "modeling.affect.train", "modeling.affect.probes")
print([m for m in training if m in sys.modules])
"""
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"
