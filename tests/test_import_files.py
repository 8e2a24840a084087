"""Registration files that must not break the import: every bad file gets one clear message
in the admin's language and changes nothing, however it was made (damaged, crafted, huge,
in another encoding); oversized uploads answer 413; uploads never fail while members sign
up at the same moment."""

import io
import threading
import zipfile

import pytest
from playwright.sync_api import expect
from test_applications_and_visits import (
    COLUMNS,
    NOT_UTF8,
    NOT_XLSX,
    alerts,
    apply,
    member,
    only_job,
    preview_rows,
    registrations,
    replace_part,
    row_count,
    upload,
    xlsx,
)

import config
from imports import reading
from models import Company, Registration, Role, Status, Upload, db

QUOTE = "Line {}: a quotation mark is not closed or is out of place."
LONG_CELL = "Line {}: a cell is longer than 131,072 characters."
DTD = (
    "The workbook declares XML entities (a DTD), which spreadsheets never need, so it was not"
    " read. Save it again as .xlsx or .csv."
)
SHEET = "xl/worksheets/sheet1.xml"
NS = b' xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
SHEET_START = (
    b'<?xml version="1.0" encoding="UTF-8"?><worksheet' + NS + b"><sheetData>"
    b'<row><c t="inlineStr"><is><t>email</t></is></c>'
    b'<c t="inlineStr"><is><t>session</t></is></c></row>'
)
SHEET_END = b"</sheetData></worksheet>"


@pytest.fixture
def event(make_event, make_session):
    event = make_event()
    make_session(event, name="Daytime")
    for name in ("ann", "bob", "cat"):
        member(f"{name}@example.com")
    return event


def assert_refused(response, message):
    """The upload form is back with exactly `message`, and nothing was written."""
    assert response.status_code == 422, response.text
    assert alerts(response.text) == [message]
    assert 'name="file"' in response.text
    assert row_count(Upload) == 0
    assert row_count(Registration) == 0


def workbook():
    return xlsx([["email", "session"], ["ann@example.com", "Daytime"]])


@pytest.fixture
def openpyxl_calls(monkeypatch):
    """Every time the import hands a workbook to openpyxl."""
    from openpyxl.reader import excel  # where imports/reading.py takes its reader from

    calls, reader = [], excel.ExcelReader

    def recording(*args, **kwargs):
        calls.append(args)
        return reader(*args, **kwargs)

    monkeypatch.setattr(excel, "ExcelReader", recording)
    return calls


# CSV ---------------------------------------------------------------------------------------

LONG = b"x" * (128 * 1024 + 1)
BAD_CSV = [
    ("long quoted cell", b'bob@example.com,"' + LONG + b'"\n', LONG_CELL.format(3)),
    ("long plain cell", b"bob@example.com," + LONG + b"\n", LONG_CELL.format(3)),
    ("unclosed quote", b'bob@example.com,"Daytime\ncat@example.com,Daytime\n', QUOTE.format(3)),
    ("text after a quote", b'bob@example.com,"Day"time\n', QUOTE.format(3)),
]


@pytest.mark.parametrize(
    "tail, message", [case[1:] for case in BAD_CSV], ids=[case[0] for case in BAD_CSV]
)
def test_import_malformed_csv_names_the_line(admin, event, tail, message):
    data = b"email,session\nann@example.com,Daytime\n" + tail
    assert_refused(upload(admin, event, data), message)


def test_import_problem_is_told_in_the_admins_language(sign_in, event):
    admin = sign_in(Role.ADMIN, locale="ru")
    response = upload(admin, event, b'email,session\n"ann@example.com,Daytime\n')
    assert_refused(response, "Строка 2: кавычка не закрыта или стоит не на месте.")
    response = upload(admin, event, b"email,session\nann@example.com," + LONG + b"\n")
    assert_refused(response, "Строка 2: ячейка длиннее 131\xa0072 символов.")


