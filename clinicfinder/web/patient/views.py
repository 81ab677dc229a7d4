"""The patient's three steps and the results: parse a form, call one service, render."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from decimal import Decimal
from functools import cache
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.wrappers import Response as BaseResponse

from clinicfinder.core.domain import ClinicStatus, Treatment
from clinicfinder.core.geo import GeocodeError, Place
from clinicfinder.core.i18n import text_for
from clinicfinder.core.insurance import laws_for_places
from clinicfinder.core.map import MapDrawing, draw_map
from clinicfinder.core.map import Place as MapPlace
from clinicfinder.core.matching.criteria import Context, evaluate
from clinicfinder.core.matching.engine import RankedClinic
from clinicfinder.core.matching.estimates import COST_LABELS
from clinicfinder.core.matching.ordering import DEFAULT_ORDER, MALE_FACTOR_TREATMENTS
from clinicfinder.core.place_defaults import report_paper
from clinicfinder.db.models import Clinic
from clinicfinder.db.repository import ClinicRepository
from clinicfinder.extensions import db
from clinicfinder.services import journey
from clinicfinder.services import search as services
from clinicfinder.web.language import current_language
from clinicfinder.web.pages import render_page
from clinicfinder.web.patient.forms import (
    AGE_BAND_CHOICES,
    DIAGNOSIS_CHOICES,
    RADIUS_CHOICES,
    SITUATION_CHOICES,
    TREATMENT_CHOICES,
    TREATMENT_EXPLANATIONS,
    AdjustForm,
    AnywayForm,
    BudgetForm,
    ForgetForm,
    OrderForm,
    PaperForm,
    PlaceForm,
    ReportEmailForm,
    TreatmentForm,
    WhereForm,
)
from clinicfinder.web.patient.selects import select as fixed_select
from clinicfinder.web.patient.step_pages import render_step

blueprint = Blueprint("patient", __name__)


@blueprint.get("/")
def landing() -> str:
    open_clinics = db.session.scalar(select(func.count()).select_from(Clinic).where(Clinic.status == ClinicStatus.OPEN))
    return render_template("patient/landing.html", open_clinics=open_clinics or 0)


def _place_json(place: Place) -> dict[str, Any]:
    return {
        "label": place.label,
        "latitude": place.latitude,
        "longitude": place.longitude,
        "country": place.country,
        "country_name": place.country_name,
    }


def place_label(place: dict[str, Any]) -> str:
    """A stored place as the page's language writes it: the gazetteer names countries in English."""
    if place.get("device"):
        return str(_("Your location"))
    label = str(place["label"])
    english = place.get("country_name")
    country = text_for(current_language()).country(place.get("country"))
    if english and country and label.endswith(english):
        return label[: -len(english)] + country
    return label


def _show_step(
    template: str, form: FlaskForm, name: str, answers: dict[str, Any], **context: Any
) -> str | BaseResponse:
    """Render a step; a rejected answer is kept server-side and shown after a redirect.

    Post/redirect/get for errors too: the browser's Back button then never meets a
    "confirm form resubmission" page, and what the patient typed is shown again.
    """
    if request.method == "POST":  # only reached when the answer was rejected
        fields = {field.name for field in form if field.type != "CSRFTokenField"}
        typed = {name: value[:500] for name, value in request.form.items() if name in fields}
        errors = {field.name: [str(message) for message in field.errors] for field in form if field.errors}
        journey.update(rejected={"step": name, "typed": typed, "errors": errors})
        return redirect(request.path)
    rejected = answers.get("rejected")  # the view's own load(): a second one costs a session lookup
    if rejected and rejected.get("step") == name:
        form.process(formdata=ImmutableMultiDict(rejected["typed"]))
        for field, messages in rejected["errors"].items():
            if field in form:
                form[field].errors = messages
        journey.update(rejected=None)
    # The same page for every patient but for the form's values: filled into the step's kept markup.
    # A notice or list made from this patient's answers (where, choose_place) means the plain render.
    if name != "choose_place" and not any(value for key, value in context.items() if key not in _FIXED_CONTEXT):
        return render_step(template, form, **context)
    return render_page(template, form=form, **context)  # compiled per language, as the results page


