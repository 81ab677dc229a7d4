"""The first-visit guide's text lives in content/: it loads, it is backed by references, and a mistake is named."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from clinicfinder.core.domain import Treatment
from clinicfinder.core.report.guide import CONTENT_DIR, GuideContentError, Part, first_visit_guide, load_content
from clinicfinder.core.vocabulary import DIAGNOSIS_LABELS, SITUATION_LABELS


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, copy)
    return copy


def edit(content: Path, name: str, old: str, new: str) -> None:
    path = content / name
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is not in {name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_the_content_loads_with_a_guide_for_every_treatment_diagnosis_and_situation() -> None:
    content = load_content(CONTENT_DIR)
    assert set(content.treatments) == set(Treatment)
    assert set(content.diagnoses) == {code for code in DIAGNOSIS_LABELS if code}
    assert set(content.situations) <= {code for code in SITUATION_LABELS if code}  # a situation may add nothing
    assert list(content.section_titles) == ["bring", "ask", "prepare", "costs"]
    assert len(content.glossary) >= 10


def test_every_tailored_item_cites_at_least_one_known_reference() -> None:
    content = load_content(CONTENT_DIR)
    parts: list[tuple[str, Part]] = [
        *content.treatments.items(),
        *content.diagnoses.items(),
        *content.situations.items(),
    ]
    for code, part in parts:
        for section, items in part.additions.items():
            for item in items:
                assert item.references, f"{code}, {section}: {item.text!r} cites nothing"
                assert set(item.references) <= content.references.keys(), item.text


def test_a_corrected_sentence_is_what_the_next_guide_shows(content_copy: Path) -> None:
    edit(content_copy, "guide/treatments/ivf.yaml", "How will my stimulation medicines", "How will my medicines")
    content = load_content(content_copy)
    texts = [item.text for item in content.treatments[Treatment.IVF].additions["ask"]]
    assert any(text.startswith("How will my medicines be chosen") for text in texts)
    # ICSI includes the IVF file, so it gets the correction too.
    icsi = [item.text for item in content.treatments[Treatment.ICSI].additions["ask"]]
    assert any(text.startswith("How will my medicines be chosen") for text in icsi)


def test_a_micro_tese_guide_leaves_out_the_question_whether_micro_tese_will_be_used() -> None:
    question = "Will the retrieval be done by micro-TESE?"

    def asks(treatment: Treatment) -> list[str]:
        guide = first_visit_guide(treatment, "non_obstructive_azoospermia", "couple")
        return [item.text for section in guide.sections if section.key == "ask" for item in section.items]

    assert any(text.startswith(question) for text in asks(Treatment.TESE))
    assert not any(text.startswith(question) for text in asks(Treatment.MICRO_TESE))


STIMULATION_ITEM = "content/guide/treatments/ivf.yaml: ask, item 2 ('How will my stimulation medicines be chosen"
ESHRE_OS = "references: [eshre-ovarian-stimulation-2020]"


@pytest.mark.parametrize(
    ("file", "old", "new", "expected"),
    [
        (
            "guide/treatments/ivf.yaml",
            ESHRE_OS,
            "references: [eshre-2020]",
            (STIMULATION_ITEM, "unknown reference 'eshre-2020'"),
        ),
        ("guide/treatments/ivf.yaml", f"    {ESHRE_OS}\n", "", (STIMULATION_ITEM, "cites no reference")),
        (
            "guide/treatments/ivf.yaml",
            ESHRE_OS,
            "refrences: [eshre-ovarian-stimulation-2020]",
            ("content/guide/treatments/ivf.yaml: ask, item 2: unknown field 'refrences'",),
        ),
        (
            "guide/situations/couple.yaml",
            "prepare:\n",
            "prepare: []\nask:\n",
            ("content/guide/situations/couple.yaml: section 'prepare' is empty",),
        ),
        (
            "guide/situations/couple.yaml",
            "prepare:\n",
            "prepair:\n",
            ("content/guide/situations/couple.yaml: unknown section 'prepair'",),
        ),
        (
            "guide/situations/couple.yaml",
            "prepare:\n",
            "prepare:\n  - use: no-such-item\n",
            ("content/guide/situations/couple.yaml: prepare, item 1: unknown shared item 'no-such-item'",),
        ),
        (
            "guide/situations/couple.yaml",
            "prepare:\n",
            "ask:\n  - use: donor-screening\nprepare:\n  - use: donor-screening\nask:\n",
            ("content/guide/situations/couple.yaml: not valid YAML", "'ask' is given twice"),
        ),
        (
            "guide/treatments/icsi.yaml",
            "include: [treatments/ivf.yaml]",
            "include: [treatments/ifv.yaml]",
            ("content/guide/treatments/icsi.yaml: include: no file 'treatments/ifv.yaml'",),
        ),
        (
            "glossary.yaml",
            "- term: >-\n    Blastocyst\n",
            "- term: \n",
            ("content/glossary.yaml: entry 3: 'term' must be some text",),
        ),
        (
            "guide/references.yaml",
            "  year: 2017\n",
            "  year: 2017\n  pages: 12\n",
            ("content/guide/references.yaml: reference 'nice-cg156': unknown field 'pages'",),
        ),
    ],
)
def test_a_mistake_in_a_content_file_is_named_with_its_file_and_item(
    content_copy: Path, file: str, old: str, new: str, expected: tuple[str, ...]
) -> None:
    edit(content_copy, file, old, new)
    with pytest.raises(GuideContentError) as error:
        load_content(content_copy)
    for fragment in expected:
        assert fragment in str(error.value)


@pytest.mark.parametrize(("folder", "kind"), [("treatments", "treatment"), ("diagnoses", "diagnosis"), ("situations", "situation")])  # fmt: skip
def test_a_file_for_an_unknown_code_is_named(content_copy: Path, folder: str, kind: str) -> None:
    source = next((content_copy / "guide" / folder).glob("*.yaml"))
    shutil.copy(source, content_copy / "guide" / folder / "misspelt.yaml")
    with pytest.raises(
        GuideContentError, match=f"content/guide/{folder}/misspelt.yaml: no {kind} is called 'misspelt'"
    ):
        load_content(content_copy)


def test_a_treatment_without_a_file_is_named(content_copy: Path) -> None:
    (content_copy / "guide/treatments/egg_donation.yaml").unlink()
    with pytest.raises(GuideContentError, match="no file for the treatment 'egg_donation'"):
        load_content(content_copy)
