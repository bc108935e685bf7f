"""A patient completes their HNA on a phone, losing signal part way, and nothing is lost."""
from __future__ import annotations


import pytest

from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from app.hna.models import HNA, HNAStatus
from tests.e2e.conftest import OFFLINE_NOISE, sign_in_browser, wait_until


def save_and_continue(page) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name="Save and continue").click()


def wait_for_offline_copies(page, count: int) -> None:
    """The service worker keeps an offline copy of every question page (plus a marker)."""
    try:
        page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=30000)
    except Exception:
        state = page.evaluate("""async () => { const r = await navigator.serviceWorker.getRegistration();
            return r ? {active: r.active && r.active.state, installing: r.installing && r.installing.state, waiting: r.waiting && r.waiting.state} : 'none' }""")
        raise AssertionError(f"no service worker controls the page: {state}") from None
    wait_until(
        page,
        # The cache is named by the asset build's version (service-worker/service-worker.js).
        """async () => { const name = (await caches.keys()).find(key => key.startsWith('mycc-hna-'))
            return name ? (await (await caches.open(name)).keys()).length : 0 }""",
        lambda kept: kept >= count + 1, timeout=30, what=f"for {count + 1} offline copies",
    )


def at_the_distress_question(open_page, live_server, actors):
    """A phone signed in as patient A, the HNA started and its first question answered."""
    tab = open_page("phone")
    sign_in_browser(tab, live_server, actors.patient_a)
    tab.goto("/hna")
    tab.page.get_by_role("button", name="Start now").click()
    tab.page.get_by_label("At the end of treatment").check()
    save_and_continue(tab.page)
    return tab


@pytest.mark.hazard("HAZ-008")
def test_hna_completed_on_a_phone_offline_part_way_arrives_once_with_every_answer(app, live_server, open_page, actors):
    tab = open_page("phone", service_worker=True)
    page = tab.page
    sign_in_browser(tab, live_server, actors.patient_a)

    tab.goto("/hna")
    tab.axe("HNA start page")
    page.get_by_role("button", name="Start now").click()

    page.get_by_label("At the end of treatment").check()
    tab.axe("where are you in your treatment")
    save_and_continue(page)

    page.get_by_label("6", exact=True).check()
    tab.axe("distress question")
    save_and_continue(page)

    page.get_by_role("checkbox", name="Pain", exact=True).check()
    page.locator("input[name='score-pain']").fill("8")
    tab.axe("physical concerns with a score revealed")
    save_and_continue(page)
    assert "emotional" in page.url

    total = page.evaluate("JSON.parse(document.querySelector('[data-journey]').dataset.journey).length")
    wait_for_offline_copies(page, total)

    # Signal lost from here on.
    tab.allow_console(OFFLINE_NOISE)
    tab.context.set_offline(True)

    page.get_by_role("checkbox", name="Worry, fear or anxiety").check()
    page.locator("input[name='score-worry_fear_anxiety']").fill("9")
    save_and_continue(page)
    assert "practical" in page.url
    expect(page.locator("[data-sync-status]")).to_contain_text("Saved on this phone")

    for _ in ("practical", "family", "spiritual", "lifestyle"):
        page.get_by_label("None of these").check()
        save_and_continue(page)

    # Reloading without signal still shows the question, from the phone.
    page.reload()
    expect(page.locator("legend")).to_contain_text("talk about")
    page.get_by_role("checkbox", name="Pain", exact=True).check()
    page.get_by_role("checkbox", name="Worry, fear or anxiety").check()
    save_and_continue(page)

    page.get_by_label("Is there anything else").fill("Money worries since I stopped work")
    save_and_continue(page)
    while "/hna/questions/matters-" in page.url:
        page.locator("textarea[name=text]").fill("Walking my dog every day")
        save_and_continue(page)
    expect(page.locator("h1")).to_contain_text("offline")

    with app.app_context():
        draft = db.session.scalar(select(HNA))
        assert draft.status is HNAStatus.DRAFT
        assert "practical" not in (draft.answers.get("domains_none") or [])  # still on the phone

    # Signal back: the saved answers are sent once, and the check page shows them all.
    tab.context.set_offline(False)
    # The check page sends what waited on the phone, then shows it.
    page.goto(live_server.url + "/hna/check", wait_until="commit")
    main = page.locator("main")
    expect(main).to_contain_text("Money worries since I stopped work", timeout=15000)
    expect(main).to_contain_text("Worry, fear or anxiety – 9 out of 10")
    expect(main).not_to_contain_text("Some questions still need an answer")
    tab.axe("check your answers")
    page.get_by_role("button", name="Send my assessment").click()
    page.wait_for_load_state("load")
    assert "Assessment sent" in page.locator("main").inner_text()
    tab.axe("assessment sent")

    with app.app_context():
        hnas = db.session.scalars(select(HNA)).all()
        assert len(hnas) == 1
        hna = hnas[0]
        assert hna.status is HNAStatus.SUBMITTED
        assert hna.pathway_point.value == "end_of_treatment"
        assert hna.answers["distress"] == 6
        assert hna.answers["concerns"] == {"pain": 8, "worry_fear_anxiety": 9}
        assert set(hna.answers["domains_none"]) == {"practical", "family", "spiritual", "lifestyle"}
        assert hna.answers["top_concerns"] == ["pain", "worry_fear_anxiety"]
        assert hna.answers["anything_else"] == "Money worries since I stopped work"
        assert all(text == "Walking my dog every day" for text in hna.answers["what_matters"].values())
        assert len(hna.answers["what_matters"]) == 4


