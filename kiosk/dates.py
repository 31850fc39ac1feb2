"""Dates as people write them, in French and English, independent of the OS locale.

A kiosk image may have no French locale installed; month names are ours.
"""

from __future__ import annotations

from datetime import date, datetime

from kiosk.i18n import Language

MONTHS: dict[Language, tuple[str, ...]] = {
    "fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
           "septembre", "octobre", "novembre", "décembre"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
}  # fmt: skip


def format_date(day: date, language: Language) -> str:
    """``1er décembre 2026`` or ``December 1, 2026``."""
    month = MONTHS[language][day.month - 1]
    if language == "fr":
        return f"{'1er' if day.day == 1 else day.day} {month} {day.year}"
    return f"{month} {day.day}, {day.year}"


def format_timestamp(moment: datetime, language: Language) -> str:
    """``22 novembre 2026, 14 h 05`` or ``November 22, 2026, 2:05 PM``."""
    if language == "fr":
        return f"{format_date(moment, language)}, {moment.hour} h {moment.minute:02d}"
    hour = moment.hour % 12 or 12
    meridiem = "AM" if moment.hour < 12 else "PM"
    return f"{format_date(moment, language)}, {hour}:{moment.minute:02d} {meridiem}"


WEEKDAYS: dict[Language, tuple[str, ...]] = {
    "fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}


def format_slot(moment: datetime, language: Language) -> str:
    """A callback slot: ``mardi 24 novembre, 9 h 30`` or ``Tuesday, November 24, 9:30 AM``.

    Shown in the slot's own time zone (the agency's), which is the kiosk's.
    """
    weekday = WEEKDAYS[language][moment.weekday()]
    month = MONTHS[language][moment.month - 1]
    if language == "fr":
        day = "1er" if moment.day == 1 else str(moment.day)
        return f"{weekday} {day} {month}, {moment.hour} h {moment.minute:02d}"
    hour = moment.hour % 12 or 12
    meridiem = "AM" if moment.hour < 12 else "PM"
    return f"{weekday}, {month} {moment.day}, {hour}:{moment.minute:02d} {meridiem}"
