"""Call status computed from deadlines, and passage splitting."""

import datetime as dt

from catalog.passages import MAX_CHARS, programme_passages, split_text
from catalog.status import next_deadline, status
from tests.factories import programme

TODAY = dt.date(2026, 11, 24)


def test_status_from_deadlines() -> None:
    assert status(programme(), TODAY) == "unknown"
    assert status(programme(deadlines=[{"kind": "application", "date": "2027-01-31"}]), TODAY) == "open"
    assert status(programme(deadlines=[{"kind": "application", "date": "2026-01-31"}]), TODAY) == "closed"
    assert status(programme(deadlines=[{"kind": "rolling"}]), TODAY) == "rolling"
    assert status(programme(deadlines=[{"kind": "rolling", "end": "2026-10-15"}]), TODAY) == "closed"
    window = {"kind": "window", "date": "2027-02-01", "end": "2027-03-31"}
    assert status(programme(deadlines=[window]), TODAY) == "forthcoming"
    assert status(programme(deadlines=[window], paused=True), TODAY) == "paused"


def test_two_stage_next_deadline_is_the_sketch() -> None:
    p = programme(deadlines=[{"kind": "application", "date": "2027-06-30"}, {"kind": "interest", "date": "2027-03-31"}])
    assert next_deadline(p, TODAY).kind == "interest"
    assert next_deadline(p, dt.date(2027, 4, 1)).kind == "application"


def test_passages_stay_short_and_keep_all_words() -> None:
    long_text = "\n\n".join(["Dies ist ein Satz über Partnerschaften. " * 40, "Kurz.", "Noch ein Absatz."])
    parts = split_text(long_text)
    assert all(len(x) <= MAX_CHARS for x in parts)
    assert " ".join(parts).split() == long_text.split()
    first = programme_passages(programme(short_name="TP"))[0]
    assert first.startswith("Testprogramm Partnerschaften - TP.")
