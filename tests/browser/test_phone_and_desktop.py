"""A trial on a phone (390x844, touch only) and on a desktop (1280x800, keyboard), for every
trial type (issue 15 items 8 and 10).

On the phone the whole trial fits one screen: every option and Confirm in view without
scrolling, targets of 44 px and more, the question inside its box, no key hints. On the desktop
the layout stays as it was, and the key hints appear once a key is pressed. Every trial arrives
with the neutral instruction; the reprimand comes only after an answer that was too early.
axe-core finds nothing at either size."""

import pytest

from tests.browser.test_accessibility import axe_violations
from tests.browser.test_keyboard_participant import tab_to
from tests.browser.test_trial_screen import reach_first_trial
from tests.browser.test_vis2mus_trial import built_study
from tests.studies.conftest import create_built_study

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
TOUCH_TARGET_PX = 44
KEY_HINTS = ("(P)", "(R)", "(Enter)", "number keys")
STATUS = "document.getElementById('listen-status').textContent.trim()"

STUDIES = {
    "audio prompt, 3 pictures": lambda: create_built_study(),
    "picture prompt, 3 clips": lambda: create_built_study(
        design_params={"trial_type": "image_to_audio", "n_options": 3, "n_preview_per_class": 1}
    ),
    "transformation, 2 clips and a pair": lambda: built_study("vis2mus_brightness", n_anchors=1),
    "style, 4 pieces and 4 pairs": lambda: built_study(
        "vis2mus_style", n_sets=1, style_iterations=1
    ),
}

LAYOUT = """() => {
  const box = (node) => {  // on the page, not the viewport: a focused radio may scroll it
    const r = node.getBoundingClientRect();
    return {left: r.left + scrollX, top: r.top + scrollY, right: r.right + scrollX,
            bottom: r.bottom + scrollY};
  };
  const fieldset = document.querySelector("fieldset.options");
  const style = getComputedStyle(fieldset);
  const outer = box(fieldset);
  const question = document.createRange();
  question.selectNodeContents(fieldset.querySelector("legend"));
  return {
    scrolled: window.scrollY,
    viewport: {left: 0, top: 0, right: innerWidth, bottom: innerHeight},
    pageWidth: document.documentElement.scrollWidth,
    confirm: box(document.getElementById("submit-answer")),
    options: [...fieldset.querySelectorAll(".option")].map((option) => ({
      tile: box(option),
      label: box(option.querySelector("label")),
      radio: box(option.querySelector("input[type=radio]")),
    })),
    buttons: [...document.querySelectorAll("#trial-form button")].map(box),
    images: [...fieldset.querySelectorAll(".option img")].map(box),
    insideBorder: {
      left: outer.left + parseFloat(style.borderLeftWidth),
      top: outer.top + parseFloat(style.borderTopWidth),
      right: outer.right - parseFloat(style.borderRightWidth),
      bottom: outer.bottom - parseFloat(style.borderBottomWidth),
    },
    question: box(question),
  };
}"""


def inside(inner: dict, outer: dict) -> bool:
    return (
        inner["left"] >= outer["left"] - 0.5
        and inner["top"] >= outer["top"] - 0.5
        and inner["right"] <= outer["right"] + 0.5
        and inner["bottom"] <= outer["bottom"] + 0.5
    )


def size(box: dict) -> tuple[float, float]:
    return box["right"] - box["left"], box["bottom"] - box["top"]


@pytest.fixture
def open_first_trial(live_server, browser):
    """A new browser at a given size, through consent and the pages before, at trial 1."""
    contexts = []

    def open_(study, device: dict):
        context = browser.new_context(**device)
        contexts.append(context)
        page = context.new_page()
        reach_first_trial(page, f"{live_server.url}/s/{study.slug}/")
        page.wait_for_selector("text=Task 1 of")
        page.wait_for_load_state("load")
        return page

    yield open_
    for context in contexts:
        context.close()


def assert_fits_one_phone_screen(page) -> None:
    layout = page.evaluate(LAYOUT)
    screen = layout["viewport"]
    assert layout["scrolled"] == 0
    assert layout["pageWidth"] <= screen["right"], "nothing runs off the side"
    assert inside(layout["confirm"], screen), ("Confirm is below the screen", layout["confirm"])
    for number, option in enumerate(layout["options"], start=1):
        assert inside(option["tile"], screen), (f"option {number} is off the screen", option)
        assert min(size(option["label"])) >= TOUCH_TARGET_PX, (f"option {number} is small", option)
        assert inside(option["radio"], option["label"]), "the radio button is part of the tile"
    for button in layout["buttons"]:
        assert min(size(button)) >= TOUCH_TARGET_PX, ("a button is too small to tap", button)
    assert inside(layout["question"], layout["insideBorder"]), "the question crosses its box"


def visible_key_hints(page) -> list[str]:
    text = page.inner_text("#trial-form")
    return [hint for hint in KEY_HINTS if hint in text]


def status(page) -> str:
    return page.evaluate(STATUS)


def wait_until_heard(page) -> None:
    page.wait_for_function(f"() => {STATUS}.includes('finished')", timeout=20_000)


