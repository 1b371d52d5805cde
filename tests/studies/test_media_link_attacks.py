"""An attacker who reads every media link a participant's browser gets does no better than chance.

The participants below take a study while every media link they receive is collected: the trial
pages, the script's answer replies (their next trial and its prefetch list) and the preview page,
which shows which image goes with which clip. The attacks read numbers out of the links (base-36
parts, or base64url bytes as words) and pick, in every trial, the option whose link is closest to
the prompt's (numerically, by XOR, by shared prefix), whose difference or XOR to the prompt
recurs across the participant's trials, or fits the known preview pairs (their difference, their
XOR, or a mask recovered by brute force). Each attack's accuracy must be what guessing gives:
a one-sided binomial test against 1 / options, Bonferroni-corrected over all attacks.
"""

import base64
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

import numpy as np
import pytest
from django.test import Client
from scipy.stats import binomtest

from studies import generation, services
from studies.demo import demo_set_zip
from studies.models import Assignment, GenerationJob, Participant, Study, TrialOption
from tests.studies.bots import Bot
from tests.studies.conftest import as_upload

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

MEDIA = r"/p/[^\"/]+/m/[^\"]+"
FAMILY_ALPHA = 0.01
MASK_BITS = 16  # ids below 65,536: the mask bits that matter, tried exhaustively


@dataclass
class SeenTrial:
    prompt: str
    options: list[str]  # in screen order
    prompt_is_image: bool
    correct: int  # screen position of the right option (looked up afterwards)


@dataclass
class Seen:
    """Everything one participant's browser received."""

    shown: list[SeenTrial] = field(default_factory=list)  # trial pages and answer replies
    prefetched: list[SeenTrial] = field(default_factory=list)  # from the prefetch lists
    pairs: list[tuple[str, str]] = field(default_factory=list)  # preview (image, clip)
    links: set[str] = field(default_factory=set)


def signed(url: str) -> str:
    return url.rsplit("/", 1)[-1]


def correct_position(token: str, trial: str) -> int:
    assignment = Assignment.objects.get(participant__token=token, trial__public_id=trial)
    right = TrialOption.objects.get(trial=assignment.trial, is_correct=True).pk
    return assignment.option_order.index(right)


def screen_from_html(html: str, token: str) -> SeenTrial:
    trial = re.search(r'name="trial" value="([0-9a-f-]+)"', html).group(1)
    prompt_part, options_part = html.split('<fieldset class="options"', 1)
    prompt = re.findall(f'src="({MEDIA})"', prompt_part)[-1]
    options = re.findall(f'src="({MEDIA})"', options_part)
    return SeenTrial(
        prompt=signed(prompt),
        options=[signed(url) for url in options],
        prompt_is_image=f'<img class="prompt-image" src="{prompt}"' in prompt_part,
        correct=correct_position(token, trial),
    )


def screen_from_reply(screen: dict, token: str) -> SeenTrial:
    return SeenTrial(
        prompt=signed(screen["prompt"]["url"]),
        options=[signed(option["url"]) for option in screen["options"]],
        prompt_is_image=screen["prompt"]["kind"] == "image",
        correct=correct_position(token, screen["trial"]),
    )


def links_in_reply(screen: dict) -> list[str]:
    listed = [screen["prompt"]["url"], *(o["url"] for o in screen["options"]), *screen["prefetch"]]
    in_markup = re.findall(f'(?:src|href)="({MEDIA})"', screen["html"])
    assert set(in_markup) <= set(listed)
    return listed


def prefetched_trial(prefetch: list[str], shown_next: SeenTrial) -> SeenTrial:
    """The prefetch list names the next trial's prompt, then its options in screen order."""
    return SeenTrial(
        prompt=signed(prefetch[0]),
        options=[signed(url) for url in prefetch[1:]],
        prompt_is_image=shown_next.prompt_is_image,
        correct=shown_next.correct,
    )


