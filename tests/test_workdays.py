"""Working days (承诺时限): weekends, China's public holidays and make-up working days."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from app.core import workdays
from app.core.workdays import DEFAULT_HOLIDAYS_FILE, calendar, due_date, load_calendar

D = date.fromisoformat
UTC = timezone.utc


@pytest.fixture(scope="module")
def cal():
    return load_calendar()


def write_table(path, years, source="test table"):
    path.write_text(json.dumps({"source": source, "years": years}), encoding="utf-8")
    return path


# --- the packaged table -----------------------------------------------------------------


def test_packaged_table_covers_2025_and_2026_with_the_official_counts(cal):
    assert cal.years == frozenset({2025, 2026})
    assert cal.covers(2025) and cal.covers(2026) and not cal.covers(2027)

    def by_year(dates, year):
        return {d for d in dates if d.year == year}

    # 2025: 1 + 8 + 3 + 5 + 3 + 8 days off; 5 make-up working days.
    assert len(by_year(cal.holidays, 2025)) == 28
    assert by_year(cal.workdays, 2025) == {D("2025-01-26"), D("2025-02-08"), D("2025-04-27"),
                                           D("2025-09-28"), D("2025-10-11")}
    # 2026: 元旦 3 + 春节 9 + 清明 3 + 劳动节 5 + 端午 3 + 中秋 3 + 国庆 7 days off.
    assert len(by_year(cal.holidays, 2026)) == 33
    assert by_year(cal.workdays, 2026) == {D("2026-01-04"), D("2026-02-14"), D("2026-02-28"),
                                           D("2026-05-09"), D("2026-09-20"), D("2026-10-10")}
    # First and last day of each 2026 block are in; the day either side is not.
    for first, last in [("2026-01-01", "2026-01-03"), ("2026-02-15", "2026-02-23"),
                        ("2026-04-04", "2026-04-06"), ("2026-05-01", "2026-05-05"),
                        ("2026-06-19", "2026-06-21"), ("2026-09-25", "2026-09-27"),
                        ("2026-10-01", "2026-10-07")]:
        assert D(first) in cal.holidays and D(last) in cal.holidays
        assert D(first) - timedelta(days=1) not in cal.holidays
        assert D(last) + timedelta(days=1) not in cal.holidays


def test_packaged_table_names_its_source():
    document = json.loads(DEFAULT_HOLIDAYS_FILE.read_text(encoding="utf-8"))
    assert "国务院办公厅关于2025年部分节假日安排的通知" in document["source"]
    assert "国务院办公厅关于2026年部分节假日安排的通知" in document["source"]


# --- counting -------------------------------------------------------------------------


def test_friday_plus_one_is_monday(cal):
    assert D("2026-03-06").weekday() == 4  # a Friday
    assert cal.add_working_days(D("2026-03-06"), 1) == D("2026-03-09")
    assert cal.add_working_days(D("2026-03-06"), 5) == D("2026-03-13")
    assert not cal.is_working_day(D("2026-03-07")) and not cal.is_working_day(D("2026-03-08"))


def test_across_the_2026_spring_festival(cal):
    start = D("2026-02-13")  # Friday before the holiday
    assert cal.is_working_day(D("2026-02-14"))  # Saturday, make-up working day
    assert not cal.is_working_day(D("2026-02-16"))  # Monday inside the holiday
    assert cal.add_working_days(start, 1) == D("2026-02-14")
    assert cal.add_working_days(start, 2) == D("2026-02-24")
    assert cal.add_working_days(start, 3) == D("2026-02-25")
    assert cal.is_working_day(D("2026-02-28"))  # Saturday after: make-up working day too
    assert cal.add_working_days(D("2026-02-27"), 1) == D("2026-02-28")


def test_national_day_2026(cal):
    assert cal.add_working_days(D("2026-09-30"), 1) == D("2026-10-08")
    assert cal.is_working_day(D("2026-10-10"))  # Saturday, make-up working day
    assert not cal.is_working_day(D("2026-10-11"))  # the Sunday after is an ordinary Sunday
    assert cal.add_working_days(D("2026-10-09"), 1) == D("2026-10-10")
    assert cal.is_working_day(D("2026-09-20"))  # Sunday, make-up working day
    assert cal.add_working_days(D("2026-09-19"), 1) == D("2026-09-20")
    # 中秋 (Sep 25–27) and 国庆 are separate blocks: Sep 28–30 are ordinary working days.
    assert cal.add_working_days(D("2026-09-24"), 1) == D("2026-09-28")


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        ("2025-01-24", 1, "2025-01-26"),  # Fri → Sun Jan 26, a make-up working day
        ("2025-01-27", 1, "2025-02-05"),  # Mon before 春节 → after Jan 28–Feb 4
        ("2025-02-07", 1, "2025-02-08"),  # Fri → Sat Feb 8, make-up
        ("2025-04-03", 1, "2025-04-07"),  # 清明 Apr 4–6
        ("2025-04-25", 1, "2025-04-27"),  # Fri → Sun Apr 27, make-up
        ("2025-04-30", 1, "2025-05-06"),  # 劳动节 May 1–5
        ("2025-05-30", 1, "2025-06-03"),  # 端午 May 31–Jun 2
        ("2025-09-30", 1, "2025-10-09"),  # 国庆+中秋 Oct 1–8
        ("2025-10-10", 1, "2025-10-11"),  # Fri → Sat Oct 11, make-up
        ("2025-12-31", 1, "2026-01-04"),  # across the year: 元旦 Jan 1–3, Sun Jan 4 make-up
        ("2025-12-31", 2, "2026-01-05"),
    ],
)
def test_2025_examples(cal, start, days, expected):
    assert cal.add_working_days(D(start), days) == D(expected)


def test_zero_days_is_the_day_itself_or_the_next_working_day(cal):
    assert cal.add_working_days(D("2026-03-06"), 0) == D("2026-03-06")  # Friday
    assert cal.add_working_days(D("2026-03-07"), 0) == D("2026-03-09")  # Saturday
    assert cal.add_working_days(D("2026-02-15"), 0) == D("2026-02-24")  # in 春节
    assert cal.add_working_days(D("2026-02-14"), 0) == D("2026-02-14")  # make-up Saturday


def test_negative_days_raise(cal):
    with pytest.raises(ValueError, match="zero or more"):
        cal.add_working_days(D("2026-03-06"), -1)


def test_working_days_between(cal):
    assert cal.working_days_between(D("2026-02-13"), D("2026-02-25")) == 3
    assert cal.working_days_between(D("2026-09-30"), D("2026-10-10")) == 3  # Oct 8, 9, 10
    assert cal.working_days_between(D("2026-03-09"), D("2026-03-09")) == 0
    assert cal.working_days_between(D("2026-03-09"), D("2026-03-02")) == 0
    # The inverse of add_working_days, over both tables and the uncovered year after.
    start = D("2025-01-01")
    while start < D("2027-01-31"):
        for days in (1, 3, 10):
            assert cal.working_days_between(start, cal.add_working_days(start, days)) == days
        start += timedelta(days=5)


def test_uncovered_years_fall_back_to_plain_weekends(cal):
    assert not cal.covers(2030)
    assert cal.is_working_day(D("2030-01-01"))  # a Tuesday; 元旦 is unknown without a table
    assert not cal.is_working_day(D("2030-01-05"))  # Saturday
    assert cal.add_working_days(D("2030-01-04"), 1) == D("2030-01-07")  # Fri → Mon
    assert cal.add_working_days(D("2030-10-01"), 1) == D("2030-10-02")  # no 国庆 either
    assert cal.working_days_between(D("2030-01-04"), D("2030-01-11")) == 5


# --- the time zone ----------------------------------------------------------------------


def test_due_date_counts_from_the_day_in_shanghai(cal):
    # 2026-03-02 16:30 UTC is Tuesday 00:30 in Shanghai: counting starts on Tuesday.
    after_midnight = datetime(2026, 3, 2, 16, 30, tzinfo=UTC)
    assert after_midnight.astimezone(ZoneInfo("Asia/Shanghai")).date() == D("2026-03-03")
    assert due_date(after_midnight, 1, cal) == D("2026-03-04")
    # 15:30 UTC is Monday 23:30 in Shanghai: counting starts on Monday.
    assert due_date(datetime(2026, 3, 2, 15, 30, tzinfo=UTC), 1, cal) == D("2026-03-03")
    # Friday 23:30 UTC is already Saturday in Shanghai: 0 days gives Monday.
    assert due_date(datetime(2026, 3, 6, 23, 30, tzinfo=UTC), 0, cal) == D("2026-03-09")
    # Any aware datetime is accepted, whatever its zone.
    shanghai = datetime(2026, 3, 3, 0, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert due_date(shanghai, 1, cal) == D("2026-03-04")


def test_due_date_rejects_naive_datetimes(cal):
    with pytest.raises(ValueError, match="aware"):
        due_date(datetime(2026, 3, 2, 16, 30), 1, cal)


# --- configuration ----------------------------------------------------------------------

CUSTOM_YEARS = {
    # 2030: a Wednesday off (Jan 2) and a make-up Saturday (Jan 5).
    "2030": {"holidays": ["2030-01-01", "2030-01-02"], "workdays": ["2030-01-05"]},
}


def test_custom_file(tmp_path):
    custom = load_calendar(write_table(tmp_path / "holidays.json", CUSTOM_YEARS))
    assert custom.years == frozenset({2030})
    assert custom.covers(2030) and not custom.covers(2026)
    assert custom.add_working_days(D("2029-12-31"), 1) == D("2030-01-03")
    assert custom.add_working_days(D("2030-01-04"), 1) == D("2030-01-05")
    # A str path works too, and the packaged 2026 holidays are unknown to this table.
    same = load_calendar(str(tmp_path / "holidays.json"))
    assert same == custom
    assert same.is_working_day(D("2026-10-01"))


def test_app_config_holidays_file(app, tmp_path, monkeypatch):
    monkeypatch.delitem(app.config, "HOLIDAYS_FILE", raising=False)
    with app.app_context():
        default = calendar()
        assert default == load_calendar()
        assert calendar() is default  # cached
        assert due_date(datetime(2026, 9, 30, 2, 0, tzinfo=UTC), 1) == D("2026-10-08")

    path = write_table(tmp_path / "mine.json", CUSTOM_YEARS)
    monkeypatch.setitem(app.config, "HOLIDAYS_FILE", str(path))
    with app.app_context():
        mine = calendar()
        assert mine.years == frozenset({2030})
        assert calendar() is mine
        assert due_date(datetime(2029, 12, 31, 2, 0, tzinfo=UTC), 1) == D("2030-01-03")
        # Without the packaged table, National Day 2026 is an ordinary Thursday.
        assert due_date(datetime(2026, 9, 30, 2, 0, tzinfo=UTC), 1) == D("2026-10-01")


@pytest.mark.parametrize(
    ("years", "message"),
    [
        ({"2030": {"holidays": ["2030-01-05"], "workdays": ["2030-01-05"]}}, "both as holiday"),
        ({"2030": {"holidays": [], "workdays": ["2030-01-07"]}}, "is a Monday"),
        ({"2030": {"holidays": ["2030-02-30"], "workdays": []}}, "not a valid date"),
        ({"2030": {"holidays": ["2030/01/01"], "workdays": []}}, "YYYY-MM-DD"),
        ({"2030": {"holidays": [20300101], "workdays": []}}, "YYYY-MM-DD"),
        ({"2030": {"holidays": ["2031-01-01"], "workdays": []}}, "listed under year 2030"),
        ({"30": {"holidays": [], "workdays": []}}, "four-digit year"),
        ({"2030": {"holidays": []}}, "needs a list 'workdays'"),
        ({"2030": {"holidays": [], "workdays": [], "holiday": []}}, "unknown keys"),
        ({"2030": ["2030-01-01"]}, "must be an object"),
    ],
)
def test_invalid_files_raise_value_error(tmp_path, years, message):
    path = write_table(tmp_path / "bad.json", years)
    with pytest.raises(ValueError, match=message) as excinfo:
        load_calendar(path)
    assert str(path) in str(excinfo.value)  # the message names the file


def test_malformed_json_raises_value_error(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text('{"years": {"2030": ', encoding="utf-8")
    with pytest.raises(ValueError, match="not valid JSON"):
        load_calendar(broken)
    no_years = tmp_path / "no-years.json"
    no_years.write_text('{"source": "x"}', encoding="utf-8")
    with pytest.raises(ValueError, match="'years' object"):
        load_calendar(no_years)


def test_the_cache_is_keyed_by_path(tmp_path):
    first = write_table(tmp_path / "a.json", CUSTOM_YEARS)
    second = write_table(tmp_path / "b.json", {"2031": {"holidays": [], "workdays": []}})
    assert workdays._cached_calendar(str(first)).years == frozenset({2030})
    assert workdays._cached_calendar(str(second)).years == frozenset({2031})
    assert workdays._cached_calendar(str(first)) is workdays._cached_calendar(str(first))
