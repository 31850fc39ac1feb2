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
