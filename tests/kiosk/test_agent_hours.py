"""When the site's agents answer: weekly hours on the site's clock, clock changes included."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.agent_hours import WEEKDAYS, AgentHours

TORONTO = ZoneInfo("America/Toronto")
WEEKDAYS_WITH_LUNCH = {
    day: ["08:30-12:00", "13:00-16:30"] for day in ("mon", "tue", "wed", "thu", "fri")
}
HOURS = AgentHours.model_validate({"timezone": "America/Toronto", **WEEKDAYS_WITH_LUNCH})


def toronto(wall_clock: str) -> datetime:
    return datetime.fromisoformat(wall_clock).replace(tzinfo=TORONTO)


@pytest.mark.parametrize(
    ("moment", "is_open"),
    [
        (toronto("2026-01-12 08:29:59"), False),  # Monday, a second before opening
        (toronto("2026-01-12 08:30"), True),  # opening time is open
        (toronto("2026-01-12 11:59:59"), True),
        (toronto("2026-01-12 12:00"), False),  # closing time is closed: lunch
        (toronto("2026-01-12 13:00"), True),
        (toronto("2026-01-16 16:29"), True),  # Friday
        (toronto("2026-01-17 10:00"), False),  # Saturday
        (datetime(2026, 1, 12, 13, 30, tzinfo=UTC), True),  # 08:30 in Toronto (winter)
        (datetime(2026, 1, 12, 13, 29, tzinfo=UTC), False),
    ],
)
def test_agents_answer_inside_the_hours_only(moment: datetime, is_open: bool) -> None:
    assert HOURS.is_open(moment) is is_open


@pytest.mark.parametrize(
    ("after", "opening"),
    [
        (toronto("2026-01-16 16:30"), toronto("2026-01-19 08:30")),  # Friday -> Monday
        (toronto("2026-01-17 10:00"), toronto("2026-01-19 08:30")),  # Saturday -> Monday
        (toronto("2026-01-12 12:00"), toronto("2026-01-12 13:00")),  # lunch -> afternoon
        (toronto("2026-01-12 07:00"), toronto("2026-01-12 08:30")),  # early -> same morning
        (toronto("2026-01-12 09:15"), toronto("2026-01-12 09:15")),  # open: now
        # Clocks fall back on Sunday 1 November: Monday's 08:30 is still 08:30.
        (toronto("2026-10-30 17:00"), datetime(2026, 11, 2, 13, 30, tzinfo=UTC)),
    ],
)
def test_next_opening(after: datetime, opening: datetime) -> None:
    found = HOURS.next_opening(after)
    assert found is not None
    assert found.astimezone(UTC) == opening.astimezone(UTC)


def test_next_opening_is_on_the_sites_clock_whatever_the_zone_asked_in() -> None:
    found = HOURS.next_opening(datetime(2026, 1, 17, 12, 0, tzinfo=UTC))
    assert found is not None
    assert (found.tzinfo, found.weekday(), found.hour, found.minute) == (TORONTO, 0, 8, 30)


def test_an_hour_that_happens_twice_opens_the_second_time_too() -> None:
    night = AgentHours.model_validate({"timezone": "America/Toronto", "sun": ["01:00-01:30"]})
    # 01:45 summer time on 1 November; at 02:00 clocks go back to 01:00 winter time.
    found = night.next_opening(toronto("2026-11-01 01:45"))
    assert found is not None
    assert found.astimezone(UTC) == datetime(2026, 11, 1, 6, 0, tzinfo=UTC)


def test_an_opening_skipped_by_the_clocks_starts_when_they_resume() -> None:
    night = AgentHours.model_validate({"timezone": "America/Toronto", "sun": ["02:00-03:30"]})
    # On 8 March clocks jump from 02:00 winter time to 03:00 summer time.
    found = night.next_opening(toronto("2026-03-08 00:30"))
    assert found is not None
    assert found.astimezone(UTC) == datetime(2026, 3, 8, 7, 0, tzinfo=UTC)
    assert (found.hour, found.minute) == (3, 0)


def test_the_only_opening_of_the_week_may_be_a_week_later() -> None:
    mondays = AgentHours.model_validate({"timezone": "America/Toronto", "mon": ["08:30-09:00"]})
    found = mondays.next_opening(toronto("2026-01-12 09:00"))
    assert found == toronto("2026-01-19 08:30")


def test_no_hours_means_no_next_opening() -> None:
    never = AgentHours(timezone="UTC")
    assert not never.is_open(datetime(2026, 1, 12, 10, 0, tzinfo=UTC))
    assert never.next_opening(datetime(2026, 1, 12, 10, 0, tzinfo=UTC)) is None


def test_a_time_without_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="no time zone"):
        HOURS.is_open(datetime(2026, 1, 12, 10, 0))


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@st.composite
def agent_hours(draw: st.DrawFn) -> AgentHours:
    """Any week of hours: per day, sorted distinct boundaries paired into ranges."""
    week: dict[str, object] = {"timezone": draw(st.sampled_from(ZONES))}
    for day in WEEKDAYS:
        bounds = sorted(draw(st.sets(st.integers(0, 24 * 60), max_size=6)))
        # An odd boundary left over is dropped.
        pairs = zip(bounds[::2], bounds[1::2], strict=False)
        week[day] = [f"{_clock(opens)}-{_clock(closes)}" for opens, closes in pairs]
    return AgentHours.model_validate(week)


ZONES = ["America/Toronto", "UTC", "Asia/Kolkata", "Australia/Lord_Howe"]


@given(
    hours=agent_hours(),
    moment=st.datetimes(
        min_value=datetime(2000, 1, 1),
        max_value=datetime(2100, 1, 1),
        timezones=st.sampled_from([UTC, *map(ZoneInfo, ZONES)]),
    ),
)
def test_next_opening_agrees_with_is_open(hours: AgentHours, moment: datetime) -> None:
    found = hours.next_opening(moment)
    if hours.is_open(moment):
        assert found == moment
    elif not any(hours.on(weekday) for weekday in range(7)):
        assert found is None
    else:
        assert found is not None
        assert found.astimezone(UTC) > moment.astimezone(UTC)
        assert hours.is_open(found.astimezone(UTC))
