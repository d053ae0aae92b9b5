"""Rich text (HTML fragments from exports and APIs) as plain text with one block per line."""

from __future__ import annotations

import re

import lxml.html

_BLOCKS = frozenset("p div li ul ol h1 h2 h3 h4 h5 h6 table tr section article blockquote dd dt pre".split())
# C0/C1 control characters (an export ships them mid-word) and soft hyphens: editing debris, not text.
INVISIBLE_RE = re.compile("[\u00ad\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def html_to_text(fragment: str | None) -> str:
    """Text of an HTML fragment; block elements and <br> end a line, blank lines between blocks.

    The fact extractors treat a line break as a sentence end, so headings and list items must not run
    into the next sentence.
    """
    fragment = INVISIBLE_RE.sub("", fragment or "")
    if not fragment.strip():
        return ""
    root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    for element in root.iter():
        if not isinstance(element.tag, str):  # comments and processing instructions
            continue
        tag = element.tag.lower()
        if tag == "br":
            element.tail = "\n" + (element.tail or "")
        elif tag in _BLOCKS:
            element.text = "\n\n" + (element.text or "")
            element.tail = "\n\n" + (element.tail or "")
    lines = (" ".join(line.split()) for line in root.text_content().split("\n"))
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def one_line(fragment: str | None) -> str:
    """An HTML fragment (a title, a label) as a single line."""
    return " ".join(html_to_text(fragment).split())
