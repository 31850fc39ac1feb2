"""When the site's agents answer: weekly opening hours in the site's time zone."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import Annotated, Any, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from kiosk.catalogue_base import CatalogueModel, LocatedError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MINUTES_PER_DAY = 24 * 60
# Every weekday comes back within a week; one more day finds an opening lost in
# the hour skipped when clocks spring forward.
NEXT_OPENING_HORIZON_DAYS = 8


_RANGE = re.compile(r"([01]\d|2[0-4]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)")


class OpeningRange(CatalogueModel):
    """Open from ``opens_min`` (included) to ``closes_min`` (excluded), in minutes after midnight.

    Written ``"08:30-16:30"`` in the catalogue; ``"24:00"`` closes at midnight.
    """

    opens_min: Annotated[int, Field(ge=0, lt=MINUTES_PER_DAY)]
    closes_min: Annotated[int, Field(gt=0, le=MINUTES_PER_DAY)]

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        match = _RANGE.fullmatch(value)
        if match is None:
            raise ValueError(f"'{value}' must look like '08:30-16:30'")
        opens_h, opens_m, closes_h, closes_m = (int(part) for part in match.groups())
        opens_min, closes_min = opens_h * 60 + opens_m, closes_h * 60 + closes_m
        if max(opens_min, closes_min) > MINUTES_PER_DAY or opens_min == MINUTES_PER_DAY:
            raise ValueError(f"'{value}' goes past 24:00")
        if closes_min <= opens_min:
            raise ValueError(f"'{value}' closes before it opens")
        return {"opens_min": opens_min, "closes_min": closes_min}

    def __str__(self) -> str:
        return f"{_clock(self.opens_min)}-{_clock(self.closes_min)}"

    @property
    def opens(self) -> timedelta:
        """Opening time, after midnight."""
        return timedelta(minutes=self.opens_min)

    def contains(self, since_midnight: timedelta) -> bool:
        """Whether a wall-clock time (after midnight) falls in the range."""
        return self.opens <= since_midnight < timedelta(minutes=self.closes_min)


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


class AgentHours(CatalogueModel):
    """When agents answer video calls from this site, week after week, on the site's clock."""

    timezone: str
    mon: tuple[OpeningRange, ...] = ()
    tue: tuple[OpeningRange, ...] = ()
    wed: tuple[OpeningRange, ...] = ()
    thu: tuple[OpeningRange, ...] = ()
    fri: tuple[OpeningRange, ...] = ()
    sat: tuple[OpeningRange, ...] = ()
    sun: tuple[OpeningRange, ...] = ()

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError) as err:
            raise ValueError(
                f"unknown time zone '{value}' (an IANA name like 'America/Toronto')"
            ) from err
        return value

    @model_validator(mode="after")
    def _ranges_apart(self) -> Self:
        for day in WEEKDAYS:
            ranges = getattr(self, day)
            by_opening = sorted(range(len(ranges)), key=lambda i: ranges[i].opens_min)
            for earlier, later in pairwise(by_opening):
                if ranges[later].opens_min < ranges[earlier].closes_min:
                    problem = f"'{ranges[later]}' overlaps '{ranges[earlier]}'"
                    raise LocatedError((day, later), problem)
        return self

    @property
    def zone(self) -> ZoneInfo:
        """The site's time zone, in which the hours are written."""
        return ZoneInfo(self.timezone)

    def on(self, weekday: int) -> tuple[OpeningRange, ...]:
        """The ranges of ``weekday`` (0 is Monday, as :meth:`datetime.weekday`)."""
        ranges: tuple[OpeningRange, ...] = getattr(self, WEEKDAYS[weekday])
        return ranges

    def is_open(self, at: datetime) -> bool:
        """Whether agents answer at the moment ``at`` (aware; any zone)."""
        # Through UTC: astimezone to the same zone keeps a wall-clock time that the
        # clocks skipped (02:30 on a spring-forward night); this makes it a real one.
        local = _aware(at).astimezone(UTC).astimezone(self.zone)
        # The hours are wall-clock times, whatever the clocks did overnight.
        since_midnight = timedelta(
            hours=local.hour,
            minutes=local.minute,
            seconds=local.second,
            microseconds=local.microsecond,
        )
        return any(r.contains(since_midnight) for r in self.on(local.weekday()))

    def next_opening(self, after: datetime) -> datetime | None:
        """The first moment, at or after ``after``, when agents answer, on the site's clock.

        ``after`` itself when agents answer then; None only when no day has hours.
        Compare the result in UTC: within one zone Python ignores ``fold``, so the
        second 01:30 of a fall-back night would look earlier than the first.
        """
        if self.is_open(after):
            return after
        after_utc = after.astimezone(UTC)
        start = after.astimezone(self.zone).date()
        for offset in range(NEXT_OPENING_HORIZON_DAYS + 1):
            for opening in self._openings_on(start + timedelta(days=offset)):
                # An opening in a spring-forward gap never happens: check the instant.
                if opening.astimezone(UTC) > after_utc and self.is_open(opening):
                    return opening.astimezone(UTC).astimezone(self.zone)  # the real wall clock
        return None

    def _openings_on(self, day: date) -> list[datetime]:
        """The instants the ranges of ``day`` open, in time order.

        When clocks fall back a wall-clock time happens twice (``fold`` 0 and 1).
        """
        midnight = datetime.combine(day, time(), tzinfo=self.zone)
        # Keyed by instant: within one zone, datetimes that differ by fold compare equal.
        by_instant: dict[datetime, datetime] = {}
        for opening_range in self.on(day.weekday()):
            for fold in (0, 1):
                opening = (midnight + opening_range.opens).replace(fold=fold)
                by_instant[opening.astimezone(UTC)] = opening
        return [by_instant[instant] for instant in sorted(by_instant)]


def _aware(moment: datetime) -> datetime:
    # A naive time could be the kiosk's, the server's or UTC: refuse to guess.
    if moment.utcoffset() is None:
        raise ValueError(f"{moment} has no time zone")
    return moment
