"""Every patient-facing sentence in the code and templates has a Spanish translation."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from clinicfinder.config import PROJECT_ROOT
from clinicfinder.core.i18n import text_for

KEYWORDS = {"_": None, "_l": None, "N_": None, "gettext": None, "ngettext": (1, 2)}
METHODS = [("clinicfinder/**.py", "python"), ("templates/**.html", "jinja2")]


def messages_in_sources() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(PROJECT_ROOT), METHODS, keywords=KEYWORDS, comment_tags=()
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def test_every_message_in_the_sources_is_translated_to_spanish() -> None:
    with Path(PROJECT_ROOT / "translations/es/LC_MESSAGES/messages.po").open("rb") as stream:
        catalogue = read_po(stream)
    translated = {
        (m.id[0] if isinstance(m.id, tuple) else m.id)
        for m in catalogue
        if m.id and not m.fuzzy and (all(m.string) if isinstance(m.string, tuple) else bool(m.string))
    }
    missing = sorted(messages_in_sources() - translated)
    assert missing == [], f"untranslated (run `make extract-messages` and translate): {missing[:10]}"


def test_the_compiled_catalogue_is_what_the_core_reads() -> None:
    spanish = text_for("es")
    assert spanish.gettext("Offers this treatment.") == "Ofrece este tratamiento."
    assert spanish.ngettext("{count} fits", "{count} fit", 2) == "2 encajan"
    assert spanish.money(21600, "EUR") == "21.600\xa0€"
