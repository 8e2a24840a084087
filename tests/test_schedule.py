from datetime import datetime, timedelta
from types import SimpleNamespace

from foundation import schedule


def test_registration_end_proposal_is_next_day_at_1159_in_company_zone():
    # The seed's example: created 01.01.2024 08:59 (Moscow) -> 02.01.2024 11:59 (Moscow).
    created = schedule.to_utc(datetime(2024, 1, 1, 8, 59), "Europe/Moscow")
    proposal = schedule.proposed_registration_end(created, "Europe/Moscow")
    assert schedule.to_local_naive(proposal, "Europe/Moscow") == datetime(2024, 1, 2, 11, 59)


def test_registration_end_proposal_uses_the_local_calendar_day():
    # 22:30 UTC on Jan 1 is already Jan 2 in Moscow, so the proposal is Jan 3.
    proposal = schedule.proposed_registration_end(datetime(2024, 1, 1, 22, 30), "Europe/Moscow")
    assert schedule.to_local_naive(proposal, "Europe/Moscow") == datetime(2024, 1, 3, 11, 59)


def test_first_day_proposal_is_registration_end_plus_one_day():
    end = datetime(2024, 1, 2, 8, 59)
    start, finish = schedule.proposed_day_slot(end, [], datetime(2024, 1, 1), "Europe/Moscow")
    assert start == end + timedelta(days=1)
    assert finish > start


def test_next_day_proposal_follows_the_last_day_with_its_length():
    last = SimpleNamespace(start_at=datetime(2024, 1, 5, 7), end_at=datetime(2024, 1, 5, 10))
    start, finish = schedule.proposed_day_slot(None, [last], datetime(2024, 1, 1), "UTC")
    assert (start, finish) == (datetime(2024, 1, 6, 7), datetime(2024, 1, 6, 10))


def test_overlap_is_a_true_interval_test():
    day = (datetime(2024, 1, 1, 10), datetime(2024, 1, 1, 12))
    assert schedule.overlaps(datetime(2024, 1, 1, 11), datetime(2024, 1, 1, 13), *day)
    assert schedule.overlaps(datetime(2024, 1, 1, 9), datetime(2024, 1, 1, 13), *day)  # contains
    assert schedule.overlaps(datetime(2024, 1, 1, 10, 30), datetime(2024, 1, 1, 11), *day)  # inside
    assert not schedule.overlaps(
        datetime(2024, 1, 1, 12), datetime(2024, 1, 1, 13), *day
    )  # touches


def test_time_zone_names_are_checked_against_the_iana_list():
    assert schedule.is_timezone("Europe/Moscow")
    assert schedule.is_timezone("America/Argentina/Buenos_Aires")
    assert not schedule.is_timezone("Mars/Olympus")
    assert not schedule.is_timezone("")
    assert len(schedule.all_timezones()) > 400


def test_wall_clock_times_convert_across_daylight_saving():
    # Berlin is UTC+1 in winter and UTC+2 in summer.
    assert schedule.to_utc(datetime(2024, 1, 10, 12), "Europe/Berlin") == datetime(2024, 1, 10, 11)
    assert schedule.to_utc(datetime(2024, 7, 10, 12), "Europe/Berlin") == datetime(2024, 7, 10, 10)