def test_import_reads_a_windows_1251_csv(admin, make_event, make_session):
    """What Excel on a Russian Windows saves as "CSV": Windows-1251 and semicolons."""
    event = make_event()
    make_session(event, name="Дневная")
    member("ann@example.com")
    data = "Почта;Сессия\r\nann@example.com;Дневная\r\n".encode("cp1251")

    response = upload(admin, event, data)
    assert response.status_code == 200, response.text
    assert preview_rows(response.text) == [(2, "ann@example.com", "Дневная", "Will register")]
    apply(admin, only_job())
    assert registrations(event) == {("ann@example.com", "Дневная"): Status.APPROVED}


def test_import_reads_old_mac_line_ends(admin, event):
    response = upload(admin, event, b"email,session\rann@example.com,Daytime\r")
    assert response.status_code == 200, response.text
    assert preview_rows(response.text) == [(2, "ann@example.com", "Daytime", "Will register")]


def test_import_refuses_western_text_rather_than_misread_it(admin, event):
    """Windows-1252 decodes as Windows-1251 too, into words that mix scripts ("Mьller")."""
    data = "email,session,name\nann@example.com,Daytime,Anna Müller\n".encode("cp1252")
    assert_refused(upload(admin, event, data), NOT_UTF8)


# XLSX: entities, bombs, huge sheets -------------------------------------------------------

EXTERNAL_ENTITY = (
    b'<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'
    b"<worksheet" + NS + b'><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&secret;</t>'
    b"</is></c></row></sheetData></worksheet>"
)
LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY lol "lol">'
    + b"".join(
        b'<!ENTITY lol%d "%s">' % (n, (b"&lol%d;" % (n - 1) if n > 1 else b"&lol;") * 10)
        for n in range(1, 10)
    )
    + b"]><sst"
    + NS
    + b"><si><t>&lol9;</t></si></sst>"
)
DOCTYPE_ONLY = b'<?xml version="1.0"?><!DOCTYPE Types><Types/>'
UTF16_DTD = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE w [<!ENTITY a "b">]><w/>'.encode(
    "utf-16"
)
WITH_DTD = [
    ("external entity", SHEET, EXTERNAL_ENTITY),
    ("billion laughs", "xl/sharedStrings.xml", LAUGHS),
    ("bare doctype", "[Content_Types].xml", DOCTYPE_ONLY),
    ("utf-16 entity", "xl/workbook.xml", UTF16_DTD),
]


@pytest.mark.parametrize(
    "part, xml", [case[1:] for case in WITH_DTD], ids=[case[0] for case in WITH_DTD]
)
def test_import_refuses_a_workbook_with_a_dtd_unparsed(admin, event, openpyxl_calls, part, xml):
    response = upload(admin, event, replace_part(workbook(), part, xml), "people.xlsx")
    assert_refused(response, DTD)
    assert openpyxl_calls == []


def test_import_refuses_a_zip_bomb_unparsed(admin, event, openpyxl_calls):
    bomb = replace_part(workbook(), SHEET, *[b" " * 2**20] * 101)  # 101 MB in ~100 KB
    assert len(bomb) < 200_000

    response = upload(admin, event, bomb, "people.xlsx")
    assert_refused(
        response,
        "The workbook unpacks to more than 100 MB."
        " Keep only the email and session columns, or save it as CSV.",
    )
    assert openpyxl_calls == []


def test_import_stops_reading_a_million_row_sheet_at_the_limit(admin, event, monkeypatch):
    """openpyxl's own write-only files have no <dimension>: nothing may size the sheet by
    reading it whole before the rows are counted."""
    with db.connection_context():
        Company.update(bulk_rows_limit=3).execute()
    million = b"<row><c><v>1</v></c></row>" * 1_000_000
    huge = replace_part(workbook(), SHEET, SHEET_START, million, SHEET_END)
    pulled, stream = [], reading._rows_of_xlsx

    def counting(data):
        rows = stream(data)
        try:
            for row in rows:
                pulled.append(row)
                yield row
        finally:
            rows.close()

    monkeypatch.setattr(reading, "_rows_of_xlsx", counting)

    response = upload(admin, event, huge, "people.xlsx")
    assert_refused(response, "The file has more than 3 rows; at most 3 are allowed.")
    assert len(pulled) == 5  # the headings, three rows, and the one too many


