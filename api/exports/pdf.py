"""The report as PDF (fpdf2), in DejaVu Sans so German text and the euro sign print as written."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from api.exports.content import (
    DISCLAIMER,
    Entry,
    Report,
    criterion_text,
    de_date,
    deadline_text,
    eur,
    level_text,
    pct,
    profile_facts,
    sources,
    status_text,
    verdict_text,
)
from api.routes.desk import is_web_url

FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf", "I": "DejaVuSans-Oblique.ttf"}
TEXT_RGB, MUTED_RGB = (29, 39, 51), (91, 104, 119)
VERDICT_RGB = {"eligible": (30, 123, 52), "ineligible": (179, 38, 30), "unclear": (138, 97, 0)}
# Core PDF fonts know only Latin-1; without DejaVu the few other characters are spelled out.
LATIN1 = str.maketrans({"€": "EUR", "„": '"', "“": '"', "”": '"', "‚": "'", "‘": "'", "’": "'", "–": "-",
                        "—": "-", "…": "...", "→": "->", "×": "x", "\u202f": " ", "\u00a0": " "})


def font_dir() -> Path | None:
    """Debian's fonts-dejavu-core, else the copy matplotlib ships (when installed), else none."""
    candidates = [Path("/usr/share/fonts/truetype/dejavu")]
    spec = importlib.util.find_spec("matplotlib")
    if spec and spec.origin:
        candidates.append(Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf")
    return next((d for d in candidates if all((d / f).is_file() for f in FONT_FILES.values())), None)


class ReportPDF(FPDF):
    def __init__(self) -> None:
        super().__init__(format="A4")
        fonts = font_dir()
        self.base_family = "DejaVu" if fonts else "helvetica"
        if fonts:
            for style, name in FONT_FILES.items():
                self.add_font("DejaVu", style, str(fonts / name))
        self.set_margins(18, 16, 18)
        self.set_auto_page_break(True, margin=16)
        self.set_creator("foerdermatch")

    def normalize_text(self, text: str) -> str:
        if self.base_family != "DejaVu":
            text = text.translate(LATIN1).encode("latin-1", "replace").decode("latin-1")
        return super().normalize_text(text)

    def footer(self) -> None:
        self.set_y(-12)
        self.use_font(8, color=MUTED_RGB)
        self.cell(0, 5, f"foerdermatch · Seite {self.page_no()} von {{nb}}", align="C")

    def use_font(self, size: float, bold: bool = False, italic: bool = False, color: tuple[int, int, int] = TEXT_RGB
              ) -> None:
        self.set_font(self.base_family, ("B" if bold else "") + ("I" if italic else ""), size)
        self.set_text_color(*color)

    def para(self, text: str, size: float = 10, *, bold: bool = False, italic: bool = False,
             color: tuple[int, int, int] = TEXT_RGB, height: float = 5, indent: float = 0) -> None:
        self.use_font(size, bold, italic, color)
        self.set_x(self.l_margin + indent)
        self.multi_cell(0, height, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def link_line(self, label: str, url: str, indent: float = 0) -> None:
        self.use_font(9, color=(11, 92, 173))
        self.set_x(self.l_margin + indent)
        self.multi_cell(0, 4.5, f"{label}{url}", align="L", link=url, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _facts(pdf: ReportPDF, report: Report) -> None:
    pdf.para("Vorhaben", 13, bold=True, height=8)
    facts = profile_facts(report.profile)
    if report.case_notes:
        facts.append(("Notizen der Beratung", report.case_notes))
    for label, value in facts:  # label beside a wrapping value; a table row could not break across pages
        pdf.use_font(9.5, bold=True)
        pdf.cell(45, 5, label)
        pdf.use_font(9.5)
        pdf.multi_cell(0, 5, value, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)


def _checks(pdf: ReportPDF, e: Entry) -> None:
    pdf.para("Prüfung der Förderfähigkeit", 10.5, bold=True, height=6)
    for ch in e.checks:
        pdf.para(f"• {criterion_text(ch['criterion'])} – {verdict_text(ch['verdict'])}: {ch['reason']}", 9.5,
                 indent=2, color=TEXT_RGB if ch["verdict"] == "eligible" else VERDICT_RGB.get(ch["verdict"], TEXT_RGB))
        if ch.get("evidence"):
            pdf.para(f"„{ch['evidence']}“", 8.5, italic=True, color=(68, 80, 94), indent=6, height=4.5)
        if is_web_url(ch.get("source_url")):
            pdf.link_line("Quelle: ", ch["source_url"], indent=6)


def _contribution(pdf: ReportPDF, e: Entry) -> None:
    c = e.contribution
    pdf.para("Eigenanteil", 10.5, bold=True, height=7)
    pdf.use_font(9.5)
    heads = ("Zuwendungsfähige Ausgaben", "Zuschuss", "Eigenanteil", "Förderquote")
    values = (eur(c.get("eligible_costs_eur")), eur(c.get("grant_eur")), eur(c.get("own_eur")), pct(c.get("rate")))
    with pdf.table(text_align=("LEFT", "RIGHT", "RIGHT", "RIGHT"), line_height=5.5) as table:
        table.row(heads)
        table.row(values)
    pdf.para(f"Was zählt: {e.own_funds}", 9.5)
    if e.calculation:
        pdf.para(e.calculation, 8.5, color=MUTED_RGB, height=4.5)


def _entry(pdf: ReportPDF, e: Entry) -> None:
    p = e.programme
    pdf.ln(3)
    pdf.para(f"{e.rank}. {p.title}" if e.rank else p.title, 12.5, bold=True, height=6.5)
    pdf.para(f"{p.funder} · {level_text(p.level)} · Kennung {p.id}", 8.5, color=MUTED_RGB, height=4.5)
    pdf.para(f"Förderfähigkeit: {verdict_text(e.verdict)}", 10.5, bold=True, color=VERDICT_RGB.get(e.verdict, TEXT_RGB))
    pdf.para(f"Status: {status_text(e)} · Nächste Frist: {deadline_text(e.deadline)}", 10)
    if e.item_status:
        pdf.para(f"Stand der Beratung: {e.item_status}" + (f" – {e.item_note}" if e.item_note else ""), 10)
    _checks(pdf, e)
    _contribution(pdf, e)
    stand = de_date(p.as_of) if p.as_of else "ohne Datum in der Quelle"
    pdf.para(f"Stand der Angaben: {stand}", 8.5, color=MUTED_RGB, height=4.5)
    for url in sources(e):
        pdf.link_line("Quelle: ", url)


def to_pdf(report: Report) -> bytes:
    pdf = ReportPDF()
    pdf.set_title(report.title)
    pdf.add_page()
    pdf.para(report.title, 17, bold=True, height=9)
    count = len(report.entries)
    pdf.para(f"Erstellt am {de_date(report.created)} mit foerdermatch · {count} Programm{'e' if count != 1 else ''}",
             9, color=MUTED_RGB)
    pdf.ln(3)
    _facts(pdf, report)
    if not report.entries:
        pdf.para("Auf der Auswahlliste steht noch kein Programm." if report.kind == "case"
                 else "Kein Programm passt zu diesen Angaben.", 10, italic=True)
    for e in report.entries:
        _entry(pdf, e)
    pdf.ln(4)
    pdf.para(DISCLAIMER, 8.5, color=(68, 80, 94), height=4.5)
    return bytes(pdf.output())
