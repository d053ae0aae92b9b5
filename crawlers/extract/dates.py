"""Calendar dates in German and English text: '30. September 2026', '31.07.2023', '2026-01-31'."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

_MONTHS = {
    "januar": 1,
    "jänner": 1,
    "februar": 2,
    "märz": 3,
    "maerz": 3,
    "april": 4,
    "mai": 5,
    "juni": 6,
    "juli": 7,
    "august": 8,
    "september": 9,
    "oktober": 10,
    "november": 11,
    "dezember": 12,
    "january": 1,
    "february": 2,
    "march": 3,
    "may": 5,
    "june": 6,
    "july": 7,
    "october": 10,
    "december": 12,
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "sept": 9,
    "oct": 10,
    "okt": 10,
    "nov": 11,
    "dec": 12,
    "dez": 12,
}
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DATE_RE = re.compile(
    r"(?P<iy>\d{4})-(?P<im>\d{2})-(?P<id>\d{2})"
    r"|(?<![\d.])(?P<nd>\d{1,2})\.(?P<nm>\d{1,2})\.(?P<ny>\d{4}|\d{2}(?!\d))?"
    r"|(?<![\d/])(?P<sd>\d{1,2})/(?P<sm>\d{1,2})/(?P<sy>\d{4})"
    rf"|(?<!\d)(?P<ld>\d{{1,2}})(?:\.|st|nd|rd|th)?\s*(?P<lm>{_MONTH_RE})\b\.?(?:,?\s+(?P<ly>\d{{4}}))?"
    rf"|\b(?P<em>{_MONTH_RE})\.?\s+(?P<ed>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<ey>\d{{4}})",
    re.I,
)


@dataclass(frozen=True)
class DateMention:
    """A day and month found in text, with the year if the text gives one."""

    day: int
    month: int
    year: int | None
    start: int
    end: int

    def resolve(self, as_of: dt.date) -> dt.date | None:
        """The stated date, or without a year the next such date on or after ``as_of``."""
        if self.year is not None:
            return _safe_date(self.year, self.month, self.day)
        for year in (as_of.year, as_of.year + 1, as_of.year + 2):
            candidate = _safe_date(year, self.month, self.day)
            if candidate and candidate >= as_of:
                return candidate
        return None


def _safe_date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _parts(match: re.Match[str]) -> tuple[str | None, str | None, str | None]:
    g = match.groupdict()
    for d, m, y in (
        ("id", "im", "iy"),
        ("nd", "nm", "ny"),
        ("sd", "sm", "sy"),
        ("ld", "lm", "ly"),
        ("ed", "em", "ey"),
    ):
        if g[d]:
            return g[d], g[m], g[y]
    return None, None, None


def find_dates(text: str) -> list[DateMention]:
    """All dates in a text; a German ordinal before a month word ('30. September') needs the dot."""
    found: list[DateMention] = []
    for match in _DATE_RE.finditer(text):
        day, month, year = _parts(match)
        if day is None or month is None:
            continue
        month_no = int(month) if month.isdigit() else _MONTHS[month.lower()]
        year_no = None if year is None else int(year) + (2000 if len(year) == 2 else 0)
        if 1 <= int(day) <= 31 and 1 <= month_no <= 12 and _safe_date(year_no or 2000, month_no, int(day)):
            found.append(DateMention(int(day), month_no, year_no, match.start(), match.end()))
    return found