def test_import_reads_row_numbers_as_the_sheet_gives_them(admin, event):
    """A row numbered far down costs nothing: no empty rows are made up in between."""
    far = b'<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>bob@example.com</t></is></c>'
    far += b'<c r="B1048576" t="inlineStr"><is><t>Daytime</t></is></c></row>'
    data = replace_part(workbook(), SHEET, SHEET_START, far, SHEET_END)

    response = upload(admin, event, data, "people.xlsx")
    assert response.status_code == 200, response.text
    assert preview_rows(response.text) == [(1048576, "bob@example.com", "Daytime", "Will register")]


def test_import_refuses_too_many_empty_rows(admin, event):
    data = b"email,session\n" + b",\n" * 10_001 + b"ann@example.com,Daytime\n"
    message = "The file has more than 10000 empty rows. Delete them and upload it again."
    assert_refused(upload(admin, event, data), message)


def zip_with(names):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name in names:
            archive.writestr(name, b"hello")
    return out.getvalue()


NO_SHEETS = b"<workbook" + NS + b"/>"
BAD_WORKBOOKS = [
    ("empty sheet", xlsx([]), "The file is empty."),
    ("headings only", xlsx([["email", "session"]]), "The file has no rows below its headings."),
    ("no headings", xlsx([["ann@example.com", "Daytime"]]), COLUMNS),
    ("no sheet", replace_part(workbook(), "xl/workbook.xml", NO_SHEETS), NOT_XLSX),
    ("a zip, not a workbook", zip_with(["hello.txt"]), NOT_XLSX),
    ("a zip of 2,000 parts", zip_with([f"part{n}.xml" for n in range(2000)]), NOT_XLSX),
]


@pytest.mark.parametrize(
    "data, message", [case[1:] for case in BAD_WORKBOOKS], ids=[case[0] for case in BAD_WORKBOOKS]
)
def test_import_bad_workbook_is_refused_with_one_message(admin, event, data, message):
    assert_refused(upload(admin, event, data, "people.xlsx"), message)


def test_import_csv_without_headings_is_refused(admin, event):
    assert_refused(upload(admin, event, b"ann@example.com,Daytime\n"), COLUMNS)


# Uploads over the size limit ---------------------------------------------------------------

TOO_LARGE = "What you sent is larger than 1 MB, the most this site accepts. Nothing was changed."


def test_upload_over_the_limit_answers_413_and_changes_nothing(app, admin, event):
    app.config["MAX_CONTENT_LENGTH"] = 2**20
    data = b"email,session\n" + b"ann@example.com,Daytime\n" * 50_000  # 1.2 MB

    response = upload(admin, event, data)
    assert response.status_code == 413
    assert TOO_LARGE in response.text
    assert row_count(Upload) == 0 and row_count(Registration) == 0
    # htmx swaps no 413 answer: app.js toasts the words the page carries for it
    page = admin.get(f"/admin/events/{event.id}/registrations")
    assert f'data-too-large="{TOO_LARGE}"' in page.text


def test_upload_over_the_limit_is_told_in_the_admins_language(app, sign_in, event):
    app.config["MAX_CONTENT_LENGTH"] = 2**20
    admin = sign_in(Role.ADMIN, locale="ru")
    data = {"file": (io.BytesIO(b"x" * (2**20 + 1)), "people.csv")}

    response = admin.post(
        f"/admin/events/{event.id}/imports", data=data, content_type="multipart/form-data"
    )
    assert response.status_code == 413
    assert "Отправленные данные больше 1 МБ" in response.text
    assert admin.user.name in response.text  # the page is the signed-in admin's
    assert row_count(Upload) == 0


def test_upload_limit_comes_from_max_upload_mb(monkeypatch):
    monkeypatch.delenv("MAX_UPLOAD_MB", raising=False)
    assert config.from_environment()["MAX_CONTENT_LENGTH"] == 10 * 2**20
    monkeypatch.setenv("MAX_UPLOAD_MB", "25")
    assert config.from_environment()["MAX_CONTENT_LENGTH"] == 25 * 2**20


