"""Splitting a programme's text into passages: units for embedding (within 512 tokens) and for quotes."""

from __future__ import annotations

import re

from catalog.schema import ProgrammeIn

# About 250-350 XLM-R tokens of German text: safely inside e5's 512-token window with the prefix.
MAX_CHARS = 900
_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+(?=[A-ZÄÖÜ0-9„\"(])")


def split_text(text: str, max_chars: int = MAX_CHARS) -> list[str]:
    """Paragraphs, merged while short and split at sentence ends when too long."""
    passages: list[str] = []
    buf = ""
    for para in (p.strip() for p in re.split(r"\n\s*\n", text)):
        if not para:
            continue
        for piece in _pieces(" ".join(para.split()), max_chars):
            if buf and len(buf) + len(piece) + 1 > max_chars:
                passages.append(buf)
                buf = ""
            buf = f"{buf} {piece}".strip()
    if buf:
        passages.append(buf)
    return passages


def _pieces(para: str, max_chars: int) -> list[str]:
    if len(para) <= max_chars:
        return [para]
    out: list[str] = []
    buf = ""
    for sentence in _SENTENCE_END.split(para):
        while len(sentence) > max_chars:  # a run-on "sentence": cut at a space
            cut = sentence.rfind(" ", 0, max_chars)
            cut = cut if cut > 0 else max_chars
            out.append(sentence[:cut])
            sentence = sentence[cut:].strip()
        if buf and len(buf) + len(sentence) + 1 > max_chars:
            out.append(buf)
            buf = ""
        buf = f"{buf} {sentence}".strip()
    if buf:
        out.append(buf)
    return out


def programme_passages(p: ProgrammeIn) -> list[str]:
    """The title and summary lead the first passage so every passage set starts with what it is."""
    head = " - ".join(x for x in (p.title, p.short_name) if x)
    first = f"{head}. {p.summary}"
    themes = f"Themen: {', '.join(p.themes)}." if p.themes else ""
    return split_text("\n\n".join(x for x in (first, themes, p.text, p.curated_description) if x))
