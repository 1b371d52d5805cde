"""Media links are opaque, personal and expiring, and stable long enough to prefetch."""

import re

import pytest
from django.test import Client

from studies.models import Participant, Stimulus
from studies.signing import media_url, stimulus_id_from_signed
from tests.studies.bots import Bot

pytestmark = pytest.mark.django_db


def signed_part(url: str) -> str:
    return url.rstrip("/").split("/")[-1]


def test_a_link_opens_only_for_its_participant_and_only_for_a_while(live_study, settings):
    settings.SYNLAB_MEDIA_URL_MAX_AGE_S = 3600
    alice = Participant.objects.create(study=live_study)
    bob = Participant.objects.create(study=live_study)
    stimulus = Stimulus.objects.filter(study=live_study).first()
    url = media_url(alice, stimulus, now=1_000_000)
    assert stimulus_id_from_signed(alice, signed_part(url), now=1_000_100) == stimulus.pk
    assert stimulus_id_from_signed(bob, signed_part(url), now=1_000_100) is None
    assert stimulus_id_from_signed(alice, signed_part(url), now=1_000_000 + 2 * 3600) is None
    tampered = signed_part(url)[:-1] + ("A" if signed_part(url)[-1] != "A" else "B")
    assert stimulus_id_from_signed(alice, tampered, now=1_000_100) is None
    for junk in ("", "x" * 48, "é" * 48, signed_part(url) + "A", "!" * 48):
        assert stimulus_id_from_signed(alice, junk, now=1_000_100) is None
    for_bob = signed_part(media_url(bob, stimulus, now=1_000_000))
    assert for_bob != signed_part(url) and len(for_bob) == len(signed_part(url)) == 48


def test_one_file_at_two_places_gets_two_unrelated_links(live_study):
    alice = Participant.objects.create(study=live_study)
    stimulus = Stimulus.objects.filter(study=live_study).first()
    first = signed_part(media_url(alice, stimulus, use="t0-prompt", now=1_000_000))
    again = signed_part(media_url(alice, stimulus, use="t0-prompt", now=1_000_000))
    elsewhere = signed_part(media_url(alice, stimulus, use="t5-o2", now=1_000_000))
    assert first == again
    assert first != elsewhere
    assert first[:5] == elsewhere[:5]  # the same time stamp
    assert first[8:] != elsewhere[8:]
    for link in (first, elsewhere):
        assert stimulus_id_from_signed(alice, link, now=1_000_010) == stimulus.pk


def test_the_next_trials_media_are_prefetched_under_the_addresses_it_will_use(live_study):
    bot = Bot(client=Client(), study_slug=live_study.slug)
    first = bot.reach_first_trial(gender="female", age_band="18-24", musical_level="amateur")
    prefetched = re.findall(r'<link rel="prefetch" href="([^"]+)"', first)
    bot.answer(first, 0)
    second = bot.page().content.decode()
    used = re.findall(r'src="(/p/[^"]+/m/[^"]+)"', second)
    assert len(prefetched) == 4
    assert sorted(prefetched) == sorted(used)
