"""Rebuild the Förderdatenbank export fixture (a zip, like the live /FDB/WS/export) from its two trees.

Run: .venv/bin/python tests/sites/build_fdb_zip.py  (byte-identical output for identical input)
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

SITES = Path(__file__).resolve().parent
# The real export documents, copied unchanged, and our reconstructed ones in the same format.
TREES = (SITES / "foerderdatenbank-export", SITES / "foerderdatenbank-reconstructed")
TARGET = SITES / "www.foerderdatenbank.de" / "FDB" / "WS" / "export"


def build(trees: tuple[Path, ...] = TREES) -> bytes:
    """A zip with every XML file of the trees at its path below the tree root (BMWI/FDB/...)."""
    members = sorted((f.relative_to(tree).as_posix(), f) for tree in trees for f in tree.rglob("*.xml"))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, file in members:
            info = zipfile.ZipInfo(name, date_time=(2025, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, file.read_bytes())
    return buffer.getvalue()


if __name__ == "__main__":
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    TARGET.write_bytes(build())
    print(f"{TARGET.relative_to(SITES)}: {len(zipfile.ZipFile(TARGET).namelist())} documents")
