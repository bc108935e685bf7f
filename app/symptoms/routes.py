"""The symptoms area's pages and JSON."""
from __future__ import annotations

from flask import jsonify

from ..authz import current_patient, patient_required
from ..main.urgent_line import urgent_line_of
from . import bp
from . import rules


@bp.get("/my-care/symptom-rules")
@patient_required
def offline_rules():
    """The symptom rules for the signed-in person's pathway, to keep on the phone so that an
    emergency logged with no connection shows its instruction at once, with the number to call
    (their own 24-hour line, null where the team has none: then 999 and 111). Sent with no-store,
    like every dynamic response; ``version`` says when the copy kept on the phone is stale."""
    profile = current_patient()
    return jsonify({**rules.offline_rules(profile.tumour_pathway), "urgent_line": urgent_line_of(profile)})
