"""Template behaviour that every page relies on."""
from __future__ import annotations


def test_a_variable_the_view_did_not_pass_counts_as_none(app):
    # The design system needs ChainableUndefined; without this test override, a forgotten
    # `conflict` was "not none" and every edit page warned of a colleague's change.
    template = app.jinja_env.from_string("{{ 'shown' if conflict is not none else 'hidden' }}")
    assert template.render() == "hidden"
    assert template.render(conflict=None) == "hidden"
    assert template.render(conflict={"by": "Sam"}) == "shown"
    assert app.jinja_env.from_string("{{ 0 is none }}").render() == "False"


# ---------------------------------------------------------------- what templates may do


def _record_queries_made_inside_template_helpers(app, monkeypatch) -> list[str]:
    """Every template global, filter and context processor of ours is watched: a database query
    made while one runs is recorded by the helper's name."""
    from functools import wraps

    from sqlalchemy import event

    from app.extensions import db

    running: list[str] = []
    found: list[str] = []

    def watched(name, function):
        @wraps(function)
        def wrapper(*args, **kwargs):
            running.append(name)
            try:
                return function(*args, **kwargs)
            finally:
                running.pop()
        return wrapper

    def ours(function) -> bool:
        return callable(function) and (getattr(function, "__module__", "") or "").startswith("app")

    for table in (app.jinja_env.globals, app.jinja_env.filters):
        for name, function in list(table.items()):
            if ours(function):
                monkeypatch.setitem(table, name, watched(name, function))
    for key, processors in list(app.template_context_processors.items()):
        monkeypatch.setitem(app.template_context_processors, key,
                            [watched(p.__name__, p) if ours(p) else p for p in processors])

    def on_query(conn, cursor, statement, *rest):
        if running:
            found.append(f"{running[-1]}: {statement.split()[0]} {statement[:80]}")

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", on_query)
    # A template's module keeps the globals it was made with: start and end with none made, so
    # the watched wrappers never outlive this test in a cached module (the app is reused).
    app.jinja_env.cache.clear()

    def undo(original=monkeypatch.undo):
        event.remove(engine, "before_cursor_execute", on_query)
        original()
        app.jinja_env.cache.clear()

    monkeypatch.undo = undo
    return found


def test_template_helpers_run_no_queries_views_pass_what_pages_show(app, actors, new_client, monkeypatch):
    from datetime import date

    from app.extensions import db
    from app.followup.models import EndOfTreatmentSummary, FollowUpPlan, FollowUpType, SurveillanceTest
    from app.models import PatientProfile
    from app.triage.queue import ItemKind
    from tests.helpers import sign_in_as
    from tests.triage.helpers import care_plan, item

    with app.app_context():
        item(actors.profile_a, ItemKind.RED_FLAG, reason="Possible urgent symptom")
        care_plan(actors.profile_a, date(2027, 1, 1))
        profile = db.session.get(PatientProfile, actors.profile_a)
        db.session.add_all([
            FollowUpPlan(patient_id=profile.id, follow_up_type=FollowUpType.SUPPORTED_SELF_MANAGEMENT,
                         open_access_until=date(2030, 3, 14), updated_by_id=actors.nurse_a),
            SurveillanceTest(patient_id=profile.id, name="Mammogram", interval_months=12, next_due=date(2031, 1, 9)),
            EndOfTreatmentSummary(patient_id=profile.id, team_id=profile.team_id, version=1, is_current=True,
                                  created_by_id=actors.nurse_a, diagnosis="Breast cancer", treatments=[]),
        ])
        db.session.commit()
    found = _record_queries_made_inside_template_helpers(app, monkeypatch)

    nurse, patient, admin = new_client(), new_client(), new_client()
    sign_in_as(nurse, actors.nurse_a)
    sign_in_as(patient, actors.patient_a)
    sign_in_as(admin, actors.admin)
    pages = {
        nurse: ["/nurse/queue", f"/nurse/patients/{actors.profile_a}", f"/nurse/patients/{actors.profile_a}/follow-up"],
        patient: ["/my-care", "/my-care/plan", "/my-care/follow-up", "/my-care/treatment-summary", "/my-care/contacts"],
        admin: ["/admin/", "/admin/audit"],
    }
    for client, addresses in pages.items():
        for address in addresses:
            response = client.get(address)
            assert response.status_code == 200, address
    nurse_page = nurse.get(f"/nurse/patients/{actors.profile_a}").get_data(as_text=True)
    assert "Possible urgent symptom" in nurse_page and "Mammogram" in nurse_page and "Review date" in nurse_page
    home = patient.get("/my-care").get_data(as_text=True)
    assert "Mammogram" in home and "Your care and support plan" in home
    assert found == []


FIELD_MACROS = ("text_field", "date_field", "radio_field", "select_field", "textarea_field", "checkboxes_field")


def test_form_labels_are_written_only_in_the_form_classes(app):
    """The field macros (templates/macros/form.html) show each field's own label; a page passing
    its own words as well would let the label in the form class and the page drift apart."""
    import re
    from pathlib import Path

    templates = Path(app.root_path).parent / "templates"
    call = re.compile(r"\b(" + "|".join(FIELD_MACROS) + r")\(\s*[\w.\[\]]+\s*,(?!\s*\w+\s*=)([^)\n]{0,60})")
    passing_words = [
        f"{path.relative_to(templates)}: {match.group(0)}"
        for path in sorted(templates.rglob("*.html"))
        for match in call.finditer(path.read_text(encoding="utf-8"))
        if not match.group(0).startswith("macro")
    ]
    assert passing_words == []
    macros = (templates / "macros" / "form.html").read_text(encoding="utf-8")
    for name in FIELD_MACROS:
        assert re.search(rf"{{% macro {name}\(field, hint=None", macros), name
