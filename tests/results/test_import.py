"""Importing results from a CSV file: a preview row by row, then only the valid rows, once."""
from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, PatientProfile
from app.results.csv_import import ImportFileError, read_csv
from app.results.models import TestResult
from app.triage.models import QueueItem
from tests.helpers import page
from tests.results.helpers import make_psa

URL = "/nurse/results/import"


@pytest.fixture
def numbers(app, actors):
    """NHS numbers of patient A (with a PSA test, range above 4 ng/mL) and of team B's patient."""
    with app.app_context():
        make_psa(actors.profile_a, actors.nurse_a)
        return (db.session.get(PatientProfile, actors.profile_a).nhs_number,
                db.session.get(PatientProfile, actors.profile_b).nhs_number)


def csv_of(*rows, header="nhs_number,test,value,unit,date"):
    return "\n".join([header, *rows]) + "\n"


def preview(client, text):
    return client.post_form(URL, {"action": "preview", "import-file": (io.BytesIO(text.encode()), "results.csv")},
                            content_type="multipart/form-data")


def confirm_data(response):
    html = response.get_data(as_text=True)
    form = html[html.index('name="action" value="confirm"'):]
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))
    import html as html_lib
    return {"action": "confirm", **{k: html_lib.unescape(v) for k, v in fields.items() if k != "csrf_token"}}


def stored(app):
    with app.app_context():
        return db.session.scalars(select(TestResult).order_by(TestResult.id)).all()


def test_the_preview_says_what_happens_to_each_row_and_confirm_imports_only_the_valid_ones(app, nurse, actors, numbers, today):
    mine, theirs = numbers
    taken = (today - timedelta(days=3)).isoformat()
    text = csv_of(
        f"{mine},PSA blood test,2.1,ng/mL,{taken}",
        f"{mine},psa blood test,4.4,NG/ML,{(today - timedelta(days=2)).strftime('%d/%m/%Y')}",
        f"{theirs},PSA blood test,2.1,ng/mL,{taken}",
        f"{mine},PSA blood test,2.1,ug/L,{taken}",
        f"{mine},PSA blood test,2.3,ng/mL,{(today + timedelta(days=1)).isoformat()}",
        f"{mine},PSA blood test,2.1,ng/mL,{taken}",
        f"{mine},CT scan,1,score,{taken}",
        "1234567890,PSA blood test,abc,ng/mL,31/02/2026",
    )
    response = preview(nurse, text)
    assert response.status_code == 200
    html = page(response)
    assert "2 of 8 rows can be imported" in html
    for reason in ("Unknown patient: no one in your team has this NHS number",
                   "Unit ug/L does not match ng/mL, the unit of Ann Able's safe range",
                   "Date is in the future", "Duplicate of line 2 in this file",
                   "Ann Able has no test called CT scan in their schedule",
                   "Enter a valid NHS number", "Value must be a number, like 4.1",
                   "Date must be a real date, like 2026-03-15 or 15/03/2026"):
        assert reason in html, reason
    assert not stored(app)  # a preview saves nothing

    data = confirm_data(response)
    assert nurse.post_form(URL, data).status_code == 303
    first, second = stored(app)
    assert (str(first.value), first.source, first.needs_review) == ("2.100", "import", False)
    assert second.abnormal and second.needs_review  # 4.4 is above 4: judged like a typed result
    with app.app_context():
        assert db.session.scalar(select(QueueItem).where(QueueItem.patient_id == actors.profile_a)) is not None
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "results.import"))
        assert event.detail == {"imported": 2, "refused": 6}
        assert len(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "results.record")).all()) == 2

    # The confirmation sent again imports nothing more: the rows are already recorded.
    assert nurse.post_form(URL, data).status_code == 303
    assert len(stored(app)) == 2
    assert "Already recorded" in page(preview(nurse, text))


@pytest.mark.parametrize("text, message", [
    ("", "Choose a CSV file of results"),
    ("nhs_number,test,value\n1,2,3\n", "missing: unit, date"),
    ("nhs_number,test,value,unit,date\n", "The file has no rows of results"),
    ("nhs_number,test,value,unit,date\n" + "x,y,1,u,2026-01-01\n" * 2001, "no more than 2,000 rows"),
])
def test_a_file_that_cannot_be_read_is_refused_plainly(app, nurse, numbers, text, message):
    response = preview(nurse, text) if text else nurse.post_form(URL, {"action": "preview"})
    assert response.status_code == 200
    assert message in page(response)
    assert not stored(app)


def test_a_confirmation_is_checked_again_so_nothing_unchecked_is_imported(app, nurse, actors, numbers, today):
    mine, theirs = numbers
    text = csv_of(f"{theirs},PSA blood test,2.1,ng/mL,{today.isoformat()}")
    response = nurse.post_form(URL, {"action": "confirm", "import-csv": text, "import-token": "t" * 22})
    assert response.status_code == 303
    assert not stored(app)


def test_only_nurses_with_a_team_import(app, client, actors):
    from tests.helpers import sign_in_as

    sign_in_as(client, actors.admin)
    assert client.get(URL).status_code == 404
    sign_in_as(client, actors.patient_a)
    assert client.get(URL).status_code == 404


@pytest.mark.parametrize("raw, message", [
    (b"\xff\xfe", "The file must be a CSV file saved as UTF-8"),
    (b"a" * (200 * 1024 + 1), "The file must be smaller than 200 KB"),
    ("nhs_number,test,value,unit,date\n\x00\n", "The file must be a CSV file saved as UTF-8"),
])
def test_files_refused_whole(raw, message):
    with pytest.raises(ImportFileError, match=message):
        read_csv(raw, date(2026, 1, 1))


def test_columns_in_any_order_and_a_bom_are_read():
    (row,) = read_csv("\ufeffDate,Unit,Value,Test,NHS Number\n2026-01-01,ng/mL,1.5,PSA,943 476 5919\n".encode(), date(2026, 1, 2))
    assert (row.nhs_number, row.test_name, str(row.value), row.unit, row.taken_on) == (
        "9434765919", "PSA", "1.5", "ng/mL", date(2026, 1, 1))
    assert row.ok
