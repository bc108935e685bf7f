"""Results for nurses (record a result, set a person's safe range, clear "needs review") and
for patients (their own results, with the team's comment).

Routes make no queries: records come from `service`, access from `app.authz`. Every view and
change is audited; a 4xx page keeps everything typed.
"""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..audit import audit
from ..authz import current_patient, nurse_required, patient_for_staff, patient_required, refuse, staff_required
from ..extensions import db
from ..idempotency import new_form_token
from ..sessions import carries_the_session_touch, current_user_record
from ..timeutil import london_today
from ..triage.service import team_nurses
from ..models import PatientProfile
from ..nurse import href_around
from ..pathways import PATHWAYS
from ..untrusted import id_or_none, parse_id
from ..versioning import answer_conflict, shown_version
from . import bp, service
from .chart import chart_svg
from .csv_import import COLUMNS, ImportFileError, read_csv
from .monitoring import REASON_LABELS, MonitoringFilters, monitoring_page
from .forms import ImportForm, ResultForm, RuleForm, SampleForm
from .rules import number, parse_value, same_unit

def _own_test(profile: PatientProfile, test_id):
    # A tampered id the database cannot hold names no test: refused like someone else's.
    test = service.own_test(profile, id_or_none(test_id))
    if test is None:
        refuse("results.access_refused", patient=profile, subject=f"surveillance_test:{test_id}"[:200])
    return test


def _results_url(profile: PatientProfile) -> str:
    return url_for("results.nurse_results", patient_id=profile.id)


# The person's results page draws each series (templates/results/patient_results.html).
bp.add_app_template_global(chart_svg, "results_chart_svg")


# ---------------------------------------------------------------- nurse: a person's results


@bp.route("/nurse/patients/<int:patient_id>/results", methods=["GET", "POST"])
@staff_required
def nurse_results(patient_id: int):
    profile = patient_for_staff(patient_id)
    if request.method == "POST":
        ids = [id_or_none(value) for value in request.form.getlist("result_id")]
        flagged = {result.id for result in service.flagged_results(profile)}
        for result_id in ids:
            # Only this person's flagged results: any other id is refused like someone else's.
            if result_id is None or (result_id not in flagged and not service.is_persons_result(profile, result_id)):
                refuse("results.access_refused", patient=profile, subject=f"test_result:{result_id}")
        cleared = service.clear_review(profile, [i for i in ids if i is not None], current_user)
        db.session.commit()
        if cleared:
            flash(f"Review cleared for {profile.full_name}: {len(cleared)} result{'s' if len(cleared) != 1 else ''}.", "success")
        else:
            flash("Nothing to clear: these results were already reviewed.", "info")
        # Cleared from the patient page's copy of the flag: back there, where the nurse was.
        if request.form.get("back_to") == "patient":
            return redirect(url_for("nurse.patient", patient_id=profile.id))
        return redirect(_results_url(profile))
    page = _results_page(profile, _sample_form(profile))
    # Audited and committed after rendering (the commit would expire what the page shows, and it
    # would read each again); the page goes out once the audit is stored. Audited last: its
    # INSERT would hold SQLite's write lock while the page renders.
    audit("results.view", patient=profile, commit=True)
    return page


def _sample_form(profile: PatientProfile, formdata=None) -> SampleForm:
    form = SampleForm(formdata=formdata, data=None if formdata is not None else {"token": new_form_token()}, prefix="sample")
    form.test.choices = [("", "Choose a test")] + [(str(t.id), t.name) for t in service.active_tests(profile)]
    return form


def _results_page(profile, sample_form, conflict=None):
    return render_template("results/nurse_results.html", profile=profile, panels=service.nurse_panels(profile),
                           flagged=service.flagged_results(profile), waiting=service.waiting_samples(profile),
                           sample_form=sample_form, form=sample_form if sample_form.errors else None,
                           conflict=conflict, number=number)


@bp.post("/nurse/patients/<int:patient_id>/results/sample")
@staff_required
def nurse_sample(patient_id: int):
    """Note that a sample was taken: if no result comes within 3 weeks, monitoring says so."""
    profile = patient_for_staff(patient_id)
    form = _sample_form(profile, request.form)
    test_id = (form.test.data or "").strip()
    test = _own_test(profile, test_id) if test_id else None
    if not form.validate():
        return _results_page(profile, form)
    try:
        service.record_sample(profile, test, form.taken_on.data, current_user_record(), form.token.data)
    except service.FormAlreadyUsed as exc:
        form.token.data = new_form_token()
        return _results_page(profile, form, conflict=exc.message), 409
    db.session.commit()
    flash(f"Sample for {test.name} noted. If no result is recorded within 3 weeks, the monitoring list shows it.", "success")
    return redirect(_results_url(profile))


