"""Reading a bulk session file: its headings and its rows, each cell read in plain words.
No database: what a row means for existing sessions is tested in test_bulk_upload.py."""

import csv
import io
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from sessions.bulk_rows import COLUMNS, FileProblem, parse_row, read_sheet, sheet_rows

SAMPLE = Path(__file__).parent / "data" / "mentored-sample.csv"  # the peer product's own
HEADER = ",".join(COLUMNS)
FUTURE = (datetime.now() + timedelta(days=30)).strftime("%d-%m-%Y")
GOOD = {
    "Action": "Create",
    "id": "",
    "title": "School Improvement",
    "description": "Ideas",
    "type": "Public",
    "Mentor(Email)": "mentor1@example.com",
    "Mentees(Email)": "mentee1@example.com, mentee2@example.com",
    "Date(DD-MM-YYYY)": FUTURE,
    "Time Zone(IST/UTC)": "IST",
    "Time (24 hrs)": "13:00 Hrs",
    "Duration(Min)": "60",
    "recommended_for": "Headmasters",
    "categories": "Infrastructure, Pedagogy",
    "medium": "English",
    "Meeting Platform": "Big Blue Button",
    "Meeting Link": "",
    "Meeting Passcode (if needed)": "",
}


def csv_bytes(rows, header=COLUMNS, newline="\r\n", bom=False, final_newline=True):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=newline)
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(name, "") for name in header] if isinstance(row, dict) else row)
    text = out.getvalue()
    if not final_newline:
        text = text.rstrip("\r\n")
    return (("\ufeff" if bom else "") + text).encode()


def parse(overrides):
    values = {**GOOD, **overrides}
    data = csv_bytes([values])
    sheet = read_sheet("s.csv", data, 100)
    [(line, cells)] = list(sheet_rows("s.csv", data))
    return parse_row(line, cells, sheet)


@pytest.fixture(autouse=True)
def _request(app):
    with app.test_request_context("/"):
        yield


def test_bulk_rows_a_good_row_reads_into_plain_values():
    row = parse({})

    assert row.problems == []
    assert row.action == "create"
    assert row.mentor_email == "mentor1@example.com"
    assert row.mentee_emails == ["mentee1@example.com", "mentee2@example.com"]
    assert row.session_type == "Public"
    assert row.zone == "Asia/Kolkata"
    assert row.start_at.strftime("%H:%M") == "07:30"  # 13:00 IST is 07:30 UTC
    assert row.end_at - row.start_at == timedelta(minutes=60)
    assert row.categories == ["Infrastructure", "Pedagogy"]
    assert row.platform == "Big Blue Button"  # read by meetings.platforms


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"Action": " create "}, {"action": "create"}),
        ({"Action": "EDIT", "id": "12"}, {"action": "edit", "session_id": 12}),
        ({"Action": "De lete", "id": "7"}, {"action": "delete", "session_id": 7}),
        ({"Time Zone(IST/UTC)": "utc", "Time (24 hrs)": "17:00"}, {"zone": "UTC"}),
        ({"Time (24 hrs)": "9:05 hrs"}, {}),
        ({"Time (24 hrs)": "23:59Hrs"}, {}),
        ({"Mentees(Email)": ""}, {"mentee_emails": []}),
        ({"Mentees(Email)": "A@x.org,a@x.org; b@x.org"}, {"mentee_emails": ["a@x.org", "b@x.org"]}),
        ({"Duration(Min)": "1440"}, {}),
        ({"Mentor(Email)": " Mentor1@Example.com "}, {"mentor_email": "mentor1@example.com"}),
    ],
)
def test_bulk_rows_tolerated_spellings_pass(overrides, expected):
    row = parse(overrides)

    assert row.problems == []
    for name, value in expected.items():
        assert getattr(row, name) == value


