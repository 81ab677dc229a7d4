"""Every patient-facing sentence in the code and templates has a Spanish translation."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from clinicfinder.core.i18n import text_for
from tests.support.paths import PROJECT_ROOT

KEYWORDS = {"_": None, "_l": None, "N_": None, "gettext": None, "ngettext": (1, 2)}


def extracted() -> list[tuple[str, str]]:
    """(file, message) as `make extract-messages` finds them: babel.cfg's mapping, so code, templates and content/."""
    with (PROJECT_ROOT / "babel.cfg").open() as config:
        methods, options = parse_mapping_cfg(config)
    return [
        (file, message[0] if isinstance(message, tuple) else message)
        for file, _line, message, _comments, _context in extract_from_dir(
            str(PROJECT_ROOT), methods, options, keywords=KEYWORDS, comment_tags=()
        )
    ]


def messages_in_sources() -> set[str]:
    return {message for _file, message in extracted()}


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


def test_every_sentence_of_the_guide_and_glossary_is_extracted_from_content() -> None:
    # The guide's text is in content/, not in code: what the report shows must be what is checked above.
    from clinicfinder.core.report.guide import content

    guide = content()
    shown = {*guide.section_titles.values()}
    shown |= {entry.term for entry in guide.glossary} | {entry.definition for entry in guide.glossary}
    for part in (guide.core, *guide.treatments.values(), *guide.diagnoses.values(), *guide.situations.values()):
        shown |= {item.text for items in part.additions.values() for item in items}
    from_content = {message for file, message in extracted() if file.startswith("content/")}
    assert shown - from_content == set()
    # A publication's title is cited as published, not translated.
    assert not {reference.title for reference in guide.references.values()} & from_content


def test_the_compiled_catalogue_is_what_the_core_reads() -> None:
    spanish = text_for("es")
    assert spanish.gettext("Offers this treatment") == "Ofrece este tratamiento"
    assert spanish.ngettext("{count} fits", "{count} fit", 2) == "2 encajan"
    assert spanish.money(21600, "EUR") == "21.600\xa0€"
