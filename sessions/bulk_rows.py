"""Reading a bulk session file (docs/product-rules.md, "Bulk upload"): its headings, its rows
as a stream, and each row's cells turned into plain values, with the problems of the file's own
formats named in plain words (Action and id, DD-MM-YYYY dates, IST/UTC, 24-hour times, whole
minutes, email addresses, comma lists). Nothing here reads the database, and no rule of a
mentoring session is here: titles, types, platforms and links, durations, seats and clashes
are the mentoring rules' (`sessions.mentoring`, `meetings.platforms`), which `bulk_plan`
calls with these values.

The file is read by `imports.reading` (CSV in UTF-8 with or without a BOM, or Windows-1251;
XLSX; blank rows, row limit), which streams and stops at the first malformed line.
"""

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask_babel import gettext as _

from foundation import schedule
from imports.reading import NO_DATA, FileProblem, cell_text, headed_rows, too_many_rows

ACTION, ID, TITLE, DESCRIPTION, TYPE, MENTOR, MENTEES = (
    "Action",
    "id",
    "title",
    "description",
    "type",
    "Mentor(Email)",
    "Mentees(Email)",
)
DATE, ZONE, TIME, DURATION = (
    "Date(DD-MM-YYYY)",
    "Time Zone(IST/UTC)",
    "Time (24 hrs)",
    "Duration(Min)",
)
RECOMMENDED_FOR, CATEGORIES, MEDIUM = "recommended_for", "categories", "medium"
PLATFORM, LINK, PASSCODE = "Meeting Platform", "Meeting Link", "Meeting Passcode (if needed)"
COLUMNS = (
    ACTION,
    ID,
    TITLE,
    DESCRIPTION,
    TYPE,
    MENTOR,
    MENTEES,
    DATE,
    ZONE,
    TIME,
    DURATION,
    RECOMMENDED_FOR,
    CATEGORIES,
    MEDIUM,
    PLATFORM,
    LINK,
    PASSCODE,
)

CREATE, EDIT, DELETE = "create", "edit", "delete"
ZONES = {"IST": "Asia/Kolkata", "UTC": "UTC"}

EMAIL = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+$")
STRICT_DATE = re.compile(r"(\d{2})-(\d{2})-(\d{4})")
CLOCK = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)(?:\s*hrs?\.?)?", re.IGNORECASE)
DIGITS = re.compile(r"[0-9]+")
SQUEEZE = re.compile(r"\s+")


# The file ----------------------------------------------------------------------------------


@dataclass
class Sheet:
    """What the first reading of a file found: its headings (file order), where each known
    column stands, the headings that are not ours, and how many data rows it has."""

    columns: list
    positions: dict
    extra_columns: list
    total: int = 0


def _cell_text(cell):
    """A cell as the text a person sees: XLSX numbers and dates as they were typed."""
    if cell is None:
        return ""
    if isinstance(cell, datetime):
        if cell.time() == time(0) and cell.year > 1900:
            return cell.strftime("%d-%m-%Y")
        return cell.strftime("%H:%M") if cell.year <= 1900 else cell.strftime("%d-%m-%Y %H:%M")
    if isinstance(cell, date):
        return cell.strftime("%d-%m-%Y")
    if isinstance(cell, time):
        return cell.strftime("%H:%M")
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, str) and cell.isascii() and cell.isprintable():
        # Most cells: no control character, line break or invisible letter to clean, so
        # `cell_text` would only strip them (a file has hundreds of thousands of cells).
        return cell.strip()
    return cell_text(cell)


def _cells(raw):
    """{column index: cell} -> a list of texts, blanks and tabs around each taken off."""
    if not raw:
        return []
    cells = list(map(raw.get, range(max(raw) + 1)))
    if set(map(type, cells)) == {str}:  # a CSV row: when all of it is plain, strip only
        joined = "".join(cells)
        if joined.isascii() and joined.isprintable():
            return [cell.strip() for cell in cells]
    return [_cell_text(cell) for cell in cells]