def _result_form(profile: PatientProfile, formdata=None) -> ResultForm:
    tests = service.active_tests(profile)
    if formdata is not None:
        form = ResultForm(formdata=formdata, prefix="result")
    else:
        chosen = request.args.get("test", type=parse_id)
        data = {"add_token": new_form_token()}
        if chosen is not None:
            test = _own_test(profile, chosen)
            rule = service.rule_of(test)
            data.update(test=str(test.id), unit=rule.unit if rule else "")
        form = ResultForm(formdata=None, data=data, prefix="result")
    form.test.choices = [("", "Choose a test")] + [(str(t.id), t.name) for t in tests]
    return form


def _record_page(profile, form, conflict=None, status=200):
    page = render_template("results/nurse_record.html", profile=profile, result_form=form,
                           form=form if form.errors else None, conflict=conflict)
    return page, status


@bp.route("/nurse/patients/<int:patient_id>/results/record", methods=["GET", "POST"])
@staff_required
def nurse_record(patient_id: int):
    profile = patient_for_staff(patient_id)
    if request.method == "GET":
        form = _result_form(profile)
        page = _record_page(profile, form)
        # Audited and committed after rendering (the commit would expire what the page shows, and it
        # would read each again); the page goes out once the audit is stored. Audited last: its
        # INSERT would hold SQLite's write lock while the page renders.
        audit("results.view", patient=profile, commit=True)
        return page
    form = _result_form(profile, request.form)
    test_id = (form.test.data or "").strip()
    test = _own_test(profile, test_id) if test_id else None
    valid = form.validate()
    rule = service.rule_of(test) if test is not None else None
    if valid and rule is not None and not same_unit(form.unit.data, rule.unit):
        form.unit.errors = [f"Unit must be {rule.unit}, the unit of {profile.given_name}'s safe range for {test.name}. "
                            "Convert the result, or change the safe range first"]
        valid = False
    if not valid:
        return _record_page(profile, form)
    entry = service.ResultEntry(
        value=parse_value(form.value.data), unit=form.unit.data.strip(), taken_on=form.taken_on.data,
        resulted_on=form.resulted_on.data, comment=(form.comment.data or "").strip() or None,
    )
    try:
        result = service.record_result(profile, test, entry, current_user_record(), form.add_token.data)
    except service.FormAlreadyUsed as exc:
        form.add_token.data = new_form_token()  # recording it now is a fresh, deliberate choice
        return _record_page(profile, form, conflict=exc.message, status=409)
    db.session.commit()
    if result.abnormal:
        flash(f"{test.name} result recorded. It is outside {profile.given_name}'s safe range "
              f"({result.review_reason}): a red flag is on the team's queue and {profile.given_name} is marked "
              "as needing review.", "warning")
    elif result.needs_review:
        flash(f"{test.name} result recorded. There is no safe range set for this test, so it needs your review.", "warning")
    else:
        flash(f"{test.name} result recorded: within {profile.given_name}'s safe range.", "success")
    return redirect(_results_url(profile))


# ---------------------------------------------------------------- nurse: a person's safe range


def _rule_form(rule, formdata=None) -> RuleForm:
    if formdata is not None:
        return RuleForm(formdata=formdata, prefix="rule")
    data = {"rule_version": rule.version if rule else 0}
    if rule is not None:
        data.update(unit=rule.unit, upper_limit=_shown(rule.upper_limit), rise_amount=_shown(rule.rise_amount),
                    rise_months=str(rule.rise_months) if rule.rise_months else "")
    return RuleForm(formdata=None, data=data, prefix="rule")


def _shown(value) -> str:
    return number(value) if value is not None else ""


def _rule_page(profile, test, form, conflict=None, status=200):
    context = dict(profile=profile, test=test, rule_form=form, form=form if form.errors else None,
                   conflict=conflict, rule=service.rule_of(test))
    if conflict:
        return answer_conflict("results/nurse_rule.html", **context)
    return render_template("results/nurse_rule.html", **context), status


@bp.route("/nurse/patients/<int:patient_id>/results/tests/<int:test_id>/safe-range", methods=["GET", "POST"])
@staff_required
def nurse_rule(patient_id: int, test_id: int):
    profile = patient_for_staff(patient_id)
    test = _own_test(profile, test_id)
    if request.method == "GET":
        page = _rule_page(profile, test, _rule_form(service.rule_of(test)))
        # Audited and committed after rendering (the commit would expire what the page shows, and it
        # would read each again); the page goes out once the audit is stored. Audited last: its
        # INSERT would hold SQLite's write lock while the page renders.
        audit("results.view", patient=profile, subject=f"surveillance_test:{test.id}", commit=True)
        return page
    form = _rule_form(None, request.form)
    if not form.validate():
        return _rule_page(profile, test, form)
    entry = service.RuleEntry(
        unit=form.unit.data.strip(),
        upper_limit=parse_value(form.upper_limit.data) if (form.upper_limit.data or "").strip() else None,
        rise_amount=parse_value(form.rise_amount.data) if (form.rise_amount.data or "").strip() else None,
        rise_months=int(form.rise_months.data) if (form.rise_months.data or "").strip() else None,
    )
    try:
        service.save_rule(profile, test, entry, shown_version(form.rule_version), current_user_record())
    except service.RuleConflict as exc:
        # What she typed stays; the stored version goes into the form, so saving again is a choice.
        form.rule_version.data = exc.rule.version if exc.rule else 0
        return _rule_page(profile, test, form, conflict=exc.message)
    db.session.commit()
    flash(f"Safe range for {test.name} saved. It judges results recorded from now on.", "success")
    return redirect(_results_url(profile))


