"""The offline page on a shared phone: always 999 and 111, the signed-in person's own team line,
and never the previous person's."""
from __future__ import annotations


import pytest
from playwright.sync_api import expect

from app.extensions import db
from app.models import Team
from tests.e2e.conftest import OFFLINE_NOISE, send_a_severe_high_temperature_started_today, sign_in_browser, wait_until

A_LINE = "020 7946 0999"

KEPT_LINES = """() => new Promise(resolve => {
  const req = indexedDB.open('mycc-offline')
  req.onsuccess = () => {
    const db = req.result
    if (!db.objectStoreNames.contains('person')) { db.close(); return resolve(0) }
    const count = db.transaction('person').objectStore('person').count('urgent-line')
    count.onsuccess = () => { db.close(); resolve(count.result) }
  }
  req.onerror = () => resolve(-1)
})"""


def wait_until_offline_ready(page) -> None:
    """The service worker controls the page and this person's line is kept on the phone."""
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=30000)
    wait_until(page, KEPT_LINES, lambda kept: kept == 1, what="for the person's line to be kept")


def offline_page(tab, live_server):
    tab.context.set_offline(True)
    tab.goto("/my-care")
    page = tab.page
    expect(page.locator("h1")).to_have_text("You're offline")
    main = page.locator("main")
    expect(main.locator('a[href="tel:999"]')).to_have_count(1)
    expect(main.locator('a[href="tel:111"]').first).to_be_visible()
    return main


@pytest.mark.hazard("HAZ-002")
@pytest.mark.hazard("HAZ-003")
def test_the_offline_page_gives_the_persons_own_team_line_and_never_the_previous_persons(app, live_server, open_page, actors):
    with app.app_context():
        team_a = db.session.get(Team, actors.team_a)
        team_a.out_of_hours_name, team_a.out_of_hours_phone = "Acute oncology 24-hour line", A_LINE
        db.session.commit()
    tab = open_page("phone", service_worker=True)
    tab.allow_console(OFFLINE_NOISE)
    page = tab.page

    sign_in_browser(tab, live_server, actors.patient_a)
    tab.goto("/my-care")
    wait_until_offline_ready(page)
    main = offline_page(tab, live_server)
    line = main.locator("[data-urgent-line]")
    expect(line).to_contain_text(f"Acute oncology 24-hour line: call {A_LINE}, at any time of day or night")
    expect(line.locator('a[href="tel:02079460999"]')).to_have_text(A_LINE)
    tab.axe("offline page with the person's own line")

    # Signing out forgets it at once: the phone is handed on.
    tab.context.set_offline(False)
    tab.goto("/my-care")
    with page.expect_navigation():
        page.locator("form[data-sign-out]").first.evaluate("form => form.requestSubmit()")
    # Signing out also clears the site's storage and service worker (Clear-Site-Data); the next
    # page registers it again.
    tab.goto("/")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=30000)
    main = offline_page(tab, live_server)
    expect(main).not_to_contain_text(A_LINE)
    expect(main.locator("[data-urgent-line]")).to_contain_text("or 111 if you do not have it")

    # The next person, whose team has no 24-hour line, is told to call 111.
    tab.context.set_offline(False)
    sign_in_browser(tab, live_server, actors.patient_b)
    tab.goto("/my-care")
    wait_until_offline_ready(page)
    main = offline_page(tab, live_server)
    expect(main).not_to_contain_text(A_LINE)
    expect(main.locator('a[href="tel:02079460999"]')).to_have_count(0)
    expect(main.locator("[data-urgent-line]")).to_contain_text("or 111 if you do not have it")


# Numbers as a team may have typed them, and hostile text: each made into a link (or plain text)
# by tel_link on the server, then put into a page by the phone's scripts through the offline
# record's allow-list (static/js/offline-record.js rebuilt).
NUMBERS_AS_TYPED = ["020 7946 0999", "+44 (20) 7946-0999", "+44 20 7946.0123", "02079460999", "111",
                    "020 7946 0999 ext 12", "020 7946 0999 or 0161 496 0000", "not a phone", "",
                    '020 7946 0999" onclick="alert(1)', "<script>alert(1)</script>", "javascript:alert(1)",
                    "+44 20 7946 0999 +1"]
# Links no server made: none of them may dial or run anything on the phone.
LINKS_NO_SERVER_MADE = ['<a href="javascript:alert(1)">020 7946 0999</a>', '<a href="tel:020 7946">x</a>',
                        '<a href="tel:0207;javascript:alert(1)">x</a>', '<a href="tel:+44+20">x</a>',
                        '<a href=" tel:02079460999">x</a>']
# A handler in a link is left out, whatever its href.
A_HANDLER = '<a href="tel:02079460999" onclick="alert(1)">x</a>'


