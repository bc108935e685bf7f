"""The services directory (admin-managed): local and national services that care plans refer or
signpost people to, by category, with contact details and the concern domains they help with.

No patient data here. Changes are audited; two admins editing one service at once is detected
through the service's `version` and said plainly (409), keeping what the second admin typed.
"""
from __future__ import annotations

from functools import lru_cache

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError
from wtforms import EmailField, IntegerField, RadioField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp, ValidationError

from ..audit import audit
from ..authz import admin_required, refuse
from ..directory.models import CATEGORY_LABELS, Service, ServiceCategory
from ..extensions import db
from ..forms import CsrfCheckedByTheApp, PageForm, phone_number
from ..models import Team
from ..versioning import (Switch, answer_conflict, conflict_message, is_own_retry, last_changed_by, set_active,
                          shown_version)
from ..untrusted import id_or_none, parse_id
from . import bp

# What changes a service (the audit actions), for naming who changed it last.
SERVICE_CHANGES = ("service.create", "service.update", "service.deactivate", "service.reactivate")
NATIONAL = 0
FIELDS = ("name", "category", "description", "team_id", "phone", "email", "website", "address", "hours", "domains")


@lru_cache(maxsize=1)
def hna_domains() -> tuple[tuple[str, str], ...]:
    """(id, title) of the HNA concern domains, from the newest bundled questionnaire."""
    from ..hna.questionnaire import bundled_definition_paths, load_questionnaire

    questionnaire = load_questionnaire(bundled_definition_paths()[-1])
    return tuple((domain.id, domain.title) for domain in questionnaire.domains)


def domain_titles() -> dict[str, str]:
    return dict(hna_domains())


class ServiceForm(CsrfCheckedByTheApp, PageForm):
    version = IntegerField(validators=[Optional()])
    name = StringField("Name", validators=[DataRequired("Enter the name of the service"), Length(max=200, message="Name must be 200 characters or fewer")])
    category = RadioField(
        "Category", choices=[SelectChoice(c.value, label) for c, label in CATEGORY_LABELS.items()],
        validators=[DataRequired("Choose a category")],
    )
    description = TextAreaField("What the service offers (optional)", validators=[Optional(), Length(max=2000, message="Description must be 2,000 characters or fewer")])
    team_id = SelectField("Who it is for", coerce=int, validate_choice=False)
    domains = SelectMultipleField("Concerns it helps with", validators=[DataRequired("Choose at least one kind of concern the service helps with")])
    phone = StringField("Phone number", validators=[
        Optional(), Length(max=40, message="Phone number must be 40 characters or fewer"),
        # Helplines can be short (NHS 111, Samaritans 116 123).
        phone_number("Enter a phone number, like 020 7946 0123 or 116 123", min_digits=3),
    ])
    email = EmailField("Email address (optional)", validators=[Optional(), Email("Enter an email address in the correct format, like name@nhs.net"), Length(max=254, message="Email address must be 254 characters or fewer")])
    website = StringField("Website (optional)", validators=[
        Optional(), Length(max=300, message="Website must be 300 characters or fewer"),
        Regexp(r"^https?://[^\s<>\"]+\.[^\s<>\"]+$", message="Enter a website address starting with https://, like https://www.macmillan.org.uk"),
    ])
    address = StringField("Address (optional)", validators=[Optional(), Length(max=300, message="Address must be 300 characters or fewer")])
    hours = StringField("Opening hours (optional)", validators=[Optional(), Length(max=200, message="Opening hours must be 200 characters or fewer")])

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if not any((getattr(self, name).data or "").strip() for name in ("phone", "email", "website")):
            self.phone.errors = [*self.phone.errors, "Enter at least one way to contact the service: a phone number, email address or website"]
            self._errors = None
            ok = False
        return ok

    def validate_team_id(self, field):
        team_id = id_or_none(field.data)  # None when what was sent could not be a number
        if field.data != NATIONAL and (team_id is None or db.session.get(Team, team_id) is None):
            raise ValidationError("Choose a team, or national")


def _service_form(**kwargs) -> ServiceForm:
    form = ServiceForm(**kwargs)
    form.team_id.choices = [SelectChoice(NATIONAL, "Everyone (a national service)")] + [
        SelectChoice(t.id, f"Patients of {t.name}") for t in db.session.scalars(select(Team).order_by(Team.name))
    ]
    form.domains.choices = [SelectChoice(domain_id, title) for domain_id, title in hna_domains()]
    return form


def _form_data(service: Service) -> dict:
    return {
        "version": service.version, "name": service.name, "category": service.category.value,
        "description": service.description, "team_id": service.team_id or NATIONAL, "domains": list(service.domains or []),
        "phone": service.phone, "email": service.email, "website": service.website,
        "address": service.address, "hours": service.hours,
    }


def _typed(form: ServiceForm) -> dict:
    """What the form asks to store, as stored."""
    return {
        "name": form.name.data.strip(), "category": ServiceCategory(form.category.data),
        "team_id": form.team_id.data or None, "domains": [d for d, _ in hna_domains() if d in form.domains.data],
        **{name: (getattr(form, name).data or "").strip() or None
           for name in ("description", "phone", "email", "website", "address", "hours")},
    }


