"""Malformed input is a clear message next to its field, never a 500 and never a change:
ids out of range, numbers that are not ASCII, dates outside the window, wall-clock times
that a daylight-saving night skips or repeats."""

from datetime import datetime
from types import SimpleNamespace

import pytest
from werkzeug.datastructures import MultiDict

from foundation import schedule
from foundation.forms import FormReader, page_number, row_id, row_ids
from models import Day, Role, db

BERLIN = "Europe/Berlin"


@pytest.mark.parametrize("value", ["0", "-1", "²", "١٢", "2147483648", "9" * 30, "", " ", "1e3"])
def test_input_row_id_refuses_what_names_no_row(value):
    with pytest.raises(ValueError):
        row_id(value)
    assert row_ids([value, "7"]) == {7}
    assert page_number(value) == 1


def test_input_route_ids_beyond_any_row_are_not_found(sign_in, app):
    member = sign_in(Role.MEMBER)
    for path in ["/s/9223372036854775808", "/events/99999999999999999999", "/days/2147483648.ics"]:
        assert member.get(path).status_code == 404, path


def test_input_lists_ignore_unicode_digits_and_huge_pages(admin, make_event):
    event = make_event(is_active=True)
    for query in ["page=²", "page=99999999999999999999", "session=²", "session=9" * 3]:
        assert admin.get(f"/admin/events/{event.id}/registrations?{query}").status_code == 200
    assert admin.get("/admin/emails?page=²").status_code == 200


def test_input_integer_reader_hands_back_nothing_it_refused():
    reader = FormReader({"minutes": str(10**25), "hours": "²", "seats": "12"})
    assert reader.integer("minutes", minimum=0, maximum=59) is None
    assert reader.integer("hours") is None
    assert reader.integer("seats", maximum=10) is None
    assert set(reader.errors) == {"minutes", "hours", "seats"}


@pytest.mark.parametrize("value", ["9999-12-31T22:00", "1899-12-31T10:00", "2099-01-01T10:00"])
def test_input_dates_outside_the_window_are_refused_with_the_window(value):
    reader = FormReader({"start": value})
    assert reader.local_datetime("start") is None
    assert "Enter a date between 2000-01-01 and" in reader.errors["start"]


def test_input_a_time_the_clocks_skip_is_named():
    reader = FormReader({"start": "2030-03-31T02:30"})  # Berlin springs forward at 02:00
    assert reader.local_datetime("start", zone=BERLIN) is None
    assert reader.errors["start"] == (
        "02:30 does not exist in Europe/Berlin: the clocks skip it that night. Choose another time."
    )


def test_input_a_time_that_happens_twice_names_both_offsets():
    reader = FormReader({"start": "2030-10-27T02:30"})  # Berlin falls back at 03:00
    assert reader.local_datetime("start", zone=BERLIN) is None
    assert "at UTC+02:00 and again at UTC+01:00" in reader.errors["start"]
    assert FormReader({"start": "2030-10-27T04:30"}).local_datetime("start", zone=BERLIN)


def test_input_day_form_says_the_time_does_not_exist_and_saves_nothing(
    admin, make_event, make_session
):
    session = make_session(make_event(), registration_end=None, timezone=BERLIN)
    form = {"start": "2030-03-31T02:30", "end": "2030-03-31T04:00", "format": "offline"}
    answer = admin.htmx("post", f"/admin/sessions/{session.id}/days", data=form | {"address": "A"})
    assert answer.status_code == 422
    assert "02:30 does not exist in Europe/Berlin" in answer.text
    assert "The end must be later than the start" not in answer.text
    with db.connection_context():
        assert Day.select().count() == 0


def test_input_next_day_keeps_its_wall_clock_time_across_daylight_saving():
    last_local = datetime(2030, 3, 30, 10, 0)  # the day before Berlin springs forward
    last = SimpleNamespace(
        start_at=schedule.to_utc(last_local, BERLIN),
        end_at=schedule.to_utc(last_local.replace(hour=12), BERLIN),
    )
    start, end = schedule.proposed_day_slot(None, [last], datetime(2030, 1, 1), BERLIN)
    assert schedule.to_local_naive(start, BERLIN) == datetime(2030, 3, 31, 10, 0)
    assert schedule.to_local_naive(end, BERLIN) == datetime(2030, 3, 31, 12, 0)


def test_input_group_session_with_a_huge_duration_says_so(sign_in, app):
    from models import Company

    with db.connection_context():
        Company.update(allows_group_sessions=True).execute()
    host = sign_in(Role.HOST)
    form = MultiDict(
        {
            "title": "T",
            "description": "D",
            "start": "2030-05-01T18:00",
            "duration_hours": "1",
            "duration_minutes": str(10**25),
            "min_participants": "2",
            "max_participants": "4",
            "timezone": "Europe/Moscow",
            "invitees": "²",
        }
    )
    answer = host.htmx("post", "/group-sessions", data=form)
    assert answer.status_code == 422 and "Enter a number of at most 59." in answer.text
