"""The first-visit guide's medical points, read from the real PDF a patient gets (issue 14, items 1–7)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from tests.support.instances import seeded_app
from tests.support.reports import make_pdf, pdf_text, snapshot


@pytest.fixture(scope="module")
def app(seeded_database: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    with seeded_app(seeded_database, tmp_path_factory.mktemp("guide-medical")) as app:
        yield app


# What each item says, in words a patient would find in the PDF.
CENTRAL_NOA = ("hypogonadotropic hypogonadism", "gonadotropins, not surgery, is the first treatment")
OTHER_NOA = "could hormone treatment before micro-TESE help in my case? For these men the evidence is limited"
STEROIDS = ("testosterone, anabolic steroids", "it does not always recover fully")
SPECIALIST = ("a specialist in male reproduction", "every man with a sperm problem", "testicular cancer")
Y_DELETIONS = ("complete AZFa or AZFb deletion", "an operation to look for it is usually not advised")
HISTORY = ("testicles that had not come down at birth", "mumps after puberty", "an injury to the testicles",
           "a twisted testicle (torsion)", "earlier chemotherapy or radiotherapy")  # fmt: skip
KIDNEYS = "should I have an ultrasound scan of my kidneys?"
CFTR = "cystic fibrosis (CFTR) gene testing"
BANK_FIRST = "can my sperm be frozen before the first chemotherapy, radiotherapy or surgery?"
ONCO_TESE = "can sperm be taken from the testicle in an operation before treatment starts (onco-TESE)?"
LOW_COUNT = "a low count is not in itself a reason not to bank"


def test_a_non_obstructive_azoospermia_guide_has_items_1_2_4_6_and_7(app: Flask) -> None:
    text = pdf_text(make_pdf(app, snapshot("micro_tese", diagnosis="non_obstructive_azoospermia"))[1])
    for phrase in (*CENTRAL_NOA, OTHER_NOA, *STEROIDS, *SPECIALIST, *Y_DELETIONS, *HISTORY):
        assert phrase in text, phrase
    # Past testosterone or steroid use is something to tell the doctor: it is under "What to bring".
    guide = text[text.index("What to bring") :]
    assert guide.index(STEROIDS[0]) < guide.index("Questions to ask")
    # The old blanket "limited evidence for everyone" is gone.
    assert "Could hormone treatment before surgery help in my case?" not in text
    assert "American Urological Association" in text and "European Association of Urology" in text


def test_an_obstructive_azoospermia_guide_asks_for_a_kidney_scan_and_keeps_cftr_for_both(app: Flask) -> None:
    text = pdf_text(make_pdf(app, snapshot("tese", diagnosis="obstructive_azoospermia"))[1])
    assert KIDNEYS in text
    assert "have we both been offered " + CFTR in text
    assert SPECIALIST[0] in text  # a blockage is a sperm problem too
    assert Y_DELETIONS[0] not in text and CENTRAL_NOA[0] not in text  # those belong to NOA


def test_a_fertility_preservation_guide_says_bank_sperm_first_and_names_onco_tese(app: Flask) -> None:
    text = pdf_text(make_pdf(app, snapshot("fertility_preservation", diagnosis=None, budget=None))[1])
    assert BANK_FIRST in text
    assert ONCO_TESE in text
    assert LOW_COUNT in text  # ASCO: a low count should not put a man off banking
    assert "Fertility Preservation in People With Cancer: ASCO Guideline Update" in text
    assert "American Society of Clinical Oncology" in text


def test_a_low_sperm_count_guide_gets_the_specialist_item_too(app: Flask) -> None:
    text = pdf_text(make_pdf(app, snapshot("icsi", diagnosis="low_sperm_count", budget=None))[1])
    for phrase in SPECIALIST:
        assert phrase in text, phrase


def test_the_spanish_guide_for_non_obstructive_azoospermia_says_the_same(app: Flask) -> None:
    answers = snapshot("micro_tese", diagnosis="non_obstructive_azoospermia", unit="km", currency="EUR",
                       place_label="Chicago, Illinois, Estados Unidos")  # fmt: skip
    text = pdf_text(make_pdf(app, answers, "es")[1])
    for phrase in ("hipogonadismo hipogonadotrópico", "el primer tratamiento es hormonal, con gonadotropinas",
                   "antes de la micro-TESE? En estos casos la evidencia es limitada",
                   "testosterona, esteroides anabolizantes", "especialista en reproducción masculina",
                   "deleción completa de AZFa o AZFb", "paperas después de la pubertad"):  # fmt: skip
        assert phrase in text, phrase
    assert "microTESE" not in text  # spelt one way, as in English


def test_the_spanish_fertility_preservation_guide_says_bank_sperm_first(app: Flask) -> None:
    answers = snapshot("fertility_preservation", diagnosis=None, budget=None, unit="km", currency="EUR")
    text = pdf_text(make_pdf(app, answers, "es")[1])
    assert "antes de la primera quimioterapia, radioterapia o cirugía?" in text
    assert "(onco-TESE)?" in text
    assert "profesional de apoyo psicológico" in text and "psicólogo" not in text
