"""A first-visit guide for the Fertility Report: what to bring, ask, prepare and budget for.

The text is not here: it lives in `content/guide/` and `content/glossary.yaml` (how to edit them:
`content/README.md`), so a clinician can correct a sentence without reading Python. This module
loads it once, checks it, and puts one patient's guide together. Pure Python, no Flask.

Every sentence is a msgid in `translations/`: babel.cfg extracts the content files with
`extract_messages` below, and the text is translated where the report is rendered. Each item
tailored to a treatment, a diagnosis or a situation cites at least one published guideline in
`content/guide/references.yaml`; loading fails if one does not. The text is written in our own
words: facts carry over from the guidelines, their wording does not.

Medical care in wording: no doses, no outcome figures, nothing promised. Micro-TESE is
presented as the usual technique for non-obstructive azoospermia; with a blockage, retrieval
usually finds sperm, but the guide says so only as something to ask about.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import IO, Any

import yaml

from clinicfinder.core.domain import Treatment
from clinicfinder.core.paths import CONTENT_DIR
from clinicfinder.core.vocabulary import DIAGNOSIS_LABELS, SITUATION_LABELS  # the codes a file may be named


@dataclass(frozen=True)
class Reference:
    key: str  # short id, e.g. "aua-asrm-2024"
    title: str  # the publication's own title, not translated
    publisher: str  # not translated
    year: int
    url: str  # https URL of the publication or the publisher's page for it


@dataclass(frozen=True)
class GuideItem:
    text: str  # a msgid, translated where it is shown
    references: tuple[str, ...] = ()  # Reference.key values backing this item


@dataclass(frozen=True)
class GuideSection:
    key: str  # "bring" | "ask" | "prepare" | "costs"
    title: str  # "What to bring" etc., a msgid
    items: tuple[GuideItem, ...]


@dataclass(frozen=True)
class Guide:
    sections: tuple[GuideSection, ...]  # always in order bring, ask, prepare, costs; no empty section
    references: tuple[Reference, ...]  # only those cited by the items, in first-cited order


@dataclass(frozen=True)
class GlossaryEntry:
    term: str  # a msgid
    definition: str  # a msgid


Additions = Mapping[str, tuple[GuideItem, ...]]
"""Items to add, by section key."""


@dataclass(frozen=True)
class Part:
    """What one content file adds to a guide, its includes first."""

    additions: Additions
    omitted: frozenset[str] = frozenset()  # texts left out of any guide this part is in


@dataclass(frozen=True)
class GuideContent:
    section_titles: dict[str, str]  # in the order the report shows the sections
    references: dict[str, Reference]
    core: Part
    treatments: dict[Treatment, Part]
    diagnoses: dict[str, Part]
    situations: dict[str, Part]
    glossary: tuple[GlossaryEntry, ...]


class GuideContentError(ValueError):
    """A content file that cannot be used; the message names the file and the item."""


# --- Loading and checking --------------------------------------------------------------------

# The fields whose text a patient reads: extracted for translation, and never empty.
TRANSLATED_FIELDS = ("text", "title", "term", "definition")
_PART_DIRECTIVES = ("include", "omit")


try:
    from yaml import CSafeLoader as _SafeLoader  # libyaml reads the content in a fifth of the time
except ImportError:  # a PyYAML built without libyaml
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]  # the same API, in Python


class _Loader(_SafeLoader):
    """Safe YAML that refuses a key given twice: plain YAML keeps the last one and drops the rest unseen."""


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _value in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"{key!r} is given twice", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


@dataclass
class _Reader:
    """Reads the content files under one content folder and says which file and item a problem is in."""

    root: Path  # the content folder
    references: dict[str, Reference] = field(default_factory=dict)
    section_keys: tuple[str, ...] = ()
    shared: dict[str, GuideItem] = field(default_factory=dict)
    parts: dict[Path, Part] = field(default_factory=dict)

    def name(self, path: Path) -> str:
        return path.relative_to(self.root.parent).as_posix()

    def fail(self, path: Path, problem: str) -> GuideContentError:
        return GuideContentError(f"{self.name(path)}: {problem}")

    def load(self, path: Path) -> Any:
        try:
            with path.open(encoding="utf-8") as stream:
                return yaml.load(stream, Loader=_Loader)  # noqa: S506 -- _Loader is a SafeLoader with one check added
        except FileNotFoundError:
            raise self.fail(path, "file not found") from None
        except yaml.YAMLError as error:
            raise self.fail(path, f"not valid YAML: {error}") from error

    def mapping(self, path: Path, value: Any, where: str) -> dict[str, Any]:
        if not isinstance(value, dict) or not all(isinstance(key, str) for key in value):
            raise self.fail(path, f"{where}: expected `key: value` lines")
        return value

    def fields(
        self, path: Path, value: Any, where: str, required: tuple[str, ...], optional: tuple[str, ...] = ()
    ) -> dict[str, Any]:
        fields = self.mapping(path, value, where)
        unknown = sorted(fields.keys() - {*required, *optional})
        if unknown:
            raise self.fail(
                path, f"{where}: unknown field {unknown[0]!r}; expected {', '.join((*required, *optional))}"
            )
        missing = [key for key in required if key not in fields]
        if missing:
            raise self.fail(path, f"{where}: missing {missing[0]!r}")
        for key in TRANSLATED_FIELDS:
            if key in fields and not (isinstance(fields[key], str) and fields[key].strip()):
                raise self.fail(path, f"{where}: {key!r} must be some text")
        return fields

    def names(self, path: Path, value: Any, where: str) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
            raise self.fail(path, f"{where}: expected a list such as [a, b]")
        return value

    def read_references(self, path: Path) -> None:
        for key, value in self.mapping(path, self.load(path), "the file").items():
            ref = self.fields(path, value, f"reference {key!r}", ("title", "publisher", "year", "url"))
            if not isinstance(ref["year"], int) or not str(ref["url"]).startswith("https://"):
                raise self.fail(path, f"reference {key!r}: year must be a number and url an https:// address")
            self.references[key] = Reference(key, str(ref["title"]), str(ref["publisher"]), ref["year"], ref["url"])

    def read_sections(self, path: Path) -> dict[str, str]:
        entries = self.load(path)
        if not isinstance(entries, list) or not entries:
            raise self.fail(path, "expected a list of sections, each with a key and a title")
        titles: dict[str, str] = {}
        for number, value in enumerate(entries, 1):
            section = self.fields(path, value, f"section {number}", ("key", "title"))
            titles[str(section["key"])] = section["title"]
        self.section_keys = tuple(titles)
        return titles

    def item(self, path: Path, value: Any, where: str, *, tailored: bool) -> GuideItem:
        fields = self.mapping(path, value, where)
        if "use" in fields:
            self.fields(path, fields, where, ("use",))
            name = fields["use"]
            if name not in self.shared:
                raise self.fail(
                    path, f"{where}: unknown shared item {name!r}; the names are in content/guide/shared.yaml"
                )
            found = self.shared[name]
        else:
            self.fields(path, fields, where, ("text",), ("references",))
            found = GuideItem(fields["text"], tuple(self.names(path, fields.get("references", []), where)))
            where = f"{where} ({_opening(found.text)})"
        unknown = [key for key in found.references if key not in self.references]
        if unknown:
            raise self.fail(
                path, f"{where}: unknown reference {unknown[0]!r}; the keys are in content/guide/references.yaml"
            )
        if tailored and not found.references:
            raise self.fail(
                path, f"{where}: cites no reference; an item for a treatment, diagnosis or situation needs one"
            )
        return found

    def read_shared(self, path: Path) -> None:
        for name, value in self.mapping(path, self.load(path), "the file").items():
            # A shared item is checked where it is used: core items need no reference, tailored ones do.
            fields = self.fields(path, value, f"shared item {name!r}", ("text",), ("references",))
            references = tuple(self.names(path, fields.get("references", []), f"shared item {name!r}"))
            unknown = [key for key in references if key not in self.references]
            if unknown:
                raise self.fail(path, f"shared item {name!r}: unknown reference {unknown[0]!r}")
            self.shared[name] = GuideItem(fields["text"], references)

    def part(self, path: Path, *, tailored: bool, including: tuple[Path, ...] = ()) -> Part:
        if path in including:
            raise self.fail(path, "includes itself, through " + " → ".join(self.name(p) for p in including))
        if path in self.parts:
            return self.parts[path]
        fields = self.mapping(path, self.load(path) or {}, "the file")
        unknown = sorted(fields.keys() - {*_PART_DIRECTIVES, *self.section_keys})
        if unknown:
            sections = ", ".join(self.section_keys)
            raise self.fail(
                path, f"unknown section {unknown[0]!r}; expected {sections} (sections.yaml), include or omit"
            )
        included = [
            self.part(self.include(path, name), tailored=tailored, including=(*including, path))
            for name in self.names(path, fields.get("include", []), "include")
        ]
        omitted = set().union(*(part.omitted for part in included))
        for name in self.names(path, fields.get("omit", []), "omit"):
            if name not in self.shared:
                raise self.fail(path, f"omit: unknown shared item {name!r}; the names are in content/guide/shared.yaml")
            omitted.add(self.shared[name].text)
        own: dict[str, tuple[GuideItem, ...]] = {}
        for key in self.section_keys:
            if key in fields:
                if not isinstance(fields[key], list) or not fields[key]:
                    raise self.fail(path, f"section {key!r} is empty; remove it or add an item")
                own[key] = tuple(
                    self.item(path, value, f"{key}, item {number}", tailored=tailored)
                    for number, value in enumerate(fields[key], 1)
                )
        if not own and not included:
            raise self.fail(path, f"adds nothing; expected items under {', '.join(self.section_keys)}")
        part = Part(_merge(*(p.additions for p in included), own), frozenset(omitted))
        self.parts[path] = part
        return part

    def include(self, path: Path, name: str) -> Path:
        target = self.root / "guide" / name
        if not target.is_file():
            raise self.fail(path, f"include: no file {name!r} in content/guide/")
        return target

    def coded_parts(self, folder: str, codes: Iterable[str], what: str) -> dict[str, Part]:
        directory = self.root / "guide" / folder
        known = set(codes)
        parts: dict[str, Part] = {}
        for path in sorted(directory.iterdir()) if directory.is_dir() else ():
            if path.name.startswith("."):  # an editor's swap or backup file
                continue
            if path.suffix != ".yaml" or path.stem not in known:
                raise self.fail(
                    path, f"no {what} is called {path.stem!r}; the file names are {', '.join(sorted(known))} (.yaml)"
                )
            parts[path.stem] = self.part(path, tailored=True)
        return parts


def load_content(directory: Path) -> GuideContent:
    """Reads and checks every content file under `directory` (a folder like the project's content/)."""
    if not (directory / "guide").is_dir():
        raise GuideContentError(f"no guide content in {directory}: expected {directory / 'guide'}/ (see CONTENT_DIR)")
    reader = _Reader(directory)
    guide = directory / "guide"
    titles = reader.read_sections(guide / "sections.yaml")
    reader.read_references(guide / "references.yaml")
    reader.read_shared(guide / "shared.yaml")
    core = reader.part(guide / "core.yaml", tailored=False)
    treatments = reader.coded_parts("treatments", (t.value for t in Treatment), "treatment")
    missing = [t.value for t in Treatment if t.value not in treatments]
    if missing:
        raise GuideContentError(f"{reader.name(guide / 'treatments')}: no file for the treatment {missing[0]!r}")
    diagnoses = reader.coded_parts("diagnoses", (code for code in DIAGNOSIS_LABELS if code), "diagnosis")
    situations = reader.coded_parts("situations", (code for code in SITUATION_LABELS if code), "situation")
    return GuideContent(
        section_titles=titles,
        references=reader.references,
        core=core,
        treatments={Treatment(code): part for code, part in treatments.items()},
        diagnoses=diagnoses,
        situations=situations,
        glossary=_read_glossary(reader, directory / "glossary.yaml"),
    )


def _read_glossary(reader: _Reader, path: Path) -> tuple[GlossaryEntry, ...]:
    entries = reader.load(path)
    if not isinstance(entries, list) or not entries:
        raise reader.fail(path, "expected a list of entries, each with a term and a definition")
    glossary: list[GlossaryEntry] = []
    for number, value in enumerate(entries, 1):
        entry = reader.fields(path, value, f"entry {number}", ("term", "definition"))
        glossary.append(GlossaryEntry(entry["term"], entry["definition"]))
    return tuple(glossary)


def _merge(*parts: Additions) -> dict[str, tuple[GuideItem, ...]]:
    merged: dict[str, tuple[GuideItem, ...]] = {}
    for part in parts:
        for key, items in part.items():
            merged[key] = merged.get(key, ()) + items
    return merged


def _opening(text: str) -> str:
    return repr(text if len(text) <= 60 else text[:60].rsplit(" ", 1)[0] + " …")


@cache
def content() -> GuideContent:
    """The project's content, read once."""
    return load_content(CONTENT_DIR)


# Read at import, so broken content fails the app's start and the tests, not a patient's report.
REFERENCES: dict[str, Reference] = content().references
GLOSSARY: tuple[GlossaryEntry, ...] = content().glossary
SECTION_TITLES: dict[str, str] = content().section_titles
SECTION_KEYS: tuple[str, ...] = tuple(SECTION_TITLES)


# --- One patient's guide ---------------------------------------------------------------------


def first_visit_guide(treatment: Treatment, diagnosis: str | None, situation: str | None) -> Guide:
    """The guide for one patient: the common core, then treatment, diagnosis and situation additions.

    Unknown or empty diagnosis and situation codes add nothing. An item that several parts share
    is listed once, where it first appears.
    """
    guide = content()
    parts: list[Part] = [guide.core, guide.treatments[treatment]]
    if diagnosis and diagnosis in guide.diagnoses:
        parts.append(guide.diagnoses[diagnosis])
    if situation and situation in guide.situations:
        parts.append(guide.situations[situation])
    skipped = frozenset().union(*(part.omitted for part in parts))

    sections: list[GuideSection] = []
    for key, title in guide.section_titles.items():
        items = _unique(item for part in parts for item in part.additions.get(key, ()) if item.text not in skipped)
        if items:
            sections.append(GuideSection(key, title, items))
    cited = dict.fromkeys(ref for section in sections for item in section.items for ref in item.references)
    return Guide(tuple(sections), tuple(guide.references[key] for key in cited))


def _unique(items: Iterable[GuideItem]) -> tuple[GuideItem, ...]:
    seen: set[str] = set()
    kept: list[GuideItem] = []
    for item in items:
        if item.text not in seen:
            seen.add(item.text)
            kept.append(item)
    return tuple(kept)


# --- Extraction for translation --------------------------------------------------------------


def extract_messages(
    fileobj: IO[bytes], keywords: object, comment_tags: object, options: object
) -> Iterator[tuple[int, None, str, list[str]]]:
    """pybabel's extractor for the content files (babel.cfg): each translated field's text, with its line."""
    try:
        root = yaml.compose(fileobj, Loader=_Loader)
    except yaml.YAMLError as error:
        raise GuideContentError(f"{getattr(fileobj, 'name', 'a content file')}: not valid YAML: {error}") from error
    yield from _translated(root)


def _translated(node: yaml.Node | None) -> Iterator[tuple[int, None, str, list[str]]]:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value in TRANSLATED_FIELDS and isinstance(value, yaml.ScalarNode):
                # A composed scalar is already folded: a `>-` text spread over lines is one line here.
                yield value.start_mark.line + 1, None, str(value.value), []
            else:
                yield from _translated(value)
    elif isinstance(node, yaml.SequenceNode):
        for child in node.value:
            yield from _translated(child)
