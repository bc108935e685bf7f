"""Reading a results file (CSV) row by row: plain functions, no Flask, no database.

Columns (a header row, in any order, names as below, any case): `nhs_number`, `test`, `value`,
`unit`, `date` (the date the sample was taken: 2026-03-15 or 15/03/2026). Each row is read on its
own and refused with a reason a person can act on; `service.check_import` then looks the rows up
(the person, their test, the unit of their safe range, results already stored)."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from ..nhs_number import InvalidNHSNumber, normalise_nhs_number
from .rules import UNIT_MAX, parse_value

COLUMNS = ("nhs_number", "test", "value", "unit", "date")
MAX_ROWS = 2000
MAX_BYTES = 200 * 1024


class ImportFileError(ValueError):
    """The file as a whole cannot be read (the message says why)."""


@dataclass
class ImportRow:
    line: int  # the row's line in the file, as a spreadsheet numbers it (the header is line 1)
    nhs_number: str
    test_name: str
    value_text: str
    unit: str
    date_text: str
    problems: list[str] = field(default_factory=list)
    value: Decimal | None = None
    taken_on: date | None = None
    # Filled by service.check_import for rows that pass.
    profile: object | None = None
    test: object | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def parse_date(text: str) -> date:
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError("Date must be a real date, like 2026-03-15 or 15/03/2026")


def read_csv(raw: bytes | str, today: date) -> list[ImportRow]:
    """The file's rows, each with the problems found in the row itself."""
    if isinstance(raw, bytes):
        if len(raw) > MAX_BYTES:
            raise ImportFileError("The file must be smaller than 200 KB")
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ImportFileError("The file must be a CSV file saved as UTF-8") from None
    if "\x00" in raw:
        raise ImportFileError("The file must be a CSV file saved as UTF-8")
    reader = csv.reader(io.StringIO(raw))
    try:
        header = next(reader, None)
        if header is None:
            raise ImportFileError("The file is empty")
        names = [name.strip().lower().replace(" ", "_") for name in header]
        missing = [column for column in COLUMNS if column not in names]
        if missing:
            raise ImportFileError(f"The first row must name the columns {', '.join(COLUMNS)}; missing: {', '.join(missing)}")
        where = {column: names.index(column) for column in COLUMNS}
        rows = []
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            if len(rows) == MAX_ROWS:
                raise ImportFileError(f"The file must have no more than {MAX_ROWS:,} rows")
            cells = cells + [""] * (len(names) - len(cells))
            rows.append(_read_row(reader.line_num, {c: cells[i].strip() for c, i in where.items()}, today))
    except csv.Error as exc:
        raise ImportFileError(f"The file could not be read as CSV: {exc}") from None
    if not rows:
        raise ImportFileError("The file has no rows of results")
    return rows


def _read_row(line: int, cells: dict[str, str], today: date) -> ImportRow:
    row = ImportRow(line=line, nhs_number=cells["nhs_number"][:20], test_name=cells["test"][:120],
                    value_text=cells["value"][:40], unit=cells["unit"][:40], date_text=cells["date"][:40])
    try:
        row.nhs_number = normalise_nhs_number(row.nhs_number)
    except InvalidNHSNumber as exc:
        row.problems.append(str(exc).replace("Enter an NHS number", "NHS number is missing").replace(
            ". Check it on a letter from your GP or hospital", ""))
    if not row.test_name:
        row.problems.append("Test is missing")
    try:
        row.value = parse_value(row.value_text, "Value")
    except ValueError as exc:
        row.problems.append(str(exc))
    if not row.unit:
        row.problems.append("Unit is missing")
    elif len(row.unit) > UNIT_MAX:
        row.problems.append(f"Unit must be {UNIT_MAX} characters or fewer")
    try:
        row.taken_on = parse_date(row.date_text)
    except ValueError as exc:
        row.problems.append(str(exc))
    else:
        if row.taken_on > today:
            row.problems.append("Date is in the future")
        elif row.taken_on.year < 1900:
            row.problems.append("Date must be a real date, like 2026-03-15 or 15/03/2026")
    return row