# Concurrency -------------------------------------------------------------------------------

UPLOADERS = 6
SIGNERS = 6
ROUNDS = 4


def test_uploads_while_members_sign_up_never_fail(app, sign_in, make_event, make_session):
    """Previewing writes the import through BEGIN IMMEDIATE like every other change, so it
    waits for the sign-ups' write lock instead of failing with "database is locked"."""
    event = make_event(is_active=True)
    session = make_session(event, name="Daytime", participant_limit=None)
    for number in range(3):
        member(f"listed{number}@example.com")
    data = b"email,session\n" + b"".join(
        f"listed{number}@example.com,Daytime\n".encode() for number in range(3)
    )
    admins = [sign_in(Role.ADMIN) for _ in range(UPLOADERS)]
    members = [[sign_in(Role.MEMBER) for _ in range(ROUNDS)] for _ in range(SIGNERS)]
    statuses, start = [], threading.Barrier(UPLOADERS + SIGNERS)

    def answer(kind, send, *args):
        try:  # under TESTING a server error reaches the test client as the exception itself
            statuses.append((kind, send(*args).status_code))
        except Exception as error:
            statuses.append((kind, repr(error)))

    def uploads(client):
        start.wait()
        for _ in range(ROUNDS):
            answer("upload", upload, client, event, data)

    def sign_ups(clients):
        start.wait()
        for client in clients:
            answer("sign-up", client.htmx, "post", f"/sessions/{session.id}/signup")

    threads = [threading.Thread(target=uploads, args=(client,)) for client in admins]
    threads += [threading.Thread(target=sign_ups, args=(clients,)) for clients in members]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)

    assert len(statuses) == (UPLOADERS + SIGNERS) * ROUNDS
    assert [answer for answer in statuses if answer[1] != 200] == []
    assert row_count(Upload) == UPLOADERS * ROUNDS
    with db.connection_context():
        approved = Registration.select().where(Registration.status == Status.APPROVED)
        assert approved.count() == SIGNERS * ROUNDS


@pytest.mark.browser
def test_browser_upload_over_the_limit_says_so(app, browser_admin, live_server, event, tmp_path):
    app.config["MAX_CONTENT_LENGTH"] = 2**20
    big = tmp_path / "people.csv"
    big.write_bytes(b"email,session\n" + b"ann@example.com,Daytime\n" * 50_000)
    page = browser_admin
    page.goto(f"{live_server.url}/admin/events/{event.id}/registrations")
    page.set_input_files("#import-area input[type=file]", str(big))
    page.click("#import-area button:has-text('Preview')")
    expect(page.locator("#toasts .toast.error")).to_have_text(TOO_LARGE)  # that toast alone
    expect(page.locator("#import-area input[type=file]")).to_be_visible()  # choose another
    assert row_count(Upload) == 0


# openpyxl's private reader -----------------------------------------------------------------


def test_reading_streams_through_the_openpyxl_it_was_written_for():
    """imports.reading streams a sheet with openpyxl's private ExcelReader and
    WorkSheetParser, checked against one version: an upgrade fails here, by name, before it
    could turn every workbook into "could not be opened"."""
    import tomllib

    import openpyxl

    pins = tomllib.loads((config.ROOT / "pyproject.toml").read_text())["project"]
    pinned = [pin for pin in pins["dependencies"] if pin.startswith("openpyxl==")]
    assert pinned == [f"openpyxl=={reading.OPENPYXL_TESTED}"], (
        "pyproject.toml pins another openpyxl than imports/reading.py was checked against:"
        " check _first_sheet_cells, then move OPENPYXL_TESTED"
    )
    assert openpyxl.__version__ == reading.OPENPYXL_TESTED, "the installed openpyxl is not the pin"
    data = xlsx([["email", "session"], ["ann@example.com", 2.5], [], [None, "Daytime"]])
    # Called directly: around it, any error becomes the file's "could not be opened".
    assert list(reading._first_sheet_cells(data)) == [
        (1, {0: "email", 1: "session"}),
        (2, {0: "ann@example.com", 1: 2.5}),
        (4, {1: "Daytime"}),
    ]