@pytest.mark.parametrize(
    ("overrides", "problems"),
    [
        ({"Action": ""}, ["Action is empty: write Create, Edit or Delete."]),
        ({"Action": "Update"}, ['Action "Update" is not Create, Edit or Delete.']),
        ({"id": "5"}, ["Leave id empty for Create: the new session's id is written here."]),
        ({"Action": "Edit"}, ["Edit needs the id of the session."]),
        ({"Action": "Delete"}, ["Delete needs the id of the session."]),
        (
            {"Action": "Edit", "id": "12a"},
            ['id "12a" is not a session id (a whole number, such as 1234).'],
        ),
        ({"Mentor(Email)": ""}, ["Mentor(Email) is empty."]),
        ({"Mentor(Email)": "mentor1"}, ['Mentor "mentor1" is not an email address.']),
        (
            {"Mentees(Email)": "ok@x.org, broken, also@"},
            ["These mentees are not email addresses: broken, also@."],
        ),
        (
            {"Date(DD-MM-YYYY)": "2026-02-05"},
            ['Date must be DD-MM-YYYY, for example 31-12-2026 (the file has "2026-02-05").'],
        ),
        (
            {"Date(DD-MM-YYYY)": "5-2-2026"},
            ['Date must be DD-MM-YYYY, for example 31-12-2026 (the file has "5-2-2026").'],
        ),
        ({"Date(DD-MM-YYYY)": "31-02-2030"}, ["Date 31-02-2030 does not exist."]),
        (
            {"Time Zone(IST/UTC)": "MSK"},
            ['Time Zone must be IST or UTC (the file has "MSK").'],
        ),
        (
            {"Time (24 hrs)": "5 pm"},
            ['Time must be 24-hour HH:MM, for example 17:00 or 17:00 Hrs (the file has "5 pm").'],
        ),
        (
            {"Time (24 hrs)": "24:00"},
            ['Time must be 24-hour HH:MM, for example 17:00 or 17:00 Hrs (the file has "24:00").'],
        ),
        (
            {"Duration(Min)": "1.5"},
            ['Duration must be a whole number of minutes, for example 60 (the file has "1.5").'],
        ),
        (
            {"Meeting Platform": "", "Meeting Link": "https://meet.google.com/abc-mnop-xyz"},
            [
                "Meeting Link is filled in but Meeting Platform is empty: write Google Meet,"
                " WhatsApp or Zoom."
            ],
        ),
    ],
)
def test_bulk_rows_each_problem_in_plain_words(overrides, problems):
    assert parse(overrides).messages() == problems


def test_bulk_rows_every_problem_of_a_row_is_named():
    row = parse(
        {
            "Mentor(Email)": "nobody",
            "Date(DD-MM-YYYY)": "31/12/2030",
            "Time Zone(IST/UTC)": "CET",
            "Time (24 hrs)": "25:00",
            "Duration(Min)": "ten",
            "Meeting Platform": "",
            "Meeting Link": "https://meet.google.com/abc-mnop-xyz",
        }
    )

    assert len(row.problems) == 6
    assert row.start_at is None


def test_bulk_rows_delete_reads_only_action_and_id():
    row = parse({"Action": "Delete", "id": "196745", "title": "", "Date(DD-MM-YYYY)": "bad"})

    assert row.problems == []
    assert (row.action, row.session_id) == ("delete", 196745)


# The file ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"bom": True},
        {"newline": "\n"},
        {"final_newline": False},
        {"bom": True, "final_newline": False},
    ],
    ids=["plain", "bom", "unix", "no final newline", "bom and no final newline"],
)
def test_bulk_rows_encodings_and_line_endings(options):
    data = csv_bytes([GOOD, {**GOOD, "title": "Second"}], **options)

    sheet = read_sheet("s.csv", data, 100)

    assert sheet.total == 2
    assert [cells[2] for _line, cells in sheet_rows("s.csv", data)] == [
        "School Improvement",
        "Second",
    ]