def _apply(form: ServiceForm, service: Service) -> list[str]:
    """Copy the form onto the service; return the fields that changed."""
    before = {name: _value(service, name) for name in FIELDS}
    for name, value in _typed(form).items():
        setattr(service, name, value)
    return sorted(name for name in FIELDS if _value(service, name) != before[name])


def _value(service: Service, name: str):
    value = getattr(service, name)
    return value.value if isinstance(value, ServiceCategory) else value


def service_for_admin(service_id: int) -> Service:
    service = db.session.get(Service, service_id)
    if service is None:
        refuse("service.access_refused", subject=f"service:{service_id}")
    return service


@bp.get("/services")
@admin_required
def services():
    category = request.args.get("category") or ""
    team = request.args.get("team") or ""
    show_stopped = request.args.get("show") == "all"
    stmt = select(Service).order_by(Service.name, Service.id)
    if category in {c.value for c in ServiceCategory}:
        stmt = stmt.where(Service.category == ServiceCategory(category))
    else:
        category = ""
    if team == "national":
        stmt = stmt.where(Service.team_id.is_(None))
    elif id_or_none(team) is not None:
        stmt = stmt.where(Service.team_id == id_or_none(team))
    else:
        team = ""
    if not show_stopped:
        stmt = stmt.where(Service.active.is_(True))
    rows = db.session.scalars(stmt).all()
    groups = [(label, [s for s in rows if s.category is c]) for c, label in CATEGORY_LABELS.items()]
    return render_template(
        "admin/services.html", groups=[(label, items) for label, items in groups if items], count=len(rows),
        category=category, team=team, show_stopped=show_stopped, domain_titles=domain_titles(),
        teams=db.session.scalars(select(Team).order_by(Team.name)).all(), category_labels=CATEGORY_LABELS,
    )


@bp.route("/services/new", methods=["GET", "POST"])
@admin_required
def service_new():
    form = _service_form()
    if form.validate_on_submit():
        service = Service(active=True)
        fields = _apply(form, service)
        db.session.add(service)
        db.session.flush()
        # Ids and field names only in the audit log, never what was typed.
        audit("service.create", subject=f"service:{service.id}", fields=fields)
        db.session.commit()
        flash(f"‘{service.name}’ added to the directory.", "success")
        return redirect(url_for("admin.services"))
    return render_template("admin/services_form.html", form=form, service=None)


@bp.route("/services/<int:service_id>", methods=["GET", "POST"])
@admin_required
def service_edit(service_id: int):
    service = service_for_admin(service_id)
    if request.method == "GET":
        form = _service_form(formdata=None, data=_form_data(service))
        return render_template("admin/services_form.html", form=form, service=service)

    action = request.form.get("action", "save")
    if action in ("deactivate", "reactivate"):
        return _set_active(service, action == "reactivate")
    form = _service_form()
    if not form.validate():
        return render_template("admin/services_form.html", form=form, service=service)
    shown = shown_version(form.version)
    if shown != service.version:
        changed_by = last_changed_by(f"service:{service.id}", SERVICE_CHANGES)
        if is_own_retry(stored_version=service.version, shown_version=shown,
                        changed_by_id=changed_by.id if changed_by else None, by_id=current_user.id,
                        same_content=lambda: all(getattr(service, k) == v for k, v in _typed(form).items())):
            # Her own save, sent twice (a double click or a retry): it is already stored.
            flash(f"‘{service.name}’ saved.", "success")
            return redirect(url_for("admin.services"))
        return _conflict(form, service, changed_by)
    changed = _apply(form, service)
    try:
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        fresh = service_for_admin(service_id)
        return _conflict(form, fresh, last_changed_by(f"service:{fresh.id}", SERVICE_CHANGES))
    audit("service.update", subject=f"service:{service.id}", changed=changed)
    db.session.commit()
    flash(f"‘{service.name}’ saved.", "success")
    return redirect(url_for("admin.services"))


def _conflict(form: ServiceForm, service: Service, changed_by=None):
    form.version.data = service.version  # saving again is now a knowing choice
    message = conflict_message(changed_by, "this service", "What is stored now is shown on the services list. "
                               "Save again if your changes are still right.")
    return answer_conflict("admin/services_form.html", form=form, service=service, conflict=message)


def _set_active(service: Service, active: bool):
    outcome = set_active(service, active, request.form.get("version", type=parse_id), by_id=current_user.id,
                         last_changed_by_now=lambda: last_changed_by(f"service:{service.id}", SERVICE_CHANGES))
    if outcome is Switch.STALE:
        flash("Someone else changed this service a moment ago, so nothing was changed. Check it and try again.", "info")
        return redirect(url_for("admin.service_edit", service_id=service.id)), 303
    if outcome is Switch.DONE:  # not when this was the same click arriving twice
        audit("service.reactivate" if active else "service.deactivate", subject=f"service:{service.id}")
        db.session.commit()
    flash(f"‘{service.name}’ is {'back in' if active else 'no longer offered in'} the directory.", "success")
    return redirect(url_for("admin.services"))
