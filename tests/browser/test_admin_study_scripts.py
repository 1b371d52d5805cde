"""The study pages' script in Chromium: the copy button puts the full Prolific link on the
clipboard, and the add form's "Design params" reference follows the chosen kind and fills in
its defaults."""

import json

import pytest

from studies.designs import design_for
from tests.studies.conftest import create_built_study

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def researcher_page(browser, live_server, researcher):
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "researcher")
    page.fill("#id_password", "a-long-test-password")
    page.click("input[type=submit]")
    page.wait_for_selector("text=Site administration")
    yield page, errors
    context.close()


def test_the_copy_button_copies_the_full_prolific_link(researcher_page, live_server):
    page, errors = researcher_page
    study = create_built_study()
    page.goto(f"{live_server.url}/admin/studies/study/{study.pk}/change/")
    page.click("button[data-copy=prolific-link]")
    page.wait_for_function("() => document.querySelector('.copy-status').textContent !== ''")
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert copied == (
        f"{live_server.url}/s/{study.slug}/?PROLIFIC_PID={{{{%PROLIFIC_PID%}}}}"
        "&STUDY_ID={{%STUDY_ID%}}&SESSION_ID={{%SESSION_ID%}}"
    )
    assert page.inner_text(".copy-status") == f"Copied: {copied}"
    assert errors == []


def test_the_design_params_reference_follows_the_chosen_kind(researcher_page, live_server):
    page, errors = researcher_page
    page.goto(f"{live_server.url}/admin/studies/study/add/")
    visible = "() => [...document.querySelectorAll('.design-kind')].filter(s => !s.hidden)"
    kinds = f"() => ({visible})().map(s => s.dataset.kind)"
    assert page.evaluate(kinds) == ["uploaded_set"]
    page.select_option("#id_kind", "vis2mus_style")
    assert page.evaluate(kinds) == ["vis2mus_style"]
    assert page.is_visible("text=style_iterations")
    assert not page.is_visible("text=n_preview_per_class")
    page.click(".design-kind[data-kind=vis2mus_style] button.fill-defaults")
    filled = json.loads(page.input_value("#id_design_params"))
    assert filled == design_for("vis2mus_style").Params().to_dict()
    assert errors == []