def headings(cells):
    columns = [cell.lstrip("\ufeff").strip() for cell in cells]
    while columns and not columns[-1]:
        columns.pop()
    seen, twice = set(), []
    for name in columns:
        if name and name in seen and name not in twice:
            twice.append(name)
        seen.add(name)
    if twice:
        raise FileProblem(
            _("These headings appear more than once: %(names)s.", names=_quoted(twice))
        )
    missing = [name for name in COLUMNS if name not in columns]
    if missing:
        if len(missing) == len(COLUMNS):
            raise FileProblem(
                _(
                    "The first row must hold the headings of the sample file (Action, id,"
                    " title, ...). Download the sample CSV and start from it."
                )
            )
        raise FileProblem(
            _(
                "Headings missing: %(names)s. Headings must be written exactly as in the"
                " sample CSV, in any order.",
                names=_quoted(missing),
            )
        )
    positions = {name: columns.index(name) for name in COLUMNS}
    extra = [name or _("(no heading)") for name in columns if name not in positions]
    return columns, positions, extra


def _quoted(names):
    return ", ".join(f'"{name}"' for name in names)


def data_rows(filename, data):
    """(headings, stream of (line, cells)) for every row below the headings that is not
    blank. FileProblem for a file that cannot be read."""
    rows = headed_rows(filename, data, _cells)
    try:
        yield headings(next(rows))
        yield from rows
    finally:
        rows.close()  # the workbook too, when reading stops early


def read_sheet(filename, data, row_limit):
    """Read the whole file once, at once: the headings and the number of data rows, or the
    one FileProblem that stops it (not a CSV, missing headings, no data rows, too many)."""
    rows = headed_rows(filename, data)  # counting needs no cell's text: only the headings'
    try:
        columns, positions, extra = headings(_cells(next(rows)))
        total = 0
        for _row in rows:
            total += 1
            if total > row_limit:
                raise too_many_rows(row_limit)
    finally:
        rows.close()
    if not total:
        raise FileProblem(str(NO_DATA))
    return Sheet(columns, positions, extra, total)


def sheet_rows(filename, data, skip=0):
    """The data rows again (after `read_sheet` accepted the file), from row `skip` on."""
    rows = data_rows(filename, data)
    next(rows)
    for number, row in enumerate(rows):
        if number >= skip:
            yield row


# A row -------------------------------------------------------------------------------------


@dataclass
class Row:
    """A row's plain values as the file gives them. `problems` holds (column, message) for
    every problem of the file's formats; `notes` says how a tolerated cell was read."""

    line: int
    cells: list
    action: str = ""
    session_id: int | None = None
    title: str = ""
    description: str = ""
    session_type: str = ""
    mentor_email: str = ""
    mentee_emails: list = field(default_factory=list)
    zone: str = ""
    start_at: datetime | None = None  # naive UTC
    end_at: datetime | None = None
    recommended_for: list = field(default_factory=list)
    categories: list = field(default_factory=list)
    medium: list = field(default_factory=list)
    platform: str = ""
    link: str = ""
    passcode: str = ""
    problems: list = field(default_factory=list)
    notes: list = field(default_factory=list)

    @property
    def is_valid(self):
        return not self.problems

    @property
    def problem_columns(self):
        return {column for column, _message in self.problems}

    def refuse(self, column, message):
        self.problems.append((column, str(message)))

    def messages(self):
        return [message for _column, message in self.problems]


def parse_row(line, cells, sheet):
    """Turn a data row into a Row; every cell is read, so every problem is named."""
    values = {name: (cells[i] if i < len(cells) else "") for name, i in sheet.positions.items()}
    row = Row(line, cells)
    if len(cells) > len(sheet.columns) and any(cells[len(sheet.columns) :]):
        row.refuse(None, _("The row has more cells than the file has headings."))
    _read_action(row, values[ACTION], values[ID])
    if row.action == DELETE or not row.action:
        return row
    row.title, row.description = values[TITLE], values[DESCRIPTION]
    row.session_type = values[TYPE]
    _read_people(row, values[MENTOR], values[MENTEES])
    _read_time(row, values)
    row.recommended_for = _list(values[RECOMMENDED_FOR])
    row.categories = _list(values[CATEGORIES])
    row.medium = _list(values[MEDIUM])
    row.platform, row.link, row.passcode = values[PLATFORM], values[LINK], values[PASSCODE]
    if row.link and not row.platform:
        row.refuse(
            LINK,
            _(
                "Meeting Link is filled in but Meeting Platform is empty: write Google Meet,"
                " WhatsApp or Zoom."
            ),
        )
    return row


