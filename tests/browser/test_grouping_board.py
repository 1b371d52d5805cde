"""A participant sorts a grouping board in headless Chromium: keys only (every move announced),
a mouse drag, a phone with touch; the page passes axe-core."""

import pytest
from django.test import Client

from studies import services
from studies.models import Response, Study
from tests.browser.test_accessibility import axe_violations
from tests.browser.test_keyboard_participant import tab_to
from tests.studies.bots import Bot
from tests.studies.grouping_fixtures import grouping_study, picture_board_study

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True}


def board_of(study: Study) -> tuple[Bot, list[int]]:
    """A participant brought to the board (consent and questionnaire done), and the true group
    number of each item in screen order (groups numbered by first appearance)."""
    bot = Bot(client=Client(), study_slug=study.slug)
    html = bot.reach_first_trial()
    truth = bot.board_truth(html)
    numbers = {label: n for n, label in enumerate(dict.fromkeys(truth), start=1)}
    return bot, [numbers[label] for label in truth]


def announced(page) -> str:
    page.wait_for_timeout(80)  # the live region is emptied, then filled (so repeats are said)
    return page.inner_text("#grouping-live")


def group_of(page, number: int) -> int:
    return page.evaluate(
        "(n) => +document.getElementById('item-' + n).closest('.grouping-place').dataset.group",
        number,
    )


def centre(page, selector: str) -> tuple[float, float]:
    box = page.locator(selector).bounding_box()
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def test_a_participant_sorts_the_clips_with_the_keyboard_only_and_hears_every_move(
    live_server, page
):
    study = grouping_study(n_groups=2, items_per_group=2, clip_seconds=4)
    services.study_publish(study=study)
    bot, truth = board_of(study)
    page.goto(f"{live_server.url}/p/{bot.token}/")
    page.wait_for_selector("text=Task 1 of 1")
    assert page.locator(".grouping-group").count() == 2
    assert axe_violations(page) == []

    tab_to(page, "#item-1")
    page.keyboard.press("Space")
    assert announced(page).startswith("Item 1 picked up, in Items to sort.")
    page.keyboard.press("ArrowRight")
    assert announced(page) == "Item 1: Group 1."
    page.keyboard.press("ArrowRight")
    assert announced(page) == "Item 1: Group 2."
    page.keyboard.press("Escape")
    assert announced(page) == "Item 1 back in Items to sort."
    assert group_of(page, 1) == 0
    assert axe_violations(page) == []

    page.keyboard.press("Enter")  # on the handle: picks the item up again
    page.keyboard.press(str(truth[0]))
    page.keyboard.press("Space")
    assert announced(page) == f"Item 1 put in Group {truth[0]}. 3 left to sort."
    tab_to(page, "#submit-answer")
    page.keyboard.press("Enter")
    assert "Not in a group yet: 2, 3, 4." in page.inner_text("#listen-status")

    for number in range(2, 5):
        tab_to(page, f"#item-{number}")
        page.keyboard.press("Space")
        page.keyboard.press(str(truth[number - 1]))
        page.keyboard.press("Space")
    assert announced(page) == f"Item 4 put in Group {truth[3]}. Every item is in a group."
    assert axe_violations(page) == []

    tab_to(page, "#submit-answer")
    page.keyboard.press("Enter")  # the clips have not been heard yet
    assert "Not heard to the end yet: 1, 2, 3, 4." in page.inner_text("#listen-status")
    for number in range(1, 5):
        tab_to(page, f"#item-{number}")
        page.keyboard.press("p")
        page.wait_for_function(
            "(n) => document.getElementById('item-' + n).closest('li').classList.contains('heard')",
            arg=number,
            timeout=15000,
        )
    tab_to(page, "#submit-answer")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Thank you!")

    (answer,) = Response.objects.filter(participant__token=bot.token)
    assert answer.score == 1.0 and answer.heard_to_end and answer.plays == 4
    assert answer.fraction_heard == 1.0 and not answer.too_fast


def test_a_participant_drags_pictures_into_groups_with_the_mouse(live_server, page):
    study = picture_board_study(n_groups=2, items_per_group=3)
    bot, truth = board_of(study)
    page.goto(f"{live_server.url}/p/{bot.token}/")
    page.wait_for_selector("text=Task 1 of 1")
    for number, group in enumerate(truth, start=1):
        x, y = centre(page, f"#item-{number}")
        page.mouse.move(x, y)
        page.mouse.down()
        to_x, to_y = centre(page, f".grouping-group[data-group='{group}'] h2")
        page.mouse.move(to_x, to_y, steps=8)
        page.mouse.up()
        assert group_of(page, number) == group
    assert announced(page).endswith("Every item is in a group.")
    page.reload()  # the board is kept until it is sent
    page.wait_for_selector("text=Task 1 of 1")
    assert [group_of(page, n) for n in range(1, 7)] == truth
    page.click("#submit-answer")
    page.wait_for_selector("text=Thank you!")
    (answer,) = Response.objects.filter(participant__token=bot.token)
    assert answer.score == 1.0
    page.reload()  # after the answer: the study's end, the answer kept
    page.wait_for_selector("text=Thank you!")
    assert Response.objects.filter(participant__token=bot.token).count() == 1


def test_on_a_phone_items_are_tapped_into_groups_or_dragged_with_a_finger(live_server, browser):
    study = picture_board_study(n_groups=2, items_per_group=3, tell_n_groups=False)
    bot, truth = board_of(study)
    context = browser.new_context(**PHONE)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/p/{bot.token}/")
        page.wait_for_selector("text=Task 1 of 1")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, "the board fits the phone's width"
        assert axe_violations(page) == []
        # Drag with a finger (touch events through the DevTools protocol).
        touch = context.new_cdp_session(page)
        for number in (1, 2, 3):
            page.locator(
                f".grouping-group[data-group='{truth[number - 1]}']"
            ).scroll_into_view_if_needed()
            x, y = centre(page, f"#item-{number}")
            to_x, to_y = centre(page, f".grouping-group[data-group='{truth[number - 1]}'] h2")
            touch.send(
                "Input.dispatchTouchEvent",
                {"type": "touchStart", "touchPoints": [{"x": x, "y": y, "id": 1}]},
            )
            for step in range(1, 9):
                point = {"x": x + (to_x - x) * step / 8, "y": y + (to_y - y) * step / 8, "id": 1}
                touch.send(
                    "Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [point]}
                )
            page.wait_for_timeout(250)  # hold still before lifting: no fling
            touch.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [point]})
            page.wait_for_timeout(100)
            touch.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
            assert group_of(page, number) == truth[number - 1]
        # Tap an item, then tap its group.
        for number in (4, 5, 6):
            page.tap(f"#item-{number}")
            page.tap(f".grouping-group[data-group='{truth[number - 1]}'] h2")
            assert group_of(page, number) == truth[number - 1]
        # Not told how many groups: a third one can be opened (and left empty).
        page.tap("#open-group")
        assert announced(page) == "Group 3 opened."
        assert page.locator(".grouping-group").count() == 3
        page.tap("#submit-answer")
        page.wait_for_selector("text=Thank you!")
    finally:
        context.close()
    (answer,) = Response.objects.filter(participant__token=bot.token)
    assert answer.score == 1.0
