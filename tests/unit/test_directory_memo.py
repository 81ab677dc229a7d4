"""The memo of a directory revision: the same answers as without it, fewer loads, bounded."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import timedelta

from clinicfinder.core.domain import Availability, Treatment
from clinicfinder.core.matching.engine import Matcher, SearchOutcome, SearchQuery
from clinicfinder.core.matching.facts import ClinicFacts, Offer
from clinicfinder.core.matching.memo import DirectoryMemo
from tests.support.matching import CDC, CDC_DATE, CHICAGO, TODAY, clinic, make_matcher, usd

CLINICS = [
    clinic("near"),
    clinic("middle", km_north=5, offers={Treatment.IVF: Offer(Availability.YES, usd(12000), CDC, CDC_DATE)}),
    clinic("far", km_north=20, offers={Treatment.IVF: Offer(Availability.YES, usd(20000), CDC, CDC_DATE)}),
    clinic("unconfirmed", km_north=8, offers={}),
]


class Loader:
    """The facts of CLINICS, counting the clinics each call asks for."""

    def __init__(self) -> None:
        self.asked: list[list[str]] = []
        self.by_id = {item.id: item for item in CLINICS}

    def __call__(self, clinic_ids: Sequence[str], treatment: Treatment) -> Mapping[str, ClinicFacts]:
        self.asked.append(list(clinic_ids))
        return {clinic_id: self.by_id[clinic_id] for clinic_id in clinic_ids if clinic_id in self.by_id}


def run(matcher: Matcher, load: Loader, memo: DirectoryMemo | None, **query: object) -> SearchOutcome:
    fields: dict[str, object] = {"latitude": CHICAGO[0], "longitude": CHICAGO[1], "radius_km": 50.0,
                                 "treatment": Treatment.IVF, **query}  # fmt: skip
    return matcher.search(SearchQuery(**fields), matcher.build_index(CLINICS), load, memo)  # type: ignore[arg-type]


QUERIES: list[dict[str, object]] = [
    {},
    {"language": "es"},
    {"budget": usd(15000)},
    {"include_unconfirmed": False, "language": "es"},
    {"order": "price", "include_unpriced": False},
    {"treatment": Treatment.ICSI},
]


def test_a_search_through_the_memo_answers_as_one_without_it_and_loads_each_clinic_once() -> None:
    matcher, memo, load = make_matcher(), DirectoryMemo(1), Loader()
    for query in QUERIES * 2:
        assert run(matcher, load, memo, **query) == run(matcher, Loader(), None, **query), query
    asked = [clinic_id for call in load.asked for clinic_id in call]
    # Once per clinic and treatment: IVF and ICSI each read the directory once, whatever the language or budget.
    assert sorted(asked) == sorted(["near", "middle", "far", "unconfirmed"] * 2)


def test_the_memo_keeps_each_language_and_day_apart() -> None:
    memo, load = DirectoryMemo(1), Loader()
    english = run(make_matcher(), load, memo).results[0].criteria
    spanish = run(make_matcher(), load, memo, language="es").results[0].criteria
    assert [c.title for c in english] != [c.title for c in spanish]
    tomorrow = Matcher(make_matcher().rates, make_matcher().costs, today=lambda: TODAY + timedelta(days=1))
    later = run(tomorrow, load, memo, language="es")
    assert later == run(tomorrow, Loader(), None, language="es")


def test_the_memo_is_bounded_and_asks_again_for_what_it_let_go() -> None:
    memo, load = DirectoryMemo(1, size=2), Loader()
    assert list(memo.facts(["near", "middle", "far"], Treatment.IVF, load)) == ["near", "middle", "far"]
    assert len(memo) == 2
    load.asked.clear()
    assert list(memo.facts(["far", "near"], Treatment.IVF, load)) == ["far", "near"]
    assert load.asked == [["near"]]  # the least recently used went first


def test_a_clinic_the_loader_no_longer_finds_is_left_out_and_asked_for_again() -> None:
    memo, load = DirectoryMemo(1), Loader()
    del load.by_id["middle"]
    assert list(memo.facts(["near", "middle"], Treatment.IVF, load)) == ["near"]
    load.by_id["middle"] = replace(CLINICS[1], name="Back again")
    assert memo.facts(["middle"], Treatment.IVF, load)["middle"].name == "Back again"


def test_the_memo_keeps_one_treatments_facts_apart_from_anothers() -> None:
    memo, load = DirectoryMemo(1), Loader()
    memo.facts(["near"], Treatment.IVF, load)
    memo.facts(["near"], Treatment.TESE, load)  # the male-factor facts come only with TESE
    assert load.asked == [["near"], ["near"]]