# Context a step passes that is the same for every patient (the step's number, the treatments' explanations).
_FIXED_CONTEXT = frozenset({"step", "explanations"})


@blueprint.route("/find/where", methods=["GET", "POST"])
def where() -> str | BaseResponse:
    answers = journey.load()
    language = current_language()
    form = WhereForm(
        data={
            "location": answers.get("location_text", ""),
            "radius": answers.get("radius", "50"),
            "unit": answers.get("unit_choice", answers.get("unit", "auto")),
        }
    )
    if form.validate_on_submit():
        common = {"radius": form.radius.data, "unit_choice": form.unit.data, "candidates": None}
        if form.has_coordinates() and not (form.location.data or "").strip():
            # About a kilometre is all a search needs; a home's exact position is not kept.
            latitude, longitude = round(float(form.latitude.data), 2), round(float(form.longitude.data), 2)
            # The browser gives no country; the nearest listed place does (units, currency, coverage).
            place = {"device": True, "latitude": latitude, "longitude": longitude,
                     "country": services.country_near(latitude, longitude)}  # fmt: skip
            journey.update(location_text=None, **common)
            return redirect(url_for("." + journey.settle_place(place, language, services.covered_countries())))
        text = form.location.data.strip()
        try:
            result = services.geocode(text)
        except GeocodeError as error:
            form.location.errors = [_geocode_message(error)]
            # Offered as one-click answers on the page that shows the error.
            journey.update(place_suggestions=list(error.suggestions) or None)
        else:
            if result.ambiguous:
                candidates = [_place_json(place) for place in result.candidates]
                common["candidates"] = {"id": secrets.token_urlsafe(8), "places": candidates}
                journey.update(location_text=text, **common)
                return redirect(url_for(".choose_place"))
            journey.update(location_text=text, **common)
            next_step = journey.settle_place(_place_json(result.best), language, services.covered_countries())
            return redirect(url_for(f".{next_step}"))
    suggestions = answers.get("place_suggestions") if request.method == "GET" else None
    if suggestions:
        journey.update(place_suggestions=None)
    coverage = _coverage(answers["place"]) if answers.get("coverage_notice") and "place" in answers else None
    return _show_step(
        "patient/where.html", form, "where", answers, step=1, suggestions=suggestions or [], coverage=coverage,
        place=place_label(answers["place"]) if coverage else None,
    )  # fmt: skip


def _coverage(place: dict[str, Any], revision: int | None = None) -> dict[str, Any] | None:
    """The place's country and the directory's, when the directory has no clinics in the place's country."""
    code = place.get("country")
    covered = services.covered_countries(revision)
    if not code or not covered or code in covered:
        return None
    t = text_for(current_language())
    return {
        "code": code,
        "country": t.country(code) or place.get("country_name") or code,
        "countries": t.and_list([t.country(country) or country for country in covered]),
        "count": len(covered),
        "us_only": covered == ("US",),
    }


@blueprint.post("/find/where/anyway")
def search_anyway() -> BaseResponse:
    """The patient read that the directory has no clinics in their country and searches it all the same."""
    if AnywayForm().validate_on_submit() and "place" in journey.load():
        journey.update(coverage_notice=None)
        return redirect(url_for(".treatment"))
    return redirect(url_for(".where"))


def _geocode_message(error: GeocodeError) -> str:
    if error.suggestions:
        return str(_("We couldn't find that place. Did you mean: %(places)s?", places="; ".join(error.suggestions)))
    return str(_("We couldn't find that place. Try a city name or a postcode."))


