"""German messages for invalid form input: pydantic explains in English, the desk speaks German."""

from __future__ import annotations

from typing import Any

SHOWN_CHARS = 80  # of the invalid value quoted back in the message

# What each form field is called on the pages, and what to say when its value is wrong.
FIELD_HELP_DE = {
    "idea": ("Projektidee", "Bitte beschreiben Sie Ihr Vorhaben (höchstens 5.000 Zeichen)."),
    "type": ("Antragsteller", "Bitte wählen Sie, wer den Antrag stellt."),
    "country": ("Partnerland", "Dieses Land kennen wir nicht. Bitte einen deutschen oder englischen "
                               "Ländernamen oder den ISO-Code (z. B. GH) angeben."),
    "state": ("Bundesland", "Bitte das Kürzel eines Bundeslandes angeben, z. B. NW oder BY."),
    "budget_eur": ("Gesamtbudget", "Bitte einen Betrag in Euro größer als 0 angeben, z. B. 120000."),
    "duration_months": ("Laufzeit", "Bitte die Laufzeit in ganzen Monaten angeben (1 bis 240)."),
    "participants": ("Teilnehmende", "Bitte eine ganze Zahl größer als 0 angeben."),
    "municipality": ("Kommune", "Bitte den Namen der Kommune angeben."),
    "start": ("Projektbeginn", "Bitte als Monat angeben, z. B. 2027-03."),
    "name": ("Name", "Bitte einen Namen angeben."),
    "programme_id": ("Programm", "Bitte ein Programm aus dem Katalog wählen."),
    "status": ("Status", "Bitte einen der angebotenen Status wählen."),
    "note": ("Notiz", "Die Notiz ist zu lang."),
    "owner_id": ("Zuständig", "Bitte eine Beraterin oder einen Berater wählen."),
}


def german_error(err: Any) -> str:
    """One German sentence for the first invalid field (pydantic's own text is English).
    Takes a pydantic ValidationError or one of its error dicts."""
    if hasattr(err, "errors"):
        err = err.errors()[0]
    loc = [x for x in err.get("loc", ()) if not isinstance(x, int) and x not in ("body", "query", "form")]
    field = str(loc[-1]) if loc else ""
    label, hint = FIELD_HELP_DE.get(field, (field or "Formular", "Bitte prüfen Sie Ihre Angabe."))
    given = err.get("input")
    text = str(given).strip() if isinstance(given, str | int | float) else ""
    text = text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + "…"  # a 5 MB idea is not repeated whole
    shown = f" („{text}“)" if text else ""
    return f"Bitte prüfen Sie das Feld „{label}“{shown}: {hint}"
