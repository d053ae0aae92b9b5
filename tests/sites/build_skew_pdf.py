"""Builds the reconstructed SKEW Merkblatt PDF fixture: `python tests/sites/build_skew_pdf.py` (needs fpdf2).

The text is written in our own words from the facts in config/programmes/skew.yaml (skew-kepol-koordination);
it holds the rules (rate, financing type, duration, deadlines) that the reconstructed detail page leaves out.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from fpdf import FPDF

SITE = Path(__file__).resolve().parent / "skew.engagement-global.de"
OUT = SITE / "fileadmin/user_upload/merkblatt-kepol-koordination.pdf"

TITLE = "Merkblatt zum Förderinstrument Koordination kommunaler Entwicklungspolitik"
PAGES = [
    [
        (
            "Gegenstand der Förderung",
            "Gefördert wird eine Personalstelle zur Koordination kommunaler Entwicklungspolitik in der "
            "Kommunalverwaltung. Die Stelle verankert das entwicklungspolitische Engagement der Kommune dauerhaft.",
        ),
        (
            "Antragsberechtigte",
            "Antragsberechtigt sind deutsche Kommunalverwaltungen einschließlich der Landkreise. Zusammenschlüsse "
            "mehrerer Kommunen können Gruppenanträge stellen.",
        ),
        (
            "Art und Umfang der Förderung",
            "Die Förderung erfolgt im Wege einer Anteilsfinanzierung. Bezuschusst werden bis zu 90 Prozent der "
            "zuwendungsfähigen Gesamtausgaben. Die Förderdauer beträgt 24 Monate. Eine Anschlussförderung um bis "
            "zu weitere 24 Monate ist möglich.",
        ),
    ],
    [
        (
            "Verfahren und Fristen",
            "Das Verfahren ist zweistufig und läuft über die Förderprojektsoftware von Engagement Global. Für einen "
            "Projektstart im Haushaltsjahr 2027 ist der Antragsentwurf bis spätestens 31. März 2026 einzureichen, "
            "der Antrag bis spätestens 30. Juni 2026.",
        ),
        (
            "Haushaltsvorbehalt",
            "Die Förderung steht unter dem Vorbehalt der Verfügbarkeit von Haushaltsmitteln. Ein Rechtsanspruch "
            "auf Förderung besteht nicht.",
        ),
    ],
]


def build(out: Path = OUT) -> Path:
    pdf = FPDF(format="A4")
    pdf.set_creation_date(dt.datetime(2025, 1, 1, tzinfo=dt.UTC))  # fixed: rebuilding gives the same bytes
    pdf.set_title(TITLE)
    for number, sections in enumerate(PAGES, start=1):
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 13)
        heading = TITLE if number == 1 else "Koordination kommunaler Entwicklungspolitik"
        pdf.multi_cell(0, 7, heading, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
        for section, body in sections:
            pdf.set_font("Helvetica", "B", 11)
            pdf.multi_cell(0, 6, section, new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("Helvetica", "", 11)
            pdf.multi_cell(0, 6, body, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(3)
        pdf.set_font("Helvetica", "", 9)
        pdf.multi_cell(0, 5, f"Seite {number} von {len(PAGES)}", new_x="LMARGIN", new_y="NEXT")
    out.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(out))
    return out


if __name__ == "__main__":
    print(build())