def take_study_collecting_links(study: Study) -> Seen:
    """Walk the study; answer by the script's JSON path and by the page form, alternately."""
    seen = Seen()
    bot = Bot(client=Client(), study_slug=study.slug)
    bot.consent_and_answer_questionnaire()
    bot.submit("instructions")
    preview = bot.page().content.decode()
    seen.links.update(re.findall(f'(?:src|href)="({MEDIA})"', preview))
    pattern = f'<img src="({MEDIA})"[^>]*>\\s*<audio [^>]*src="({MEDIA})"'
    seen.pairs = [(signed(image), signed(clip)) for image, clip in re.findall(pattern, preview)]
    bot.submit("preview")
    html = bot.page().content.decode()
    seen.links.update(re.findall(f'(?:src|href)="({MEDIA})"', html))
    current = screen_from_html(html, bot.token)
    prefetch = re.findall(f'<link rel="prefetch" href="({MEDIA})"', html)
    number = 0
    while True:
        seen.shown.append(current)
        trial = re.search(r'name="trial" value="([0-9a-f-]+)"', html).group(1)
        if number % 2 == 0:
            reply = bot.client.post(f"/p/{bot.token}/answer", {"trial": trial, "choice": 0})
            body = reply.json()
            if body["next"] is None:
                break
            html = body["next"]["html"]
            seen.links.update(links_in_reply(body["next"]))
            upcoming = screen_from_reply(body["next"], bot.token)
            assert screen_from_html(html, bot.token) == upcoming
            next_prefetch = body["next"]["prefetch"]
        else:
            bot.answer(html, 0)
            if bot.stage() == Participant.Stage.DONE:
                break
            html = bot.page().content.decode()
            seen.links.update(re.findall(f'(?:src|href)="({MEDIA})"', html))
            upcoming = screen_from_html(html, bot.token)
            next_prefetch = re.findall(f'<link rel="prefetch" href="({MEDIA})"', html)
        seen.prefetched.append(prefetched_trial(prefetch, upcoming))
        current, prefetch, number = upcoming, next_prefetch, number + 1
    assert len(seen.shown) == Participant.objects.get(token=bot.token).trial_count
    return seen


# ----------------------------------------------------------------------------- reading links
@cache
def link_numbers(link: str) -> tuple[int, ...]:
    """What can be read out of a link: its base-36 parts when it has several, otherwise its
    base64url bytes (or characters) as one number, as 4-byte words and as 8-byte words."""
    parts = link.split(".")
    if len(parts) > 1 and all(re.fullmatch("[0-9a-z]+", part) for part in parts):
        return tuple(int(part, 36) for part in parts)
    try:
        raw = base64.urlsafe_b64decode(link + "=" * (-len(link) % 4))
    except ValueError:
        raw = link.encode()
    words4 = [int.from_bytes(raw[i : i + 4], "big") for i in range(0, len(raw) - 3, 4)]
    words8 = [int.from_bytes(raw[i : i + 8], "big") for i in range(0, len(raw) - 7, 4)]
    return (int.from_bytes(raw, "big"), *words4, *words8)


def oriented(trial: SeenTrial, option: str) -> tuple[str, str]:
    """(image link, clip link) for the prompt and one option, as the preview pairs are."""
    return (trial.prompt, option) if trial.prompt_is_image else (option, trial.prompt)


def pick(scores: list) -> int:
    """The option with the lowest score (the first such, as an attacker would)."""
    return min(range(len(scores)), key=lambda position: scores[position])


Attack = Callable[[SeenTrial, Seen], int]


def closest(number: int) -> Attack:
    def attack(trial, seen):
        prompt = link_numbers(trial.prompt)[number]
        return pick([abs(link_numbers(o)[number] - prompt) for o in trial.options])

    return attack


def fewest_differing_bits(number: int) -> Attack:
    def attack(trial, seen):
        prompt = link_numbers(trial.prompt)[number]
        return pick([(link_numbers(o)[number] ^ prompt).bit_count() for o in trial.options])

    return attack


def relation(kind: str, number: int, image: str, clip: str) -> int:
    a, b = link_numbers(image)[number], link_numbers(clip)[number]
    return b - a if kind == "difference" else a ^ b


def recurring(kind: str, number: int) -> Attack:
    """The option whose difference (or XOR) to the prompt recurs most over all trials."""

    def attack(trial, seen):
        counts = Counter(
            relation(kind, number, *oriented(t, o)) for t in seen.shown for o in t.options
        )
        return pick([-counts[relation(kind, number, *oriented(trial, o))] for o in trial.options])

    return attack


def like_the_preview_pairs(kind: str, number: int) -> Attack:
    """The option whose relation to the prompt is nearest one of the known pairs'."""

    def attack(trial, seen):
        known = [relation(kind, number, image, clip) for image, clip in seen.pairs]

        def distance(value: int) -> int:
            if kind == "difference":
                return min(abs(value - k) for k in known)
            return min((value ^ k).bit_count() for k in known)

        return pick([distance(relation(kind, number, *oriented(trial, o))) for o in trial.options])

    return attack


def recovered_mask(number: int) -> Attack:
    """Try every mask for the low bits; keep the one under which the preview pairs' ids differ
    by one constant; decode the trial with it and pick the option that differs by that."""

    def attack(trial, seen):
        mask, offset = mask_from_pairs(tuple(seen.pairs), number)

        def decoded(link: str) -> int:
            return (link_numbers(link)[number] & ((1 << MASK_BITS) - 1)) ^ mask

        pairs = [oriented(trial, option) for option in trial.options]
        return pick([abs(decoded(clip) - decoded(image) - offset) for image, clip in pairs])

    return attack


