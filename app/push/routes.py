"""Notification pages: the patient's settings (kinds, quiet hours, devices) and the two JSON
endpoints static/js/push.js calls when this phone turns notifications on or off.

Permission to show notifications is never asked when a page loads: only after the person taps
"Turn on notifications" (static/js/push.js), as iOS requires and as is only fair.
"""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user

from ..audit import audit
from ..authz import patient_required, refuse, roles_required
from ..errors import json_error
from ..extensions import db
from ..models import Role
from ..timeutil import utcnow
from . import bp, service, vapid
from .forms import NotificationSettingsForm
from .kinds import KINDS

# The endpoint this browser subscribed with in this session (its hash), so signing out removes
# it even when the page's script could not say which it was.
SESSION_ENDPOINT_KEY = service.SESSION_ENDPOINT_KEY


def _settings_page(form: NotificationSettingsForm):
    me = current_user.id
    devices = service.devices_of(me)
    return render_template(
        "push/settings.html", form=form, devices=devices,
        sends=service.recent_sends(me), kinds=KINDS,
        device_names={device.id: device.device_label for device in devices},
        application_server_key=vapid.application_server_key(current_app),
    )


@bp.route("/my-care/notifications", methods=["GET", "POST"])
@patient_required
def settings():
    if request.method == "GET":
        return _settings_page(NotificationSettingsForm.showing(service.settings_for(current_user.id)))
    form = NotificationSettingsForm()
    if not form.validate():
        return _settings_page(form)
    quiet_start, quiet_end = form.quiet_hours()
    service.save_settings(current_user.id, kinds_on=form.kinds_on(), quiet_start=quiet_start, quiet_end=quiet_end)
    audit("push.settings", subject=f"user:{current_user.id}", kinds_on=sorted(form.kinds_on()),
          quiet=f"{quiet_start:%H:%M}-{quiet_end:%H:%M}")
    db.session.commit()
    flash("Your notification settings have been saved.", "success")
    return redirect(url_for("push.settings"))


@bp.post("/my-care/notifications/devices/<int:subscription_id>/remove")
@patient_required
def remove_device(subscription_id: int):
    if not service.remove_device(current_user.id, subscription_id):
        refuse("push.access_refused", subject=f"push-subscription:{subscription_id}")
    audit("push.remove_device", subject=f"push-subscription:{subscription_id}")
    db.session.commit()
    flash("That device will not get notifications any more.", "success")
    return redirect(url_for("push.settings"))


@bp.post("/my-care/notifications/subscribe")
@patient_required
def subscribe():
    """This phone's subscription from `PushManager.subscribe`. The same endpoint again is the
    same subscription, so a retry or a second tap is harmless (idempotent on the endpoint)."""
    body = request.get_json(silent=True)
    keys = body.get("keys") if isinstance(body, dict) else None
    if not isinstance(body, dict) or not isinstance(keys, dict):
        return json_error(400, "bad_request", "Send the browser's push subscription, as JSON.")
    if vapid.signer(current_app) is None:
        return json_error(409, "unavailable", "Notifications are not available on this service.")
    try:
        subscription = service.subscribe(current_user.id, endpoint=body.get("endpoint"), p256dh=keys.get("p256dh"),
                                         auth=keys.get("auth"), user_agent=request.user_agent.string, now=utcnow())
    except service.SubscriptionRefused as exc:
        db.session.rollback()
        return json_error(422, "refused", str(exc))
    session[SESSION_ENDPOINT_KEY] = subscription.endpoint_hash
    audit("push.subscribe", subject=f"push-subscription:{subscription.id}", device=subscription.device_label)
    db.session.commit()
    return {"device": subscription.device_label, "settings_url": url_for("push.settings")}, 201


@bp.post("/my-care/notifications/unsubscribe")
@patient_required
def unsubscribe():
    """This phone turned notifications off (PushSubscription.unsubscribe): forget its endpoint."""
    body = request.get_json(silent=True)
    endpoint = body.get("endpoint") if isinstance(body, dict) else None
    if not isinstance(endpoint, str) or not endpoint:
        return json_error(400, "bad_request", "Send the browser's push subscription endpoint, as JSON.")
    removed = service.unsubscribe_endpoint(current_user.id, endpoint)
    if removed:
        audit("push.unsubscribe", subject=f"user:{current_user.id}")
    session.pop(SESSION_ENDPOINT_KEY, None)
    db.session.commit()
    return {"removed": removed}


@bp.post("/notifications/this-phone")
# Anyone signed in, staff too: a nurse signing in on a phone a patient left subscribed (after an
# idle timeout) means the patient is no longer using it, so it must stop getting their
# notifications. Staff never subscribe, so for them the answer is always "not theirs".
@roles_required(Role.PATIENT, Role.NURSE, Role.ADMIN)
def this_phone():
    """Asked once per sign-in by every signed-in page (static/js/push.js) when the phone is
    subscribed: is the subscription this person's? If not, the server has just removed it and the
    page unsubscribes the phone, so nobody gets another person's notifications."""
    body = request.get_json(silent=True)
    endpoint = body.get("endpoint") if isinstance(body, dict) else None
    if not isinstance(endpoint, str) or not endpoint:
        return json_error(400, "bad_request", "Send the browser's push subscription endpoint, as JSON.")
    theirs = service.is_this_phone_theirs(current_user.id, endpoint)
    if not theirs:
        audit("push.phone_not_theirs", subject=f"user:{current_user.id}")
    db.session.commit()
    return {"theirs": theirs}
