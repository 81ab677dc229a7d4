"""The Fertility Report: the patient's choices and the search outcome → HTML → a tagged PDF.

No Flask here: the worker and the download view call the same three functions, and the
benchmark calls them bare. Templates live in templates/pdf/ and share the results page's
chart macros; text comes from the same gettext catalogue as the pages, through `Text`.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
import unicodedata
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import date
from functools import cache
from io import BytesIO

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from weasyprint import HTML

from clinicfinder.config import PROJECT_ROOT
from clinicfinder.descriptions import description_html
from clinicfinder.domain import Treatment
from clinicfinder.i18n import N_, Text, text_for
from clinicfinder.matching.criteria import applicable
from clinicfinder.matching.engine import SearchOutcome
from clinicfinder.matching.estimates import COST_ITEM_NAMES
from clinicfinder.matching.money import Money
from clinicfinder.patient.charts import chart_x, distance_marks
from clinicfinder.reports.fetcher import AssetFetcher
from clinicfinder.reports.guide import GLOSSARY, Guide, first_visit_guide
from clinicfinder.vocabulary import DIAGNOSIS_LABELS, SITUATION_LABELS, TREATMENT_EXPLANATIONS, TREATMENT_LABELS

TEMPLATES_DIR = PROJECT_ROOT / "templates"
REPORT_TEMPLATE = "pdf/report.html"
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
    budget: Money | None
    currency: str
    include_unpriced: bool


@dataclass(frozen=True)
class Report:
    language: str
    made_on: date
    choices: ReportChoices
    outcome: SearchOutcome

    @property
    def text(self) -> Text:
        return text_for(self.language)

    @property
    def guide(self) -> Guide:
        return first_visit_guide(self.choices.treatment, self.choices.diagnosis, self.choices.situation)


@cache
def _environment(language: str) -> Environment:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        # Every clinic and patient string is escaped in HTML: a description is text, never markup.
        autoescape=select_autoescape(("html",), default_for_string=True, default=False),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
    )
    environment.install_gettext_translations(text_for(language).catalogue, newstyle=True)  # type: ignore[attr-defined]
    environment.globals.update(chart_x=chart_x, distance_marks=distance_marks)
    environment.filters["description_html"] = description_html
    return environment


def render_html(report: Report) -> str:
    t = report.text
    template = _environment(report.language).get_template(REPORT_TEMPLATE)
    return template.render(
        report=report,
        choices=report.choices,
        outcome=report.outcome,
        results=report.outcome.results[:REPORT_CLINICS],
        guide=report.guide,
        glossary=sorted(GLOSSARY, key=lambda entry: _sort_key(t.gettext(entry.term))),
        criteria=applicable(report.choices.treatment),
        questions=QUESTIONS_FOR_UNKNOWN,
        t=t,
        treatment_name=t.gettext(TREATMENT_LABELS[report.choices.treatment.value]),
        treatment_explanation=t.gettext(TREATMENT_EXPLANATIONS[report.choices.treatment.value]),
        diagnosis_name=t.gettext(DIAGNOSIS_LABELS[report.choices.diagnosis]) if report.choices.diagnosis else None,
        situation_name=t.gettext(SITUATION_LABELS[report.choices.situation]) if report.choices.situation else None,
        cost_items={key: t.gettext(name) for key, name in COST_ITEM_NAMES.items()},
    )


def _sort_key(word: str) -> str:
    """Alphabetical in any of our languages: "Óvulo" files under O."""
    return "".join(c for c in unicodedata.normalize("NFD", word.casefold()) if not unicodedata.combining(c))


def render_email(language: str, template: str, **context: object) -> str:
    """An email part (templates/email/…) in the patient's language."""
    return _environment(language).get_template(template).render(**context)


def render_pdf_here(html: str) -> bytes:
    """A tagged PDF/UA-1 file, made in this process; the HTML may load nothing but the bundled assets."""
    output = BytesIO()
    HTML(string=html, url_fetcher=AssetFetcher()).write_pdf(output, pdf_variant="pdf/ua-1", uncompressed_pdf=False)
    return output.getvalue()


class Renderer:
    """Makes PDFs in child processes that are replaced every `tasks_per_child` reports.

    WeasyPrint keeps about a third of a megabyte per document it lays out (fonts, Pango), so a
    long-lived worker would grow without end; children that come and go keep it flat. The
    children also let a worker's threads use every core: layout is CPU-bound Python.
    `processes=0` renders in the calling process.
    """

    def __init__(self, processes: int = 2, tasks_per_child: int = 50) -> None:
        self.processes, self.tasks_per_child = processes, tasks_per_child
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def configure(self, processes: int, tasks_per_child: int) -> None:
        if (processes, tasks_per_child) != (self.processes, self.tasks_per_child):
            self.shutdown()
            self.processes, self.tasks_per_child = processes, tasks_per_child

    def render(self, html: str) -> bytes:
        if self.processes == 0:
            return render_pdf_here(html)
        pool = self._current_pool()
        try:
            return pool.submit(render_pdf_here, html).result()
        except BrokenProcessPool:
            # A child died (killed, out of memory): start afresh next time; this job is retried.
            with self._lock:
                if self._pool is pool:
                    self._pool = None
            raise

    def _current_pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                # spawn, not fork: the parent has threads and open database connections.
                self._pool = ProcessPoolExecutor(self.processes, mp_context=multiprocessing.get_context("spawn"),
                                                 max_tasks_per_child=self.tasks_per_child,
                                                 initializer=_end_with_parent, initargs=(os.getpid(),))  # fmt: skip
            return self._pool

    def shutdown(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def _end_with_parent(parent: int) -> None:
    """In a render child: exit when the process that started it is gone (killed, or stopped by SIGTERM
    without shutting its pool down), so no child outlives its web or worker process."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


renderer = Renderer()


def render_pdf(html: str) -> bytes:
    return renderer.render(html)


def make_report_pdf(report: Report) -> bytes:
    return render_pdf(render_html(report))


def file_name(report: Report) -> str:
    """A neutral attachment name: nothing of the diagnosis or treatment in it."""
    return f"clinicfinder-report-{report.made_on.isoformat()}.pdf"