def test_bulk_rows_trailing_tabs_and_blanks_are_taken_off():
    data = csv_bytes([GOOD]).rstrip(b"\r\n") + b"\t\t\t  \r\n"
    sheet = read_sheet("s.csv", data, 10)
    [(line, cells)] = list(sheet_rows("s.csv", data))

    assert cells[-1] == ""
    assert parse_row(line, cells, sheet).problems == []


def test_bulk_rows_headings_in_any_order_and_extra_columns_reported():
    header = list(reversed(COLUMNS)) + ["Notes"]
    data = csv_bytes([{**GOOD, "Notes": "hello"}], header=header)

    sheet = read_sheet("s.csv", data, 10)
    [(line, cells)] = list(sheet_rows("s.csv", data))

    assert sheet.extra_columns == ["Notes"]
    row = parse_row(line, cells, sheet)
    assert row.problems == [] and row.title == "School Improvement"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"\r\n\r\n", "The file is empty."),
        (HEADER.encode() + b"\r\n", "The file has no rows below its headings."),
        (HEADER.encode() + b"\r\n,,,,\r\n\t\t\r\n", "The file has no rows below its headings."),
        (
            HEADER.replace("Mentor(Email)", "Mentor").replace(",medium", ",Medium").encode()
            + b"\r\n"
            + b"x" * 20,
            'Headings missing: "Mentor(Email)", "medium". Headings must be written exactly as'
            " in the sample CSV, in any order.",
        ),
        (
            b"email,session\r\na@b.org,Daytime\r\n",
            "The first row must hold the headings of the sample file (Action, id, title, ...)."
            " Download the sample CSV and start from it.",
        ),
        (
            (HEADER + ",title").encode() + b"\r\nx\r\n",
            'These headings appear more than once: "title".',
        ),
        (
            b"\x89PNG\r\n\x1a\n\x00\x00\x00",
            "This does not look like a CSV file. Upload a .csv or .xlsx file.",
        ),
        (
            HEADER.encode() + b'\r\nCreate,"unclosed\r\n',
            "Line 2: a quotation mark is not closed or is out of place.",
        ),
    ],
    ids=[
        "empty",
        "blank lines",
        "headings only",
        "blank rows only",
        "missing headings",
        "another file",
        "duplicate heading",
        "binary",
        "broken quote",
    ],
)
def test_bulk_rows_file_problems_answer_with_one_message(data, message):
    with pytest.raises(FileProblem) as problem:
        read_sheet("s.csv", data, 100)

    assert problem.value.message == message


def test_bulk_rows_not_a_csv_by_its_name():
    with pytest.raises(FileProblem) as problem:
        read_sheet("sessions.pdf", csv_bytes([GOOD]), 100)

    assert problem.value.message == "Upload a .csv or .xlsx file."


def test_bulk_rows_more_rows_than_the_limit():
    data = csv_bytes([GOOD] * 4)

    assert read_sheet("s.csv", data, 4).total == 4
    with pytest.raises(FileProblem) as problem:
        read_sheet("s.csv", data, 3)
    assert problem.value.message == "The file has more than 3 rows; at most 3 are allowed."


def test_bulk_rows_the_sample_file_of_the_peer_product_reads():
    with open(SAMPLE, "rb") as sample:
        data = sample.read()

    sheet = read_sheet("mentored-sample.csv", data, 100)
    rows = [parse_row(line, cells, sheet) for line, cells in sheet_rows("x.csv", data)]

    assert sheet.total == 5 and sheet.extra_columns == []
    assert [row.action for row in rows] == ["create", "create", "edit", "edit", "delete"]
    assert [row.problems for row in rows] == [[]] * 5  # every quirk of its format is read
    assert rows[0].start_at.strftime("%d-%m-%Y %H:%M") == "05-02-2024 07:30"  # 13:00 IST
    assert rows[1].zone == "UTC" and rows[1].start_at.strftime("%H:%M") == "09:00"
    assert rows[2].mentee_emails == [
        "mentee3@example.com",
        "mentee4@example.com",
        "mentee5@example.org",
    ]
    assert rows[4].session_id == 196745  # trailing tabs on the last line, no final newline