@blueprint.route("/find/where/choose", methods=["GET", "POST"])
def choose_place() -> str | BaseResponse:
    answers = journey.load()
    listing = answers.get("candidates")
    if not listing:
        return redirect(url_for(".where"))
    candidates = listing["places"]
    form = PlaceForm(list_id=listing["id"])
    form.choice.choices = [(str(number), place_label(place)) for number, place in enumerate(candidates)]
    if form.validate_on_submit():
        if form.list_id.data != listing["id"]:
            flash(_("The list of places changed in another window. Please choose again."), "error")
            return redirect(url_for(".choose_place"))
        journey.update(rejected=None)
        next_step = journey.settle_place(candidates[int(form.choice.data)], current_language(),
                                         services.covered_countries())  # fmt: skip
        return redirect(url_for(f".{next_step}"))
    return _show_step(
        "patient/choose_place.html", form, "choose_place", answers, step=1, typed=answers.get("location_text", "")
    )


@blueprint.route("/find/treatment", methods=["GET", "POST"])
def treatment() -> str | BaseResponse:
    answers = journey.load()
    if journey.first_missing_step(answers) == "where":
        return redirect(url_for(".where"))
    fields = ("treatment", "diagnosis", "situation", "age_band")
    form = TreatmentForm(data={key: answers.get(key, "") for key in fields})
    if form.validate_on_submit():
        journey.update(
            treatment=form.treatment.data,
            diagnosis=form.diagnosis.data or None,
            situation=form.situation.data or None,
            age_band=form.age_band.data or None,  # "prefer not to say" stores nothing
        )
        return redirect(url_for(".budget"))
    return _show_step("patient/treatment.html", form, "treatment", answers, step=2, explanations=TREATMENT_EXPLANATIONS)


@blueprint.route("/find/budget", methods=["GET", "POST"])
def budget() -> str | BaseResponse:
    answers = journey.load()
    missing = journey.first_missing_step(answers)
    if missing in ("where", "treatment"):
        return redirect(url_for(f".{missing}"))
    language = current_language()
    form = BudgetForm(
        data={
            "budget": Decimal(answers["budget"]) if answers.get("budget") else None,
            "currency": journey.default_currency(answers, language),
            "include_unpriced": answers.get("include_unpriced", True),
        }
    )
    if form.validate_on_submit():
        amount = form.budget.data
        journey.update(
            budget=None if amount is None else str(amount),
            currency=form.currency.data,
            include_unpriced=bool(form.include_unpriced.data),
        )
        return redirect(url_for(".results"))
    return _show_step("patient/budget.html", form, "budget", answers, step=3)


