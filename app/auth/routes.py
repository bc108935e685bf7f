"""Sign-in, enrolment from an invitation, passkey management, sign-out."""
from __future__ import annotations

from flask import (
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required
from werkzeug.security import check_password_hash, generate_password_hash

from .. import errors
from ..audit import audit
from ..authz import own_credential
from ..extensions import db, limiter
from ..models import Invitation, Role, User
from ..nhs_number import InvalidNHSNumber, normalise_nhs_number
from ..push import service as push_service
from ..sessions import current_user_record, end_all_sessions, end_session, start_session, touch_session
from ..untrusted import parse_id
from . import accounts, bp, invitations, passkeys, throttle
from .forms import (
    DateOfBirthForm,
    InvitationCodeForm,
    PasskeyNameForm,
    PasswordSignInForm,
    SetPasswordForm,
)

ALREADY_USED = "That invitation has already been used. Ask your nurse for a new one"
ENROL_KEY = "enrol_invitation_id"
DOB_CONFIRMED_KEY = "enrol_dob_confirmed"
SWITCH_KEY = "enrol_switch_invitation_id"
# Keeps timing similar whether or not the NHS number exists.
_DUMMY_HASH = generate_password_hash("not-a-real-password-just-for-timing")


def sign_in_limit() -> str:
    return current_app.config["RATE_LIMIT_SIGN_IN"]


def enrol_limit() -> str:
    return current_app.config["RATE_LIMIT_ENROL"]


def home_for(user: User) -> str:
    return url_for("main.index")


def json_error(message: str, status: int = 400):
    """A passkey step's refusal in the app's one JSON error shape (app.errors.json_error)."""
    return errors.json_error(status, detail=message)


# ---------------------------------------------------------------- sign in


@bp.get("/sign-in")
def sign_in():
    # Never signs anyone out: a GET can come from a link on any site. The page's idle timer
    # posts to sign_out (reason=idle), which comes back here with ?timeout=1 for the message.
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    return render_template("auth/sign_in.html")


@bp.post("/sign-in/passkey/options")
@limiter.limit(sign_in_limit)
def sign_in_options():
    return current_app.response_class(passkeys.authentication_options(), mimetype="application/json")


@bp.post("/sign-in/passkey/verify")
@limiter.limit(sign_in_limit)
def sign_in_verify():
    try:
        user, credential = passkeys.verify_authentication(request.get_data(as_text=True))
    except passkeys.PasskeyError as exc:
        audit("signin.passkey", outcome="failure", reason=str(exc))
        db.session.commit()
        return json_error(str(exc))
    if not user.active:
        audit("signin.passkey", outcome="failure", actor=user, reason="account disabled")
        db.session.commit()
        return json_error("This account has been closed. Contact your team.", 403)
    audit("signin.passkey", actor=user, subject=f"passkey:{credential.id}")
    db.session.commit()
    start_session(user, "passkey")
    return jsonify(redirect=home_for(user))


def _known_browser_for_typed_number() -> bool:
    """The per-address rate limit must not let a stranger on the same network keep someone
    out of their own browser; that browser's guesses are still counted (throttle)."""
    try:
        nhs_number = normalise_nhs_number(request.form.get("nhs_number", ""))
    except InvalidNHSNumber:
        return False
    return throttle.is_known_browser(request, nhs_number)


@bp.route("/sign-in/password", methods=["GET", "POST"])
@limiter.limit(sign_in_limit, methods=["POST"], exempt_when=_known_browser_for_typed_number)
def sign_in_password():
    form = PasswordSignInForm()
    if not form.validate_on_submit():
        return render_template("auth/sign_in_password.html", form=form)
    nhs_number = form.nhs_number.data
    buckets = throttle.buckets_for(nhs_number, request.remote_addr,
                                   throttle.is_known_browser(request, nhs_number))
    user = accounts.user_with_nhs_number(nhs_number)
    wait = throttle.wait_before_next_attempt(buckets)
    if wait:
        # The password is not even checked: waiting is the same for every number, real or not.
        audit("signin.password", outcome="failure", actor=user, reason="delayed")
        db.session.commit()
        return _wait_before_trying_again(form, wait)
    stored = user.password_hash if user and user.password_hash else _DUMMY_HASH
    password_ok = check_password_hash(stored, form.password.data)
    if user and user.password_hash and password_ok and user.active:
        throttle.clear_account(nhs_number)
        audit("signin.password", actor=user)
        db.session.commit()
        start_session(user, "password")
        response = redirect(home_for(user))
        throttle.remember_browser(request, response, nhs_number)
        return response
    wait = throttle.record_failure(buckets)
    audit("signin.password", outcome="failure", actor=user, reason="wrong details")
    db.session.commit()
    if wait:
        return _wait_before_trying_again(form, wait)
    form.password.errors.append("The NHS number or password is not right. Check them and try again")
    return render_template("auth/sign_in_password.html", form=form)


def _wait_before_trying_again(form: PasswordSignInForm, wait):
    # One page for every reason to wait, so it says nothing about whether the number is real.
    response = current_app.make_response((
        render_template("auth/sign_in_password.html", form=form, minutes_to_wait=throttle.minutes_to_wait(wait)),
        429,
    ))
    response.headers["Retry-After"] = throttle.retry_after_seconds(wait)
    return response


@bp.post("/sign-out")
@login_required
def sign_out():
    if request.form.get("reason") == "idle":
        # The page's idle timer ran out a moment before the server's: the person did nothing
        # for the whole idle time, so end the session and say why.
        audit("signout.idle")
        db.session.commit()
        end_session()
        # Not the site's storage: the person's contacts, plan and summary stay readable offline
        # on their phone after an idle timeout (SECURITY.md); sign-out or the next person's
        # page forgets them (static/js/offline-store.js).
        return _signed_out_redirect(url_for("auth.sign_in", timeout=1), clear="\"cache\"")
    # Push: this phone stops getting the person's notifications (an idle timeout above keeps
    # them: reminders are for when the app is closed).
    removed = push_service.forget_phone_at_sign_out(
        current_user.id, request.form.get("push_endpoint"), session.get(push_service.SESSION_ENDPOINT_KEY))
    audit("signout", **({"push_devices_removed": removed} if removed else {}))
    db.session.commit()
    end_session()
    flash("You have signed out. Any answers you saved are kept.", "success")
    return _signed_out_redirect()


@bp.post("/sign-out-everywhere")
@login_required
def sign_out_everywhere():
    count = end_all_sessions(current_user)
    # Push: a lost phone must not keep getting notifications.
    removed = push_service.forget_every_phone(current_user.id)
    audit("signout.everywhere", sessions=count, **({"push_devices_removed": removed} if removed else {}))
    db.session.commit()
    end_session()
    flash("You have signed out on every device.", "success")
    return _signed_out_redirect()


def _signed_out_redirect(to: str | None = None, clear: str = '"cache", "storage"'):
    # The page's script wipes what the phone kept; this header makes sure of it even when
    # scripting is off (browsers honour it on HTTPS and localhost).
    response = redirect(to or url_for("auth.sign_in"))
    response.headers["Clear-Site-Data"] = clear
    return response


@bp.post("/session/keep-alive")
@login_required
def keep_alive():
    touch_session()
    return jsonify(idle_seconds=current_app.config["SESSION_IDLE_SECONDS"])


# ---------------------------------------------------------------- enrolment


def _enrolling_invitation() -> Invitation:
    invitation_id = session.get(ENROL_KEY)
    invitation = invitations.by_id(invitation_id)
    if invitation is None:
        abort(404)
    try:
        return invitations.ensure_usable(invitation)
    except invitations.InvitationError:
        session.pop(ENROL_KEY, None)
        abort(404)


def _needs_dob(invitation: Invitation) -> bool:
    return invitation.user.role is Role.PATIENT and session.get(DOB_CONFIRMED_KEY) != invitation.id


def _begin_enrolment(invitation: Invitation):
    if current_user.is_authenticated and current_user.id != invitation.user_id:
        # Someone else's invitation: ask before signing this person out (enrol_switch_account).
        session[SWITCH_KEY] = invitation.id
        return redirect(url_for("auth.enrol_switch_account"))
    session[ENROL_KEY] = invitation.id
    session.pop(DOB_CONFIRMED_KEY, None)
    # The log records an invitation link as its pattern, never the secret in it (app/audit.py).
    audit("invitation.opened", actor=invitation.user, subject=f"invitation:{invitation.id}")
    db.session.commit()
    if invitation.user.role is Role.PATIENT:
        return redirect(url_for("auth.enrol_date_of_birth"))
    return redirect(url_for("auth.enrol_passkey"))


@bp.get("/enrol/<token>")
@limiter.limit(enrol_limit)
def enrol_link(token: str):
    try:
        invitation = invitations.find_by_token(token)
    except invitations.InvitationError as exc:
        audit("invitation.rejected", outcome="failure", reason=str(exc))
        db.session.commit()
        return render_template("auth/invitation_problem.html", message=str(exc)), 404
    # Swap the secret link for a plain URL straight away so it leaves no trace in history.
    return _begin_enrolment(invitation)


@bp.route("/enrol", methods=["GET", "POST"])
@limiter.limit(enrol_limit, methods=["POST"])
def enrol_code():
    form = InvitationCodeForm()
    if form.validate_on_submit():
        try:
            invitation = invitations.find_by_code(form.code.data)
        except invitations.InvitationError as exc:
            audit("invitation.rejected", outcome="failure", reason=str(exc))
            db.session.commit()
            form.code.errors.append(str(exc))
        else:
            return _begin_enrolment(invitation)
    return render_template("auth/enrol_code.html", form=form)


@bp.route("/enrol/switch-account", methods=["GET", "POST"])
@login_required
def enrol_switch_account():
    invitation_id = session.get(SWITCH_KEY)
    invitation = invitations.by_id(invitation_id)
    if invitation is None:
        abort(404)
    if request.method == "GET":
        return render_template("auth/enrol_switch_account.html")
    session.pop(SWITCH_KEY, None)
    if request.form.get("choice") != "sign-out":
        return redirect(home_for(current_user))
    audit("signout", reason="opened another person's invitation")
    db.session.commit()
    end_session()
    try:
        invitation = invitations.ensure_usable(invitation)
    except invitations.InvitationError as exc:
        return render_template("auth/invitation_problem.html", message=str(exc)), 404
    response = _begin_enrolment(invitation)
    # What the phone kept for the first person must not be left for the next (see sign_out).
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response


@bp.route("/enrol/date-of-birth", methods=["GET", "POST"])
@limiter.limit(enrol_limit, methods=["POST"])
def enrol_date_of_birth():
    invitation = _enrolling_invitation()
    if invitation.user.role is not Role.PATIENT:
        return redirect(url_for("auth.enrol_passkey"))
    form = DateOfBirthForm()
    if form.validate_on_submit():
        if invitations.check_date_of_birth(invitation, form.date_of_birth.data):
            session[DOB_CONFIRMED_KEY] = invitation.id
            audit("invitation.dob_confirmed", actor=invitation.user, subject=f"invitation:{invitation.id}")
            db.session.commit()
            return redirect(url_for("auth.enrol_passkey"))
        audit("invitation.dob_failed", outcome="failure", actor=invitation.user,
              subject=f"invitation:{invitation.id}", failures=invitation.dob_failures)
        db.session.commit()
        if invitation.revoked_at is not None:
            session.pop(ENROL_KEY, None)
            return render_template(
                "auth/invitation_problem.html",
                message="That date of birth did not match too many times, so this invitation has stopped working. Ask your nurse for a new one",
            ), 403
        form.date_of_birth.errors.append(
            "That date of birth does not match our records. Check it and try again"
        )
    return render_template("auth/enrol_date_of_birth.html", form=form)


@bp.get("/enrol/passkey")
def enrol_passkey():
    invitation = _enrolling_invitation()
    if _needs_dob(invitation):
        return redirect(url_for("auth.enrol_date_of_birth"))
    return render_template("auth/enrol_passkey.html", invitation=invitation, form=PasskeyNameForm())


@bp.post("/enrol/passkey/options")
@limiter.limit(enrol_limit)
def enrol_passkey_options():
    invitation = _enrolling_invitation()
    if _needs_dob(invitation):
        abort(404)
    return current_app.response_class(
        passkeys.registration_options(invitation.user), mimetype="application/json"
    )


@bp.post("/enrol/passkey/verify")
@limiter.limit(enrol_limit)
def enrol_passkey_verify():
    invitation = _enrolling_invitation()
    if _needs_dob(invitation):
        abort(404)
    user = invitation.user
    try:
        credential = passkeys.verify_registration(
            user, request.get_data(as_text=True), request.args.get("name", "")
        )
    except passkeys.PasskeyError as exc:
        audit("passkey.add", outcome="failure", actor=user, reason=str(exc))
        db.session.commit()
        return json_error(str(exc))
    if not invitations.mark_used(invitation):
        # Another request finished this enrolment first: keep nothing from this one.
        db.session.rollback()
        return json_error(ALREADY_USED, 409)
    db.session.flush()
    audit("invitation.used", actor=user, subject=f"invitation:{invitation.id}", method="passkey")
    audit("passkey.add", actor=user, subject=f"passkey:{credential.id}")
    db.session.commit()
    start_session(user, "passkey")
    flash("Your passkey is set up. Next time, sign in with it.", "success")
    return jsonify(redirect=home_for(user))


@bp.route("/enrol/password", methods=["GET", "POST"])
@limiter.limit(enrol_limit, methods=["POST"])
def enrol_password():
    invitation = _enrolling_invitation()
    if invitation.user.role is not Role.PATIENT:
        # Staff accounts reach patient records, so they always need a passkey.
        abort(404)
    if _needs_dob(invitation):
        return redirect(url_for("auth.enrol_date_of_birth"))
    form = SetPasswordForm()
    if form.validate_on_submit():
        user = invitation.user
        if not invitations.mark_used(invitation):
            db.session.rollback()
            abort(404)
        user.password_hash = generate_password_hash(form.password.data)
        # A new password from a new invitation starts with no wrong ones counted against it.
        throttle.clear_account(user.patient_profile.nhs_number)
        audit("invitation.used", actor=user, subject=f"invitation:{invitation.id}", method="password")
        db.session.commit()
        start_session(user, "password")
        flash("Your password is set. Sign in with your NHS number and this password.", "success")
        return redirect(home_for(user))
    profile = invitation.user.patient_profile
    return render_template("auth/enrol_password.html", form=form, profile=profile)


# ---------------------------------------------------------------- passkey management


@bp.get("/account/passkeys")
@login_required
def passkey_list():
    person = current_user_record()
    return render_template("auth/passkeys.html", credentials=person.credentials,
                           has_password=bool(person.password_hash))


@bp.post("/account/passkeys/options")
@login_required
def passkey_add_options():
    return current_app.response_class(
        passkeys.registration_options(current_user_record()), mimetype="application/json"
    )


@bp.post("/account/passkeys/verify")
@login_required
def passkey_add_verify():
    try:
        credential = passkeys.verify_registration(
            current_user_record(), request.get_data(as_text=True), request.args.get("name", "")
        )
    except passkeys.PasskeyError as exc:
        audit("passkey.add", outcome="failure", reason=str(exc))
        db.session.commit()
        return json_error(str(exc))
    db.session.flush()
    audit("passkey.add", subject=f"passkey:{credential.id}")
    db.session.commit()
    flash(f"Passkey ‘{credential.name}’ added.", "success")
    return jsonify(redirect=url_for("auth.passkey_list"))


@bp.route("/account/passkeys/<int:credential_id>/rename", methods=["GET", "POST"])
@login_required
def passkey_rename(credential_id: int):
    credential = own_credential(credential_id)
    form = PasskeyNameForm(obj=credential)
    if form.validate_on_submit():
        credential.name = form.name.data.strip()
        audit("passkey.rename", subject=f"passkey:{credential.id}")
        db.session.commit()
        flash("Passkey renamed.", "success")
        return redirect(url_for("auth.passkey_list"))
    return render_template("auth/passkey_rename.html", form=form, credential=credential)


@bp.route("/account/passkeys/<int:credential_id>/remove", methods=["GET", "POST"])
@login_required
def passkey_remove(credential_id: int):
    credential = own_credential(credential_id)
    person = current_user_record()
    others = [c for c in person.credentials if c.id != credential.id]
    can_remove = bool(others) or bool(person.password_hash)
    if request.method == "POST" and can_remove:
        db.session.delete(credential)
        audit("passkey.remove", subject=f"passkey:{credential_id}")
        db.session.commit()
        flash("Passkey removed. It can no longer be used to sign in.", "success")
        return redirect(url_for("auth.passkey_list"))
    return render_template("auth/passkey_remove.html", credential=credential, can_remove=can_remove)


# ---------------------------------------------------------------- demo mode only


def _demo_only() -> None:
    # Production refuses to start with DEMO_MODE on; this guards the routes as well.
    if not current_app.config.get("DEMO_MODE"):
        abort(404)


@bp.get("/demo")
def demo():
    _demo_only()
    from ..demo import demo_people

    return render_template("auth/demo.html", people=demo_people())


@bp.post("/demo/sign-in")
def demo_sign_in():
    _demo_only()
    from ..demo import demo_people

    wanted = request.form.get("user_id", type=parse_id)
    person = next((p for p in demo_people() if p.id == wanted), None)
    if person is None:
        abort(404)
    audit("signin.demo", actor=person)
    db.session.commit()
    start_session(person, "demo")
    return redirect(home_for(person))