def test_hna_error_states_and_nurse_view_are_accessible(app, live_server, open_page, actors):
    tab = open_page("phone")
    page = tab.page
    sign_in_browser(tab, live_server, actors.patient_a)
    tab.goto("/hna")
    with page.expect_navigation():
        page.get_by_role("button", name="Start now").click()
    tab.goto("/hna/questions/domain-physical")
    # The script's save is refused (422, logged by the browser), then the page is posted so
    # the server can show its error summary with the answers kept.
    tab.allow_console(r"status of 422")
    page.get_by_role("checkbox", name="Pain", exact=True).check()
    with page.expect_navigation():
        page.get_by_role("button", name="Save and continue").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("for ‘Pain’")
    tab.axe("physical concerns, score missing")
    tab.goto("/hna/check")
    tab.axe("check answers with questions missing")

    nurse = open_page("desktop")
    sign_in_browser(nurse, live_server, actors.nurse_a)
    nurse.goto("/nurse/hnas")
    nurse.axe("team's needs assessments, empty")


@pytest.mark.hazard("HAZ-008")
def test_a_busy_answer_is_sent_again_after_retry_after_not_dropped(app, live_server, open_page, actors):
    tab = at_the_distress_question(open_page, live_server, actors)
    page = tab.page

    # The first send meets another save of the same draft still being written.
    sends = []

    def first_busy(route):
        sends.append(route.request.post_data_json["step"])
        if len(sends) == 1:
            route.fulfill(status=409, headers={"Retry-After": "1", "Content-Type": "application/json"},
                          body='{"error": "busy", "detail": "Trying again.", "retry_after": 1}')
        else:
            route.continue_()

    page.route("**/api/hna/answers", first_busy)
    tab.allow_console(r"status of 409")
    page.get_by_label("6", exact=True).check()
    save_and_continue(page)
    assert "domain-physical" in page.url
    assert sends == ["distress", "distress"]
    with app.app_context():
        assert db.session.scalar(select(HNA)).answers["distress"] == 6


@pytest.mark.hazard("HAZ-008")
def test_an_answer_kept_before_the_hna_used_the_one_outbox_is_still_sent(app, live_server, open_page, actors):
    """A phone updated with an answer still waiting, kept in the shape hna.js used before it sent
    through form-outbox.js (the answers in `data`, no endpoint named): sent once, not lost."""
    tab = at_the_distress_question(open_page, live_server, actors)
    page = tab.page
    page.evaluate("""async () => {
        const store = await import('/static/js/offline-store.js')
        await store.put({ id: 'legacy-key-0001', scope: 'hna', step: 'distress', url: '/hna/questions/distress',
                          data: { distress: '7' }, savedAt: Date.now() })
    }""")
    tab.goto("/hna/check")
    expect(page.locator("main")).to_contain_text("7 out of 10", timeout=15000)
    with app.app_context():
        assert db.session.scalar(select(HNA)).answers["distress"] == 7