# ---------------------------------------------------------------- nurse: importing a results file


def _import_page(form, rows=None, csv_text=None):
    return render_template("results/nurse_import.html", import_form=form, form=form if form.errors else None,
                           rows=rows, csv_text=csv_text, columns=COLUMNS, number=number)


@bp.route("/nurse/results/import", methods=["GET", "POST"])
@nurse_required
def nurse_import():
    """Choose a file, see every row with what will happen to it, then confirm: only the valid
    rows are recorded, each once however often the confirmation is sent."""
    if current_user.team_id is None:
        refuse("results.access_refused", subject="results-import")
    if request.method == "GET":
        return _import_page(ImportForm(formdata=None, prefix="import"))
    form = ImportForm(prefix="import")
    form.validate()
    confirming = request.form.get("action") == "confirm"
    if confirming:
        raw = form.csv.data or ""
    else:
        upload = request.files.get(form.file.name)
        raw = upload.read() if upload is not None and upload.filename else b""
        if not raw:
            form.file.errors = ["Choose a CSV file of results"]
    if not form.errors:
        try:
            rows = read_csv(raw, london_today())
        except ImportFileError as exc:
            form.file.errors = [str(exc)]
    if form.errors:
        return _import_page(form)
    service.check_import(rows, current_user.team_id)
    if not confirming:
        form.token.data = new_form_token()
        text = raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw
        return _import_page(form, rows=rows, csv_text=text)
    try:
        recorded = service.import_rows(rows, current_user_record(), form.token.data)
    except service.FormAlreadyUsed as exc:
        db.session.rollback()
        flash(exc.message, "info")
        return redirect(url_for("results.nurse_import"))
    db.session.commit()
    refused = sum(1 for row in rows if not row.ok)
    flagged = sum(1 for result in recorded if result.needs_review)
    flash(f"{len(recorded)} result{'s' if len(recorded) != 1 else ''} imported"
          + (f", {flagged} of them needing review (on the team's queue if outside a safe range)" if flagged else "")
          + (f". {refused} row{'s' if refused != 1 else ''} not imported." if refused else "."), "success")
    return redirect(url_for("results.nurse_import"))


# ---------------------------------------------------------------- nurse: remote monitoring


@bp.get("/nurse/monitoring")
@nurse_required
@carries_the_session_touch
def monitoring():
    """The team's self-managed people who need a look: a result to review, no schedule, a test
    overdue or due soon, never enrolled in the app or not opened it for months."""
    if current_user.team_id is None:
        refuse("results.access_refused", subject="monitoring")
    pathway = request.args.get("pathway") or None
    filters = MonitoringFilters(pathway=pathway if pathway in PATHWAYS else None,
                                key_worker_id=id_or_none(request.args.get("key_worker", "")))
    after = id_or_none(request.args.get("after", ""))
    shown = monitoring_page(current_user.team_id, filters, london_today(), after=after)
    query = {"pathway": filters.pathway or "", "key_worker": filters.key_worker_id or ""}
    page = render_template(
        "results/monitoring.html", page=shown, filters=filters, reason_labels=REASON_LABELS,
        nurses=team_nurses(current_user.team_id),
        results_href=href_around("results.nurse_results", "patient_id"),
        next_url=url_for("results.monitoring", after=shown.next_after, **query) if shown.next_after else None,
        first_url=url_for("results.monitoring", **query) if after else None,
    )
    # Audited and committed after rendering: the commit would expire the signed-in nurse and the
    # team's nurses the filter lists, and the page would read each again.
    audit("results.monitoring_list", pathway=filters.pathway, key_worker=filters.key_worker_id, page_after=after,
          commit=True)
    return page


# ---------------------------------------------------------------- patient: my results


@bp.get("/my-care/results")
@patient_required
def patient_results():
    profile = current_patient()
    panels = service.patient_panels(profile)
    page = render_template("results/patient_results.html", profile=profile, panels=panels, number=number)
    # Opening the page is reading them: those it shows leave the home page's "To do now". Marked,
    # audited and committed after rendering (the commit would expire what the page shows, and it
    # would read each again); the page goes out once they are stored. Written last: a write
    # holds SQLite's write lock until the commit, and would hold it while the page renders.
    new = service.mark_results_seen(profile, panels)
    audit("results.view", patient=profile, new=new, commit=True)
    return page
