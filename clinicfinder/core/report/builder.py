"""The Fertility Report: the patient's choices and the search outcome → HTML.

No Flask and no WeasyPrint here: `clinicfinder.pdf.renderer` turns the HTML into a tagged PDF.
The worker and the download view call the same functions, and the benchmark calls them bare.
Templates live in templates/pdf/ and share the results page's chart macros; text comes from the same
gettext catalogue as the pages, through `Text`.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any

from clinicfinder.core import templating
from clinicfinder.core.domain import Treatment
from clinicfinder.core.i18n import N_, Text, text_for
from clinicfinder.core.insurance import laws_for_places
from clinicfinder.core.map import MapDrawing, Place, draw_map
from clinicfinder.core.matching.criteria import applicable
from clinicfinder.core.matching.engine import SearchOutcome
from clinicfinder.core.matching.estimates import COST_LABELS
from clinicfinder.core.matching.money import Money
from clinicfinder.core.matching.ordering import MALE_FACTOR_TREATMENTS, ORDERS
from clinicfinder.core.report.guide import GLOSSARY, Guide, first_visit_guide
from clinicfinder.core.report.shared import shared_facts
from clinicfinder.core.vocabulary import (
    AGE_BAND_LABELS,
    DIAGNOSIS_LABELS,
    SITUATION_LABELS,
    TREATMENT_EXPLANATIONS,
    TREATMENT_LABELS,
)

REPORT_TEMPLATE = "pdf/report.html"
# When no clinic fits, the patient is offered the first-visit guide alone: it helps at any clinic.
GUIDE_TEMPLATE = "pdf/guide.html"
# The report shows the best ten: enough to compare, few enough to print.
REPORT_CLINICS = 10

# What to ask a clinic when we could not find a fact ourselves: "unknown" is never a guess.
QUESTIONS_FOR_UNKNOWN = {
    "open_and_reporting": N_(
        "Do you report every cycle to the national register, and where are your results published?"
    ),
    "lab_accreditation": N_("Is your embryology laboratory accredited, by whom, and when was it last inspected?"),
    "minimum_volume": N_("How many treatment cycles did you start last year?"),
    "treatment_confirmed": N_("Do you offer this treatment yourselves, and how many did you perform last year?"),
    "male_factor": N_(
        "Who performs sperm retrieval here, do you freeze sperm on site, and can you arrange donor sperm as a backup?"
    ),
    "society_membership": N_("Are you a member of a professional society such as SART or ESHRE?"),
    "volume_tier": N_("How many cycles like mine do you see each year?"),
    "freshness": N_("Is the information you publish up to date, and when was it last checked?"),
    "published_price": N_("What is the full price, and what does it include and leave out?"),
    "language": N_("Can my appointments be held in my language, or with an interpreter?"),
}


@dataclass(frozen=True)
class ReportChoices:
    """The answers the report was made from, as the patient gave them."""

    place: str  # already worded in the report's language
    radius_km: float | None
    unit: str
    treatment: Treatment
    diagnosis: str | None
    situation: str | None
    age_band: str | None  # a code of AGE_BAND_LABELS; None: not given
    budget: Money | None
    currency: str
    include_unpriced: bool
    paper: str = "A4"  # the CSS page size of the place's paper (core.place_defaults)
    home: tuple[float, float] | None = None  # (latitude, longitude) of the place, for the map


@dataclass(frozen=True)
class Report:
    language: str
    made_on: date
    choices: ReportChoices
    outcome: SearchOutcome
    # Emailed (and then deleted) or downloaded straight to the browser: the privacy note says which.
    emailed: bool = False

    @property
    def text(self) -> Text:
        return text_for(self.language)

    @property
    def guide_only(self) -> bool:
        """Nothing fits: the PDF is the first-visit guide, titled and worded as one, with no clinic part.

        Decided from the search made for the PDF itself, so an emailed one made after the directory
        changed still says what it holds.
        """
        return not self.outcome.results

    @property
    def guide(self) -> Guide:
        return first_visit_guide(self.choices.treatment, self.choices.diagnosis, self.choices.situation)


def summary_context(report: Report) -> dict[str, Any]:
    """What templates/pdf/summary.html needs: the report's first page and the report email use the same rows."""
    t = report.text
    results = report.outcome.results[:REPORT_CLINICS]
    return {
        "results": results,
        "choices": report.choices,
        "t": t,
        "male_factor_treatment": report.choices.treatment in MALE_FACTOR_TREATMENTS,
        "cost_items": {key: t.gettext(name) for key, name in COST_LABELS.items()},
    }