@pytest.mark.hazard("HAZ-011")
def test_the_phone_puts_in_the_link_the_server_made_and_dials_the_same_digits(open_page):
    """The line the phone shows with no signal dials what tel_link (the one Python rule) dials:
    every link it makes comes through the allow-list unchanged, what it shows as plain text stays
    text, and a link no server made loses its href and any handler."""
    from app.forms import dial_digits, tel_link

    tab = open_page("phone")
    # Parsing A_HANDLER into the inert document, Chromium reports the page's CSP refusing it.
    tab.allow_console("inline event handler|script-src-attr blocked inline")
    tab.goto("/offline")
    made = [str(tel_link(number)) for number in NUMBERS_AS_TYPED]
    shown = tab.page.evaluate("""async made => {
        const { rebuilt } = await import('/static/js/offline-record.js')
        return made.map(html => {
            const box = document.createElement('div')
            box.append(rebuilt(html))
            return { text: box.textContent, hrefs: [...box.querySelectorAll('a')].map(a => a.getAttribute('href')),
                     handlers: box.querySelectorAll('[onclick], script').length }
        })
    }""", [*made, *LINKS_NO_SERVER_MADE, A_HANDLER])
    for number, link in zip(NUMBERS_AS_TYPED, shown[:len(NUMBERS_AS_TYPED)], strict=True):
        dial = dial_digits(number)
        assert link == {"text": number, "hrefs": [f"tel:{dial}"] if dial else [], "handlers": 0}, number
    assert [link["hrefs"] for link in shown[len(NUMBERS_AS_TYPED):-1]] == [[None]] * len(LINKS_NO_SERVER_MADE)
    assert shown[-1] == {"text": "x", "hrefs": ["tel:02079460999"], "handlers": 0}
    assert all(link["handlers"] == 0 for link in shown)
    assert sum(bool(dial_digits(number)) for number in NUMBERS_AS_TYPED) >= 4  # the table has links to check


# What the phone keeps, read back through offline-store.js (sealed in IndexedDB): whether the
# urgent line and the symptom rules' copy of it are in the shape with the server's link.
KEPT_WITH_LINK = """async () => {
    const store = await import('/static/js/offline-store.js')
    const line = await store.keptUrgentLine()
    const rules = await store.keptSymptomRules()
    return [!!(line && line.link), !!(rules && rules.urgent_line && rules.urgent_line.link)]
}"""
# As scripts a generation older kept them (before lines came with their link): {name, phone, dial}.
KEEP_THE_OLD_SHAPE = """async line => {
    const store = await import('/static/js/offline-store.js')
    await store.keepUrgentLine(line)
    await store.keepSymptomRules({ ...(await store.keptSymptomRules()), urgent_line: line })
}"""


@pytest.mark.hazard("HAZ-002")
@pytest.mark.hazard("HAZ-016")
def test_a_line_kept_before_lines_came_with_their_link_is_still_given_offline_and_renewed_online(
        app, live_server, open_page, actors):
    """A phone that kept its line with scripts a generation older has no link for it: offline,
    the offline page and the symptom instruction still give the team's line (its name and
    number as plain text, never 111 in its place), and the phone keeps it anew, with its link,
    as soon as it is back online."""
    from app.models import PatientProfile

    with app.app_context():
        team = db.session.get(PatientProfile, actors.profile_a).team
        team.out_of_hours_name, team.out_of_hours_phone = "Acute oncology line", A_LINE
        db.session.commit()
    old_shape = {"name": "Acute oncology line", "phone": A_LINE, "dial": "02079460999"}
    tab = open_page("phone", service_worker=True)
    tab.allow_console(OFFLINE_NOISE)
    page = tab.page
    sign_in_browser(tab, live_server, actors.patient_a)
    tab.goto("/my-care/symptoms/new")
    wait_until_offline_ready(page)
    wait_until(page, KEPT_WITH_LINK, lambda kept: kept == [True, True], what="for the line and the rules to be kept")

    # Back online on a page of theirs, the phone asks for both again at once.
    tab.context.set_offline(True)
    page.evaluate(KEEP_THE_OLD_SHAPE, old_shape)
    assert page.evaluate(KEPT_WITH_LINK) == [False, False]
    tab.context.set_offline(False)
    wait_until(page, KEPT_WITH_LINK, lambda kept: kept == [True, True], what="for the line to be kept anew online")

    # Offline with the old shape kept: an emergency's instruction gives 999 and the team's line.
    tab.context.set_offline(True)
    page.evaluate(KEEP_THE_OLD_SHAPE, old_shape)
    send_a_severe_high_temperature_started_today(page)
    instruction = page.locator("[data-symptom-offline]")
    instruction.get_by_text("Call now: this could be an emergency").wait_for()
    expect(instruction.locator("li")).to_have_text(["Emergency services: 999", f"Acute oncology line: {A_LINE}"])
    expect(instruction.locator('a[href="tel:999"]')).to_have_count(1)
    expect(instruction.locator("a")).to_have_count(1)  # no link made on the phone (HAZ-011)

    # And the offline page gives it too, not the advice for a phone that keeps no line.
    main = offline_page(tab, live_server)
    line = main.locator("[data-urgent-line]")
    expect(line).to_have_text(f"Acute oncology line: call {A_LINE}, at any time of day or night")
    expect(line.locator("a")).to_have_count(0)