@pytest.mark.parametrize("kind", STUDIES)
def test_a_trial_fits_one_phone_screen_and_keeps_its_desktop_layout(open_first_trial, kind):
    study = STUDIES[kind]()
    every_clip = kind != "audio prompt, 3 pictures"

    phone = open_first_trial(study, PHONE)
    assert_fits_one_phone_screen(phone)
    assert visible_key_hints(phone) == [], "no key hints on a touch screen"
    assert status(phone) == (
        "Play every clip to the end, then choose."
        if every_clip
        else "Play the clip to the end, then choose."
    )
    assert axe_violations(phone) == []

    desktop = open_first_trial(study, DESKTOP)
    assert visible_key_hints(desktop) == [], "a mouse user has not used the keyboard"
    before = desktop.evaluate(LAYOUT)
    desktop.keyboard.press("1")
    desktop.keyboard.press("Enter")  # too early: nothing has been heard
    assert status(desktop) == (
        "Please play every clip to the end first."
        if every_clip
        else "Please play the clip to the end first."
    )
    assert "(Enter)" in desktop.inner_text("#submit-answer")
    assert desktop.locator(".key-hint").first.is_visible()
    layout = desktop.evaluate(LAYOUT)
    tops = {round(option["tile"]["top"]) for option in layout["options"]}
    assert len(tops) == 1, "the options stand side by side in one row"
    assert all(round(size(image)[0]) == 192 for image in layout["images"]), "12rem pictures"
    assert [o["tile"] for o in layout["options"]] == [o["tile"] for o in before["options"]]
    assert axe_violations(desktop) == []


def test_touch_trials_arrive_with_the_instruction_and_show_no_keys(open_first_trial):
    study = create_built_study()
    page = open_first_trial(study, PHONE)
    for number in (1, 2, 3):
        page.wait_for_selector(f"text=Task {number} of 9")
        assert status(page) == "Play the clip to the end, then choose.", f"trial {number}"
        assert page.is_disabled("#submit-answer")
        assert_fits_one_phone_screen(page)
        page.tap("button.play")
        wait_until_heard(page)
        assert status(page) == "Clip finished. Choose an option, then press Confirm."
        page.tap(f"label[for=choice-{number}]")
        assert page.is_checked(f"#choice-{number}")
        assert visible_key_hints(page) == []
        page.tap("#submit-answer")
    page.wait_for_selector("text=Task 4 of 9")
    assert status(page) == "Play the clip to the end, then choose."


def test_keyboard_trials_arrive_with_the_instruction_and_early_answers_are_reprimanded(
    open_first_trial,
):
    study = create_built_study()
    page = open_first_trial(study, DESKTOP)
    for number in (1, 2, 3):
        page.wait_for_selector(f"text=Task {number} of 9")
        assert status(page) == "Play the clip to the end, then choose.", f"trial {number}"
        page.keyboard.press("Enter")  # too early
        assert status(page) == "Please play the clip to the end first."
        assert page.inner_text("button.play") == "Play clip (P)"
        page.keyboard.press("p")
        wait_until_heard(page)
        assert status(page) == (
            "Clip finished. Choose an option with the number keys, then press Enter."
        )
        page.keyboard.press("Enter")  # nothing chosen yet
        assert status(page) == "Please choose an option first (number keys)."
        page.keyboard.press(str(number))
        page.keyboard.press("Enter")
    page.wait_for_selector("text=Task 4 of 9")
    assert status(page) == "Play the clip to the end, then choose."
    page.reload()
    page.wait_for_selector("text=Task 4 of 9")
    assert page.inner_text("#submit-answer") == "Confirm (Enter)", "remembered in this tab"


def test_on_a_shorter_phone_screen_confirm_stays_in_view_while_the_page_scrolls(
    open_first_trial,
):
    """390x844 holds the style trial whole; a phone whose browser bars leave 375x548 cannot, so
    the status line and Confirm stay at the bottom of the screen, and a control reached with the
    Tab key is never hidden behind them."""
    study = STUDIES["style, 4 pieces and 4 pairs"]()
    short = {**PHONE, "viewport": {"width": 375, "height": 548}}
    page = open_first_trial(study, short)
    assert page.evaluate("document.documentElement.scrollHeight") > 548, "it must scroll here"
    layout = page.evaluate(LAYOUT)
    assert inside(layout["confirm"], layout["viewport"]), "Confirm is on the first screen"
    page.focus("#trial-heading")
    tab_to(page, "button[data-audio=option-audio-4]")  # each Tab scrolls the page a little
    shown = page.evaluate(
        """() => {
          const last = document.querySelector("button[data-audio=option-audio-4]");
          const bar = document.querySelector(".trial-actions");
          return {last: last.getBoundingClientRect().bottom,
                  bar: bar.getBoundingClientRect().top,
                  confirm: document.getElementById("submit-answer").getBoundingClientRect().bottom,
                  screen: innerHeight};
        }"""
    )
    assert shown["last"] <= shown["bar"], shown
    assert shown["confirm"] <= shown["screen"], shown