@cache
def mask_from_pairs(pairs: tuple[tuple[str, str], ...], number: int) -> tuple[int, int]:
    low = (1 << MASK_BITS) - 1
    images = np.array([link_numbers(image)[number] & low for image, _ in pairs], dtype=np.int64)
    clips = np.array([link_numbers(clip)[number] & low for _, clip in pairs], dtype=np.int64)
    masks = np.arange(1 << MASK_BITS, dtype=np.int64)[:, None]
    gaps = (clips[None, :] ^ masks) - (images[None, :] ^ masks)
    agreeing = (gaps == gaps[:, :1]).sum(axis=1)
    best = int(np.argmax(agreeing))
    return best, int(gaps[best, 0])


def shared_prefix(trial, seen) -> int:
    def prefix(a: str, b: str) -> int:
        return next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), len(a))

    return pick([-prefix(trial.prompt, option) for option in trial.options])


def attacks_for(seen: Seen) -> dict[str, Attack]:
    numbers = len(link_numbers(seen.shown[0].prompt))
    attacks: dict[str, Attack] = {"longest shared prefix": shared_prefix}
    for number in range(numbers):
        attacks[f"closest value #{number}"] = closest(number)
        attacks[f"fewest differing bits #{number}"] = fewest_differing_bits(number)
        for kind in ("difference", "xor"):
            attacks[f"recurring {kind} #{number}"] = recurring(kind, number)
            attacks[f"{kind} like the preview pairs #{number}"] = like_the_preview_pairs(
                kind, number
            )
        attacks[f"mask recovered from the preview pairs #{number}"] = recovered_mask(number)
    return attacks


def attack_accuracy(participants: list[Seen]) -> dict[str, tuple[int, int]]:
    """(right, tried) per attack, over the trials shown and the trials prefetched."""
    scores: dict[str, list[int]] = {}
    for seen in participants:
        for name, attack in attacks_for(seen).items():
            for source, trials in (("shown", seen.shown), ("prefetched", seen.prefetched)):
                outcome = scores.setdefault(f"{name} ({source})", [0, 0])
                for trial in trials:
                    outcome[0] += attack(trial, seen) == trial.correct
                    outcome[1] += 1
    return {name: (right, tried) for name, (right, tried) in scores.items()}


def assert_no_better_than_chance(participants: list[Seen], n_options: int) -> None:
    links = set().union(*(seen.links for seen in participants))
    assert len({len(signed(url)) for url in links}) == 1, "every media link has one length"
    assert all(len(seen.pairs) >= 2 for seen in participants), "the preview pairs were seen"
    results = attack_accuracy(participants)
    threshold = FAMILY_ALPHA / len(results)
    beaten = {
        name: f"{right}/{tried}"
        for name, (right, tried) in results.items()
        if binomtest(right, tried, 1 / n_options, alternative="greater").pvalue < threshold
    }
    assert beaten == {}, f"attacks that beat chance ({1 / n_options:.2f}): {beaten}"
    tried = next(iter(results.values()))[1]
    assert tried >= 40, "enough trials to see a leak"


def test_the_uploaded_demo_sets_links_give_nothing_away():
    study = services.study_create(
        name="demo",
        kind="uploaded_set",
        design_params={"n_options": 3, "n_preview_per_class": 4, "n_test_trials": 20},
        seed=2024,
        raters_per_trial=11,
        upload=as_upload(demo_set_zip()),
    )
    generation.generation_job_run(job_id=generation.study_generate(study=study).pk)
    study = services.study_publish(study=Study.objects.get(pk=study.pk))
    participants = [take_study_collecting_links(study) for _ in range(4)]
    assert_no_better_than_chance(participants, n_options=3)


def test_a_synvae_studys_links_give_nothing_away():
    study = services.study_create(
        name="SynVAE",
        kind="synvae_matching",
        seed=3,
        design_params={"n_test_trials": 12, "n_preview_per_class": 2, "candidates_per_class": 4},
    )
    job = generation.study_generate(study=study)
    generation.generation_job_prepare(job_id=job.pk)
    assert generation.generation_job_run(job_id=job.pk).status == GenerationJob.Status.SUCCEEDED
    study = services.study_publish(study=Study.objects.get(pk=study.pk))
    participants = [take_study_collecting_links(study) for _ in range(4)]
    assert_no_better_than_chance(participants, n_options=3)
