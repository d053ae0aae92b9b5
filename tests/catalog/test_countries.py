"""Country names and codes as coordinators write them."""

from __future__ import annotations

import pytest

from config.countries import to_iso2


@pytest.mark.parametrize(("written", "code"), [
    ("FR", "FR"), ("fr", "FR"), ("Frankreich", "FR"), ("France", "FR"), ("Türkei", "TR"), ("Tschechien", "CZ"),
    ("EL", "GR"), ("UK", "GB"), ("Vereinigtes Königreich", "GB"), ("XK", "XK"), ("Elfenbeinküste", "CI"),
])
def test_codes_and_names(written: str, code: str) -> None:
    assert to_iso2(written) == code


@pytest.mark.parametrize("written", ["ZZ", "Atlantis", "", "D E"])
def test_unknown_is_none(written: str) -> None:
    assert to_iso2(written) is None
