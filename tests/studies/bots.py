"""A scripted participant that walks the study through the Django test client (oTree-style bot)."""

import json
import re
from dataclasses import dataclass, field

from django.test import Client

from studies.models import Participant


@dataclass
class Bot:
    client: Client
    study_slug: str
    query: str = ""
    token: str = ""
    pages: list[str] = field(default_factory=list)

    def url(self) -> str:
        return f"/p/{self.token}/"

    def open_link(self):
        return self.client.get(f"/s/{self.study_slug}/{self.query}")

    def consent(self):
        response = self.client.post(f"/s/{self.study_slug}/{self.query}", {"consent": "on"})
        assert response.status_code == 302, response.content[:500]
        self.token = response["Location"].strip("/").split("/")[-1]
        return response

    def page(self):
        response = self.client.get(self.url())
        assert response.status_code == 200
        self.pages.append(self.stage())
        return response

    def stage(self) -> str:
        return Participant.objects.get(token=self.token).stage

    def submit(self, stage: str, data: dict | None = None):
        return self.client.post(self.url(), {"stage": stage, **(data or {})})

    def trial_on(self, page_html: str) -> str:
        return re.search(r'name="trial" value="([0-9a-f-]+)"', page_html).group(1)

    def correct_choice(self, page_html: str) -> int:
        """Where the correct option is on this participant's screen (a participant who knows)."""
        from studies.models import Assignment

        assignment = Assignment.objects.select_related("trial").get(
            trial__public_id=self.trial_on(page_html), participant__token=self.token
        )
        correct = assignment.trial.options.get(is_correct=True).pk
        return assignment.option_order.index(correct)

    def worded_choice(self, page_html: str, words: str) -> int:
        """Where the worded option that says `words` is on the screen ("Yes, it fits", "No")."""
        options = re.findall(
            r'name="choice" value="(\d+)".*?<span class="option-words">([^<]*)</span>',
            page_html,
            flags=re.S,
        )
        return next(int(position) for position, said in options if said.strip() == words)

    def fetch_media(self, page_html: str) -> dict[str, bytes]:
        """Every picture and clip the page shows (prompt, options, references), by link."""
        links = re.findall(r'src="(/p/[^"]+/m/[^"]+)"', page_html)
        media = {}
        for link in links:
            response = self.client.get(link)
            assert response.status_code == 200, link
            media[link] = b"".join(response.streaming_content)
        return media

    def answer(self, page_html: str, choice: int, **extra):
        data = {
            "trial": self.trial_on(page_html),
            "choice": choice,
            "rt_ms": 900,
            "plays": 1,
            "heard_to_end": "true",
        }
        return self.submit("test", {**data, **extra})

    def board_truth(self, page_html: str) -> list[str]:
        """The true group of each item of this participant's grouping board, in screen order
        (a participant who knows)."""
        from studies.models import Assignment

        assignment = Assignment.objects.get(
            trial__public_id=self.trial_on(page_html), participant__token=self.token
        )
        identity = dict(assignment.trial.options.values_list("pk", "identity"))
        return [identity[option_id] for option_id in assignment.option_order]

    def answer_grouping(self, page_html: str, groups, **extra):
        """Send a grouping board: `groups` lists each item's group number in screen order (or
        is the placements object itself, sent as it is)."""
        placements = (
            {str(position): group for position, group in enumerate(groups)}
            if isinstance(groups, list)
            else groups
        )
        data = {
            "trial": self.trial_on(page_html),
            "placements": json.dumps(placements),
            "rt_ms": 30000,
            "plays": len(placements),
            "heard_to_end": "true",
        }
        return self.submit("test", {**data, **extra})

    def pass_headphone_check(self, *, correct: bool = True):
        from studies import headphones
        from studies.services import screening_secret

        participant = Participant.objects.get(token=self.token)
        answers = {}
        for test, trials in headphones.trials_for(secret=screening_secret(participant)).items():
            for trial in trials:
                wrong = (trial.answer + 1) % headphones.INTERVALS
                answers[f"{test}-{trial.number}"] = trial.answer if correct else wrong
        return self.submit("screening", answers)

    def read_colour_plates(self, *, correct: bool = True):
        from studies import colour_vision
        from studies.services import screening_secret

        participant = Participant.objects.get(token=self.token)
        digits = colour_vision.plate_digits(secret=screening_secret(participant))
        answers = {
            f"plate-{n}": str(digit if correct else (digit % 9) + 1)
            for n, digit in enumerate(digits)
        }
        return self.submit("colour_check", answers)

    def consent_and_answer_questionnaire(self, **demographics):
        """Open the link, consent and answer the questionnaire (defaults for what is not given)."""
        self.open_link()
        self.consent()
        answers = {"gender": "female", "age_band": "18-24", "musical_level": "amateur"}
        return self.submit("demographics", {**answers, **demographics})

    def reach_first_trial(self, **demographics) -> str:
        """Consent, answer the questionnaire, skip through to the first trial; return its page."""
        self.consent_and_answer_questionnaire(**demographics)
        if self.stage() == Participant.Stage.SCREENING:
            self.pass_headphone_check()
        self.submit("instructions")
        self.submit("preview")
        return self.page().content.decode()

    def take_whole_study(self, choose=lambda index, html: 0, *, listen: bool = False):
        """Walk every page; `choose(index, html)` picks each answer (a screen position, or a
        grouping board's group numbers in screen order); with `listen` every picture and clip
        of each trial is fetched first, as a browser would."""
        self.open_link()
        self.consent()
        self.page()
        self.submit(
            "demographics", {"gender": "female", "age_band": "25-34", "musical_level": "amateur"}
        )
        if self.stage() == Participant.Stage.SCREENING:
            self.page()
            self.pass_headphone_check()
        if self.stage() == Participant.Stage.COLOUR_CHECK:
            self.page()
            self.read_colour_plates()
        self.page()
        self.submit("instructions")
        if self.stage() == Participant.Stage.PREVIEW:
            self.page()
            self.submit("preview")
        index = 0
        while self.stage() == Participant.Stage.TEST:
            html = self.page().content.decode()
            if listen:
                self.fetch_media(html)
            choice = choose(index, html)
            if isinstance(choice, list | dict):
                self.answer_grouping(html, choice)
            else:
                self.answer(html, choice)
            index += 1
        return self.page()