def _read_action(row, action, session_id):
    word = SQUEEZE.sub("", action).casefold()
    if not word:
        row.refuse(ACTION, _("Action is empty: write Create, Edit or Delete."))
    elif word not in (CREATE, EDIT, DELETE):
        row.refuse(ACTION, _('Action "%(value)s" is not Create, Edit or Delete.', value=action))
    else:
        row.action = word
    if row.action == CREATE:
        if session_id:
            row.refuse(ID, _("Leave id empty for Create: the new session's id is written here."))
    elif row.action in (EDIT, DELETE):
        if not session_id:
            row.refuse(ID, _("%(action)s needs the id of the session.", action=action.strip()))
        elif not (DIGITS.fullmatch(session_id) and 0 < int(session_id) < 2**31):
            row.refuse(
                ID,
                _(
                    'id "%(value)s" is not a session id (a whole number, such as 1234).',
                    value=session_id,
                ),
            )
        else:
            row.session_id = int(session_id)


def _read_people(row, mentor, mentees):
    row.mentor_email = mentor.strip().lower()
    if not row.mentor_email:
        row.refuse(MENTOR, _("Mentor(Email) is empty."))
    elif not EMAIL.match(row.mentor_email):
        row.refuse(MENTOR, _('Mentor "%(value)s" is not an email address.', value=mentor))
    emails = [email.lower() for email in _list(mentees, separators=r"[,;\s]+")]
    bad = [email for email in emails if not EMAIL.match(email)]
    if bad:
        row.refuse(
            MENTEES,
            _("These mentees are not email addresses: %(emails)s.", emails=", ".join(bad)),
        )
    row.mentee_emails = [email for email in dict.fromkeys(emails) if email not in bad]


def _read_time(row, values):
    day = _read_date(row, values[DATE])
    zone_text = values[ZONE].strip().upper()
    if zone_text in ZONES:
        row.zone = ZONES[zone_text]
    else:
        row.refuse(
            ZONE, _('Time Zone must be IST or UTC (the file has "%(value)s").', value=values[ZONE])
        )
    clock = CLOCK.fullmatch(values[TIME].strip())
    if not clock:
        row.refuse(
            TIME,
            _(
                "Time must be 24-hour HH:MM, for example 17:00 or 17:00 Hrs (the file has"
                ' "%(value)s").',
                value=values[TIME],
            ),
        )
    minutes = values[DURATION].strip()
    if not DIGITS.fullmatch(minutes) or len(minutes) > 6:
        row.refuse(
            DURATION,
            _(
                "Duration must be a whole number of minutes, for example 60 (the file has"
                ' "%(value)s").',
                value=values[DURATION],
            ),
        )
    if day and row.zone and clock:
        local_start = datetime.combine(day, time(int(clock.group(1)), int(clock.group(2))))
        row.start_at = schedule.to_utc(local_start, row.zone)
        if DIGITS.fullmatch(minutes) and len(minutes) <= 6:
            row.end_at = row.start_at + timedelta(minutes=int(minutes))


def _read_date(row, text):
    text = text.strip()
    match = STRICT_DATE.fullmatch(text)
    if not match:
        row.refuse(
            DATE,
            _(
                'Date must be DD-MM-YYYY, for example 31-12-2026 (the file has "%(value)s").',
                value=text,
            ),
        )
        return None
    day, month, year = (int(part) for part in match.groups())
    try:
        found = date(year, month, day)
    except ValueError:
        row.refuse(DATE, _("Date %(value)s does not exist.", value=text))
        return None
    if not 2000 <= year <= datetime.now().year + 10:
        row.refuse(DATE, _("Date %(value)s is too far from today.", value=text))
        return None
    return found


def _list(text, separators=r"\s*,\s*"):
    items = [item.strip().strip("\"'") for item in re.split(separators, text.strip())]
    return [item for item in items if item]