@dataclass(frozen=True)
class ReportParts:
    """A report's HTML in two documents (see templates/pdf/report.html, `part`): `patient`, the pages made
    from the patient's clinics, ending in PAGES_AFTER; `shared`, the pages from the first visit on, starting
    with PAGES_BEFORE — the same text for every report from the same answers about the treatment, so
    the renderer lays it out once and puts both parts' pages together (clinicfinder/pdf/report_cache.py)."""

    patient: str
    shared: str


# Where each part's HTML takes the blank pages that stand for the other part while it is laid out.
PAGES_BEFORE, PAGES_AFTER = "<!--pages-before-->", "<!--pages-after-->"


def render_html(report: Report) -> str:
    return _render(report)


def render_parts(report: Report) -> ReportParts | None:
    """The report in its two parts; None for the guide alone (no clinic part to split from)."""
    if report.guide_only:
        return None
    return ReportParts(patient=_render(report, "patient"), shared=_render(report, "shared"))


def _render(report: Report, part: str | None = None) -> str:
    t = report.text
    template = templating.environment(report.language).get_template(
        GUIDE_TEMPLATE if report.guide_only else REPORT_TEMPLATE
    )
    context = summary_context(report)
    results = context["results"]
    return template.render(
        **context,
        part=part,
        report=report,
        outcome=report.outcome,
        state_laws=laws_for_places((r.clinic.country, r.clinic.region) for r in results),
        report_map=report_map(report.choices, results),
        shared=shared_facts(results),
        guide=report.guide,
        glossary=sorted(GLOSSARY, key=lambda entry: _sort_key(t.gettext(entry.term))),
        criteria=applicable(report.choices.treatment),
        questions=QUESTIONS_FOR_UNKNOWN,
        treatment_name=t.gettext(TREATMENT_LABELS[report.choices.treatment.value]),
        treatment_explanation=t.gettext(TREATMENT_EXPLANATIONS[report.choices.treatment.value]),
        diagnosis_name=t.gettext(DIAGNOSIS_LABELS[report.choices.diagnosis]) if report.choices.diagnosis else None,
        situation_name=t.gettext(SITUATION_LABELS[report.choices.situation]) if report.choices.situation else None,
        age_band_name=t.gettext(AGE_BAND_LABELS[report.choices.age_band]) if report.choices.age_band else None,
        orders=ORDERS,
    )


def report_map(choices: ReportChoices, results: Any) -> MapDrawing | None:
    """The results page's map of these clinics, for the summary page; None without a place to frame on."""
    if choices.home is None or not results:
        return None
    pins = [Place(r.rank, r.clinic.name, r.clinic.latitude, r.clinic.longitude, key=r.clinic.id) for r in results]
    return draw_map(choices.home[0], choices.home[1], choices.radius_km, pins)


def _sort_key(word: str) -> str:
    """Alphabetical in any of our languages: "Óvulo" files under O."""
    return "".join(c for c in unicodedata.normalize("NFD", word.casefold()) if not unicodedata.combining(c))


def file_name(report: Report) -> str:
    """A neutral attachment name: nothing of the diagnosis or treatment in it."""
    kind = "guide" if report.guide_only else "report"
    return f"clinicfinder-{kind}-{report.made_on.isoformat()}.pdf"