@blueprint.get("/find/results")
def results() -> str | BaseResponse:
    answers = journey.load()
    missing = journey.first_missing_step(answers)
    if missing is not None:
        return redirect(url_for(f".{missing}"))
    page = request.args.get("page", default=1, type=int) or 1
    language = current_language()
    query = journey.search_query(answers, language, page=max(page, 1))
    # Read once, before the search reads the clinics: parts kept under it are never older than it says.
    revision = ClinicRepository(db.session).revision()
    outcome = services.search_clinics(query, revision)
    if query.offset and not outcome.results and outcome.total:
        return redirect(url_for(".results"))  # a page past the end: back to the first
    paper = report_paper(answers.get("paper"), answers["place"].get("country"), language)
    return render_page(
        "patient/results.html",
        outcome=outcome,
        page=page,
        pages=max(1, -(-outcome.total // journey.PAGE_SIZE)),
        order_select=fixed_select(OrderForm, "order", "order", language, answers.get("order", DEFAULT_ORDER)),
        card_part=current_app.extensions["card_parts"].for_page(revision, language, answers["treatment"]),
        state_laws=laws_for_places((r.clinic.country, r.clinic.region) for r in outcome.results),
        results_map=_results_map(answers["place"], query.radius_km, outcome.results),
        male_factor_treatment=Treatment(answers["treatment"]) in MALE_FACTOR_TREATMENTS,
        answers=answers,
        place=place_label(answers["place"]),
        coverage=_coverage(answers["place"], revision),
        query=query,
        **_answer_names(language),
        cost_items=_cost_items(language),
        email_form=_report_email_form(answers),
        paper_select=fixed_select(PaperForm, "paper", "paper", language, paper),
    )


@blueprint.get("/find/results/criteria/<clinic_id>")
def criteria(clinic_id: str) -> str | BaseResponse:
    """One clinic's criteria for the patient's answers: fetched by the results page when its list is
    opened (so twenty lists are not in every results page), or opened as a page without JavaScript."""
    answers = journey.load()
    if journey.first_missing_step(answers) is not None:
        return redirect(url_for(".results"))
    facts = services.clinic_facts(clinic_id)
    if facts is None:
        abort(404)
    query = journey.search_query(answers, current_language())
    matcher = services.services().matcher
    # The same judgement as the search's (SearchEngine.assess), for the same answers.
    results = evaluate(facts, matcher.policy, Context(query.treatment, query.language, matcher.today()))
    return render_page("patient/criteria.html", clinic=facts, criteria=results)


@cache  # the answers' names as this language's text: each lazy label went through Flask-Babel when shown
def _answer_names(language: str) -> dict[str, dict[str, str]]:
    named = {"treatment_names": TREATMENT_CHOICES, "diagnosis_names": DIAGNOSIS_CHOICES,
             "situation_names": SITUATION_CHOICES, "age_band_names": AGE_BAND_CHOICES}  # fmt: skip
    return {name: {value: str(label) for value, label in choices} for name, choices in named.items()}


@cache  # one dict per language: twenty-odd labels were looked up through Flask-Babel on every page
def _cost_items(language: str) -> dict[str, str]:
    t = text_for(language)
    return {key: t.gettext(name) for key, name in COST_LABELS.items()}


def _results_map(place: dict[str, Any], radius_km: float | None, results: Sequence[RankedClinic]) -> MapDrawing:
    """The page's clinics pinned in their order, framed on the search."""
    pins = [MapPlace(r.rank, r.clinic.name, r.clinic.latitude, r.clinic.longitude, key=r.clinic.id) for r in results]
    return draw_map(place["latitude"], place["longitude"], radius_km, pins)


def _report_email_form(answers: dict[str, Any]) -> ReportEmailForm:
    """The results page's email form, showing a rejected address again with its error."""
    # Never validated here, and the page writes the request's CSRF input itself: no token field built.
    form = ReportEmailForm(meta={"csrf": False})
    rejected = answers.get("rejected")
    if rejected and rejected.get("step") == "report_email":
        form.process(formdata=ImmutableMultiDict(rejected["typed"]))
        form.email.errors = rejected["errors"].get("email", [])
        journey.update(rejected=None)
    return form


@blueprint.post("/find/adjust")
def adjust() -> BaseResponse:
    """Apply one of the "what would add more" suggestions to the stored answers."""
    form = AdjustForm()
    answers = journey.load()
    if form.validate_on_submit() and answers:
        change = form.change.data
        if change == "larger_radius":
            radius_km = form.radius_km.data
            if radius_km is None:
                journey.update(radius="anywhere")
            else:
                radius = journey.radius_in_unit(radius_km, answers)
                if radius in RADIUS_CHOICES:  # only the radii the suggestions offer
                    journey.update(radius=radius)
        elif change == "higher_budget" and form.budget.data is not None:
            journey.update(budget=str(form.budget.data))
        elif change == "include_unpriced":
            journey.update(include_unpriced=True)
    return redirect(url_for(".results"))


@blueprint.post("/find/order")
def order() -> BaseResponse:
    """Keep the chosen sort order with the answers (never in the URL) and show the first page."""
    form = OrderForm()
    if form.validate_on_submit() and journey.load():
        journey.update(order=form.order.data)
    return redirect(url_for(".results"))


@blueprint.post("/find/paper")
def paper() -> BaseResponse:
    """Keep the report's paper size with the answers; the page comes back at the report offer."""
    form = PaperForm()
    if form.validate_on_submit() and journey.load():
        journey.update(paper=form.paper.data)
    return redirect(url_for(".results", _anchor="report"))


@blueprint.post("/find/forget")
def forget() -> BaseResponse:
    if ForgetForm().validate_on_submit():
        journey.forget()
        flash(_("Your answers have been erased."))
    return redirect(url_for(".landing"))
