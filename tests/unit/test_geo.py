"""The offline geocoder, postcode parsing, distances and the online adapter — plain tests, no Flask.

They run against the real bundled index (clinicfinder/core/geo/data/gazetteer.sqlite), so they
check the data as well as the code: what a patient types in step 1 must find the right place.
"""

from __future__ import annotations

import math
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from clinicfinder.core.geo import (
    Gazetteer,
    GeocodeError,
    GeocodeResult,
    OnlineGeocoder,
    Place,
    bounding_box,
    geodesic_km,
    great_circle_km,
)
from clinicfinder.core.geo.normalise import accent_key, edit_distance, fold
from clinicfinder.core.geo.postcodes import spanish_province, uk_postcode, us_zip
from tools.build_gazetteer import osgb36_to_wgs84, uninvert

MADRID = (40.4168, -3.7038)
BARCELONA = (41.3874, 2.1686)
BUCKINGHAM_PALACE = (51.5010, -0.1416)
MANCHESTER = (53.4808, -2.2426)
VALENCIA_ES = (39.4699, -0.3763)
CHICAGO_MAGNIFICENT_MILE = (41.8947, -87.6245)


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return Gazetteer.load()


def km_from(place: Place, point: tuple[float, float]) -> float:
    return great_circle_km(place.latitude, place.longitude, *point)


def countries(result: GeocodeResult) -> list[str]:
    return [place.country for place in result.candidates]


# --- names: ambiguity, accents, exonyms ---------------------------------------------------


def test_an_ambiguous_city_returns_every_valencia_ranked_by_population(gazetteer):
    result = gazetteer.geocode("Valencia")

    assert result.ambiguous
    assert {"ES", "VE"} <= set(countries(result))
    spain = next(p for p in result.candidates if p.country == "ES")
    venezuela = next(p for p in result.candidates if p.country == "VE")
    assert (spain.region, spain.country_name) == ("Comunidad Valenciana", "Spain")
    assert (venezuela.region, venezuela.country_name) == ("Carabobo", "Venezuela")
    populations = [p.population or 0 for p in result.candidates]
    assert populations == sorted(populations, reverse=True)


@pytest.mark.parametrize(
    "query", ["Valencia", "valencia", "VALENCIA", "València", "valència", "Valéncia", " Valencia "]
)
def test_accents_and_case_do_not_matter(gazetteer, query):
    result = gazetteer.geocode(query)

    spain = [p for p in result.candidates if p.country == "ES" and p.name == "Valencia"]
    assert len(spain) == 1
    assert km_from(spain[0], VALENCIA_ES) < 5


def test_the_catalan_spelling_puts_the_spanish_valencia_first(gazetteer):
    assert gazetteer.geocode("València").best.country == "ES"


@pytest.mark.parametrize(
    ("query", "name", "country"),
    [
        ("Londres", "London", "GB"),
        ("Nueva York", "New York City", "US"),
        ("Munich", "Munich", "DE"),
        ("München", "Munich", "DE"),
        ("Seville", "Sevilla", "ES"),
        ("Alacant", "Alicante", "ES"),
        ("La Coruña", "A Coruña", "ES"),
        ("San Sebastian", "Donostia / San Sebastián", "ES"),
    ],
)
def test_exonyms_and_other_languages_find_the_place(gazetteer, query, name, country):
    result = gazetteer.geocode(query)

    assert (name, country) in [(p.name, p.country) for p in result.candidates]


def test_nueva_york_is_one_place(gazetteer):
    result = gazetteer.geocode("Nueva York")

    assert not result.ambiguous
    assert (result.best.name, result.best.region, result.best.country) == ("New York City", "New York", "US")


def test_a_shared_old_name_of_a_small_town_does_not_make_new_york_ambiguous(gazetteer):
    assert [p.name for p in gazetteer.geocode("New York").candidates] == ["New York City"]


def test_near_identical_entries_are_shown_once(gazetteer):
    # GeoNames lists La Ceiba (Honduras) twice, 5.5 km apart.
    result = gazetteer.geocode("La Ceiba, Honduras")

    assert len(result.candidates) == 1


def test_no_two_candidates_are_the_same_place(gazetteer):
    for query in ["Valencia", "London", "Springfield", "Paris", "San Francisco", "Benito Juarez"]:
        candidates = gazetteer.geocode(query).candidates
        for i, first in enumerate(candidates):
            for second in candidates[i + 1 :]:
                same_area = (first.country, first.region) == (second.country, second.region)
                assert not (
                    same_area
                    and great_circle_km(first.latitude, first.longitude, second.latitude, second.longitude) < 25
                )


def test_limit_caps_the_candidates(gazetteer):
    assert len(gazetteer.geocode("Paris", limit=2).candidates) == 2
    with pytest.raises(ValueError, match="limit"):
        gazetteer.geocode("Paris", limit=0)


# --- "City, Country" and "City, ST" ----------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "Valencia, Spain",
        "Valencia, España",
        "Valencia, ES",
        "valencia , españa",
        "Valencia Spain",
        "Valencia, Valencia",
        "Valencia, Comunidad Valenciana, Spain",
    ],
)
def test_a_country_or_region_after_the_city_leaves_exactly_one_valencia(gazetteer, query):
    result = gazetteer.geocode(query)

    assert len(result.candidates) == 1
    assert (result.best.name, result.best.country) == ("Valencia", "ES")


@pytest.mark.parametrize(
    "query", ["Springfield, IL", "Springfield, Illinois", "Springfield IL", "springfield, il, usa"]
)
def test_a_us_state_code_or_name_picks_the_springfield(gazetteer, query):
    result = gazetteer.geocode(query)

    assert len(result.candidates) == 1
    assert (result.best.region, result.best.country) == ("Illinois", "US")
    assert result.best.label == "Springfield, Illinois, United States"


def test_springfield_alone_lists_the_states(gazetteer):
    regions = {p.region for p in gazetteer.geocode("Springfield").candidates if p.country == "US"}

    assert {"Illinois", "Missouri", "Massachusetts"} <= regions


@pytest.mark.parametrize(
    ("query", "country", "region"),
    [
        ("Valencia, Carabobo", "VE", "Carabobo"),
        ("Valencia, Venezuela", "VE", "Carabobo"),
        ("London, ON", "CA", "Ontario"),
        ("London, UK", "GB", "England"),
        ("Londres, Reino Unido", "GB", "England"),
        ("Elche, Alicante", "ES", "Comunidad Valenciana"),
        ("Nueva York, EEUU", "US", "New York"),
    ],
)
def test_a_region_or_province_or_spanish_country_name_narrows_the_search(gazetteer, query, country, region):
    result = gazetteer.geocode(query)

    assert len(result.candidates) == 1
    assert (result.best.country, result.best.region) == (country, region)


# --- postcodes -----------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["60611", "60611-1234", "60611 1234", "606111234"])
def test_us_zip_and_zip_plus_four(gazetteer, query):
    result = gazetteer.geocode(query)

    assert len(result.candidates) == 1
    place = result.best
    assert (place.kind, place.name, place.locality, place.region, place.country) == (
        "us_zip",
        "60611",
        "Chicago",
        "Illinois",
        "US",
    )
    assert place.label == "60611 (Chicago, Illinois), United States"
    assert km_from(place, CHICAGO_MAGNIFICENT_MILE) < 3


@pytest.mark.parametrize("query", ["SW1A 1AA", "sw1a 1aa", "SW1A1AA", "SW1A", "SW1A 1AA, UK"])
def test_uk_postcode_full_or_outward_gives_the_district_centroid(gazetteer, query):
    place = gazetteer.geocode(query).best

    assert (place.kind, place.name, place.country, place.region) == ("uk_outcode", "SW1A", "GB", "England")
    assert km_from(place, BUCKINGHAM_PALACE) < 2


@pytest.mark.parametrize(
    ("query", "locality", "region"),
    [("M1", "Manchester", "England"), ("EH1 1YZ", "Edinburgh", "Scotland"), ("BT7 1NN", "Belfast", "Northern Ireland")],
)
def test_uk_outward_codes_across_the_uk(gazetteer, query, locality, region):
    place = gazetteer.geocode(query).best

    assert (place.kind, place.locality, place.region) == ("uk_outcode", locality, region)


def test_an_unknown_uk_district_falls_back_to_its_area_post_town_and_says_so(gazetteer):
    place = gazetteer.geocode("SW99 9ZZ").best

    assert (place.kind, place.name, place.locality) == ("uk_area", "SW99", "London")
    assert place.label == "SW99 (London, England), United Kingdom"


def test_spanish_postcode_has_its_own_centroid(gazetteer):
    place = gazetteer.geocode("28013").best

    assert (place.kind, place.locality, place.country) == ("es_postcode", "Madrid", "ES")
    assert km_from(place, MADRID) < 3


def test_a_spanish_postcode_missing_from_the_list_falls_back_to_its_province_capital(gazetteer):
    place = gazetteer.geocode("52999").best
    melilla = next(p for p in gazetteer.geocode("Melilla, Spain").candidates)

    assert (place.kind, place.name, place.locality) == ("es_province", "52999", "Melilla")
    assert (place.latitude, place.longitude) == (melilla.latitude, melilla.longitude)


def test_five_digits_that_are_both_a_zip_and_a_spanish_postcode_give_both(gazetteer):
    result = gazetteer.geocode("46001")

    assert result.ambiguous
    assert [(p.kind, p.country) for p in result.candidates] == [("us_zip", "US"), ("es_postcode", "ES")]
    assert result.candidates[0].locality == "Alexandria"
    assert km_from(result.candidates[1], VALENCIA_ES) < 3


@pytest.mark.parametrize(
    ("query", "country"),
    [("46001, Spain", "ES"), ("46001 ES", "ES"), ("ES 46001", "ES"), ("46001, España", "ES"), ("46001, USA", "US")],
)
def test_naming_the_country_settles_a_five_digit_code(gazetteer, query, country):
    result = gazetteer.geocode(query)

    assert countries(result) == [country]


def test_a_label_typed_back_finds_the_same_place(gazetteer):
    for query in ["Valencia", "60611", "SW1A", "28013", "52999", "46001", "10001", "JE2", "BT7", "SW99", "Springfield"]:
        for place in gazetteer.geocode(query).candidates:
            again = gazetteer.geocode(place.label)
            assert again.candidates == (place,), place.label


@pytest.mark.parametrize(
    "query",
    ["Valencia (Spain)", "Valencia (España)", "Valencia (Comunidad Valenciana, Spain)", "\u200bValencia\u200b,\tSpain"],
)
def test_a_country_in_parentheses_or_stray_invisible_characters_still_work(gazetteer, query):
    result = gazetteer.geocode(query)

    assert [(p.name, p.country) for p in result.candidates] == [("Valencia", "ES")]


# --- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["", "   ", "\t\n", ", Spain", " ,ES"])
def test_empty_input_asks_for_a_city_or_postcode(gazetteer, query):
    with pytest.raises(GeocodeError) as caught:
        gazetteer.geocode(query)

    assert caught.value.message == "Type a city or a postcode."
    assert caught.value.suggestions == ()


@pytest.mark.parametrize(
    "query", ["!!!", "???", ",", " , ", "-- // --", "x" * 500, "Valencia " * 60, "Москва", "12", "QQ1 1AA", "Xqzvbnmw"]
)
def test_garbage_gets_a_clear_error_and_never_another_exception(gazetteer, query):
    with pytest.raises(GeocodeError) as caught:
        gazetteer.geocode(query)

    message = caught.value.message
    assert message and len(message) < 300
    assert str(caught.value) == message


@pytest.mark.parametrize("query", ["\ud800", "Valencia\udc00x", "\x00\x01", "\u200b\u200b"])
def test_characters_a_page_cannot_show_never_reach_the_message(gazetteer, query):
    with pytest.raises(GeocodeError) as caught:
        gazetteer.geocode(query)

    caught.value.message.encode("utf-8")  # a lone surrogate here would break the HTML or JSON response


@pytest.mark.parametrize(
    ("query", "suggested"),
    [
        ("Valenciaa", "Valencia, Spain"),
        ("Vlaencia", "Valencia, Spain"),
        ("Balencia", "Valencia, Spain"),
        ("Nuevo Yorkk", "New York City, United States"),
        ("Springfeild, IL", "Springfield, Illinois, United States"),
    ],
)
def test_a_near_miss_suggests_what_the_patient_meant(gazetteer, query, suggested):
    with pytest.raises(GeocodeError) as caught:
        gazetteer.geocode(query)

    assert suggested in caught.value.suggestions
    assert caught.value.message.startswith(f'We couldn\'t find "{query.split(",")[0]}". Did you mean: ')


def test_the_suggestion_message_reads_as_a_sentence(gazetteer):
    with pytest.raises(GeocodeError) as caught:
        gazetteer.geocode("Valenciaa")

    assert (
        caught.value.message == f'We couldn\'t find "Valenciaa". Did you mean: {"; ".join(caught.value.suggestions)}?'
    )


def test_every_suggestion_can_be_typed_back(gazetteer):
    with pytest.raises(GeocodeError) as caught:
        gazetteer.geocode("Valenciaa")

    for suggestion in caught.value.suggestions:
        assert gazetteer.geocode(suggestion).candidates


def test_an_unknown_country_is_named_in_the_error(gazetteer):
    with pytest.raises(GeocodeError) as caught:
        gazetteer.geocode("Valencia, Spainn")

    assert '"Spainn"' in caught.value.message
    assert "Valencia, Spain" in caught.value.suggestions


def test_a_city_that_is_not_in_the_named_country_says_so(gazetteer):
    with pytest.raises(GeocodeError) as caught:
        gazetteer.geocode("Springfield, Spain")

    assert caught.value.message == 'We couldn\'t find "Springfield" in Spain.'
    assert "Springfield, Illinois, United States" in caught.value.suggestions


@pytest.mark.parametrize(
    ("query", "suggested"),
    [("CA", "Los Angeles, United States"), ("IL", "Chicago, United States"), ("Illinois", "Chicago, United States")],
)
def test_a_state_code_alone_is_read_as_the_state_not_a_namesake_hamlet(gazetteer, query, suggested):
    with pytest.raises(GeocodeError) as caught:
        gazetteer.geocode(query)

    assert "type a city or a postcode in it" in caught.value.message
    assert suggested in caught.value.suggestions


def test_a_country_alone_suggests_its_largest_cities(gazetteer):
    with pytest.raises(GeocodeError) as caught:
        gazetteer.geocode("Spain")

    assert "is a country" in caught.value.message
    assert caught.value.suggestions[0] == "Madrid, Spain"


def test_an_unknown_postcode_is_reported_as_a_postcode(gazetteer):
    with pytest.raises(GeocodeError, match="postcode"):
        gazetteer.geocode("99999")


# --- the index itself -----------------------------------------------------------------------


def test_attribution_credits_geonames_under_cc_by(gazetteer):
    assert "GeoNames" in gazetteer.attribution()
    assert "CC BY 4.0" in gazetteer.attribution()
    assert "Royal Mail" in gazetteer.attribution()


def test_loading_a_missing_index_names_the_build_script(tmp_path: Path):
    with pytest.raises(FileNotFoundError, match=r"build_gazetteer\.py"):
        Gazetteer.load(tmp_path / "nothing.sqlite")


def test_one_gazetteer_serves_many_threads(gazetteer: Gazetteer) -> None:
    answers: list[tuple[Place, ...]] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(20):
                answers.append(gazetteer.geocode("Valencia, Spain").candidates)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors
    assert len(set(answers)) == 1 and len(answers) == 160


# --- places and labels ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("place", "label"),
    [
        (Place("Valencia", "Valencia", "ES", "Spain", 39.47, -0.38, "city"), "Valencia, Spain"),
        (
            Place("Springfield", "Illinois", "US", "United States", 39.8, -89.6, "city"),
            "Springfield, Illinois, United States",
        ),
        (Place("Singapore", None, "SG", "Singapore", 1.29, 103.85, "city"), "Singapore"),
        (
            Place("60611", "Illinois", "US", "United States", 41.9, -87.6, "us_zip", locality="Chicago"),
            "60611 (Chicago, Illinois), United States",
        ),
        (
            Place("10001", "New York", "US", "United States", 40.75, -74.0, "us_zip", locality="New York"),
            "10001 (New York), United States",
        ),
    ],
)
def test_labels_leave_out_repeated_parts(place, label):
    assert place.label == label


def test_a_result_needs_a_candidate():
    with pytest.raises(ValueError):
        GeocodeResult("x", ())


# --- text keys and postcode shapes ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("València", "valencia"),
        ("  New   York ", "new york"),
        ("St. Albans", "saint albans"),
        ("U.S.A.", "usa"),
        ("L'Hospitalet de Llobregat", "lhospitalet de llobregat"),
        ("A Coruña", "a coruna"),
        ("Łódź", "lodz"),
        ("Москва", ""),
    ],
)
def test_fold_ignores_accents_case_and_punctuation(text, key):
    assert fold(text) == key


def test_accent_key_keeps_accents():
    assert accent_key("VALÈNCIA") == "valència" != fold("València")


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [
        ("valencia", "valencia", 0),
        ("valenciaa", "valencia", 1),
        ("vlaencia", "valencia", 1),  # two neighbours swapped: one keystroke
        ("nuevo yorkk", "nueva york", 2),
        ("abc", "xyz", 3),  # over the limit of 2: reported as limit + 1
        ("valencia", "v", 3),
    ],
)
def test_edit_distance_counts_keystrokes_up_to_a_limit(a, b, distance):
    assert edit_distance(a, b, 2) == distance


@pytest.mark.parametrize(
    ("text", "zip5"),
    [
        ("60611", "60611"),
        ("60611-1234", "60611"),
        ("606111234", "60611"),
        ("6061", None),
        ("60611-12", None),
        ("ABCDE", None),
    ],
)
def test_us_zip_shapes(text, zip5):
    assert us_zip(text) == zip5


@pytest.mark.parametrize(
    ("text", "outward", "area"),
    [
        ("SW1A 1AA", "SW1A", "SW"),
        ("sw1a1aa", "SW1A", "SW"),
        ("M1", "M1", "M"),
        ("M1 1AE", "M1", "M"),
        ("EH10", "EH10", "EH"),
        ("W1A", "W1A", "W"),
    ],
)
def test_uk_postcode_shapes(text, outward, area):
    parsed = uk_postcode(text)

    assert parsed is not None
    assert (parsed.outward, parsed.area) == (outward, area)


@pytest.mark.parametrize("text", ["Valencia", "12345", "SW1A 1A", "1AA"])
def test_not_uk_postcodes(text):
    assert uk_postcode(text) is None


@pytest.mark.parametrize(
    ("code", "province"), [("46001", "46"), ("01001", "01"), ("52001", "52"), ("53001", None), ("00001", None)]
)
def test_spanish_province_is_the_first_two_digits(code, province):
    assert spanish_province(code) == province


def test_ordnance_survey_grid_converts_to_gps_coordinates():
    # SW1A 1AA in Code-Point Open; the answer is Buckingham Palace's WGS-84 position.
    latitude, longitude = osgb36_to_wgs84(529090, 179645)

    assert latitude == pytest.approx(51.501009, abs=2e-5)
    assert longitude == pytest.approx(-0.141588, abs=2e-5)


@pytest.mark.parametrize(
    ("iso_name", "shown"),
    [
        ("Valenciana, Comunidad", "Comunidad Valenciana"),
        ("Murcia, Región de", "Región de Murcia"),
        ("San Andrés, Providencia y Santa Catalina", "San Andrés, Providencia y Santa Catalina"),
        ("Illinois", "Illinois"),
    ],
)
def test_inverted_iso_region_names_read_naturally(iso_name, shown):
    assert uninvert(iso_name) == shown


# --- distances -------------------------------------------------------------------------------


def test_madrid_to_barcelona_is_about_505_km_as_the_crow_flies():
    assert great_circle_km(*MADRID, *BARCELONA) == pytest.approx(505, abs=3)


def test_geodesic_agrees_with_the_great_circle_to_half_a_percent():
    exact = geodesic_km(*MADRID, *BARCELONA)

    assert exact == pytest.approx(great_circle_km(*MADRID, *BARCELONA), rel=0.005)


@pytest.mark.parametrize(
    ("a", "b", "km"),
    [
        ((0.0, 0.0), (0.0, 0.0), 0.0),
        ((0.0, 0.0), (0.0, 180.0), 20015.1),
        ((90.0, 0.0), (-90.0, 0.0), 20015.1),
        ((0.0, 179.5), (0.0, -179.5), 111.2),
    ],
)
def test_great_circle_edge_cases(a, b, km):
    assert great_circle_km(*a, *b) == pytest.approx(km, abs=0.2)


def destination(lat: float, lon: float, bearing_deg: float, km: float) -> tuple[float, float]:
    """The point `km` away along `bearing_deg`, on the same sphere as great_circle_km."""
    angular = km / 6371.0088
    phi1, lambda1, theta = math.radians(lat), math.radians(lon), math.radians(bearing_deg)
    phi2 = math.asin(math.sin(phi1) * math.cos(angular) + math.cos(phi1) * math.sin(angular) * math.cos(theta))
    lambda2 = lambda1 + math.atan2(
        math.sin(theta) * math.sin(angular) * math.cos(phi1), math.cos(angular) - math.sin(phi1) * math.sin(phi2)
    )
    return math.degrees(phi2), (math.degrees(lambda2) + 540) % 360 - 180


@pytest.mark.parametrize(
    ("lat", "lon", "radius"),
    [
        (*VALENCIA_ES, 50.0),
        (*CHICAGO_MAGNIFICENT_MILE, 250.0),
        (0.0, 0.0, 1000.0),
        (64.1, -21.9, 400.0),
        (-33.9, 151.2, 100.0),
        (51.5, 179.9, 150.0),
        (-16.5, -179.8, 80.0),
        (88.5, 10.0, 300.0),
        (-89.0, 0.0, 50.0),
    ],
)
def test_the_bounding_box_holds_every_point_on_the_circle(lat, lon, radius):
    box = bounding_box(lat, lon, radius)

    for bearing in range(0, 360, 5):
        point = destination(lat, lon, bearing, radius * 0.999)
        assert box.contains(*point), (bearing, point, box)


def test_a_box_across_the_antimeridian_has_two_longitude_ranges():
    box = bounding_box(51.5, 179.9, 150.0)

    assert box.crosses_antimeridian
    assert len(box.lon_ranges) == 2
    assert box.lon_ranges[0][1] == 180.0 and box.lon_ranges[1][0] == -180.0
    assert box.contains(51.5, -179.5) and box.contains(51.5, 179.0)
    assert not box.contains(51.5, 0.0)


def test_a_box_around_a_pole_spans_every_longitude():
    box = bounding_box(89.5, 0.0, 100.0)

    assert box.max_lat == 90.0
    assert box.lon_ranges == [(-180.0, 180.0)]


def test_an_ordinary_box_unpacks_to_four_numbers_and_is_tight():
    min_lat, max_lat, min_lon, max_lon = bounding_box(*VALENCIA_ES, 50.0)

    assert max_lat - min_lat == pytest.approx(2 * 50 / 111.195, rel=1e-3)
    assert min_lon < VALENCIA_ES[1] < max_lon
    assert not bounding_box(*VALENCIA_ES, 50.0).crosses_antimeridian
    assert not bounding_box(*VALENCIA_ES, 50.0).contains(*MADRID)


@pytest.mark.parametrize(("lat", "radius"), [(91.0, 10.0), (0.0, -1.0), (0.0, float("nan"))])
def test_a_bounding_box_refuses_nonsense(lat, radius):
    with pytest.raises(ValueError):
        bounding_box(lat, 0.0, radius)


# --- the online adapter ------------------------------------------------------------------------


class FakeNominatim:
    """Shaped like geopy's Nominatim: geocode(query, exactly_one=..., limit=..., ...) → list of Locations."""

    def __init__(self, answer: Any = None, error: Exception | None = None) -> None:
        self.answer = answer
        self.error = error
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def geocode(
        self,
        query: str,
        exactly_one: bool = True,
        limit: int | None = None,
        addressdetails: bool = False,
        language: str | bool = False,
    ) -> Any:
        self.calls.append(
            (
                query,
                {"exactly_one": exactly_one, "limit": limit, "addressdetails": addressdetails, "language": language},
            )
        )
        if self.error is not None:
            raise self.error
        return self.answer


def location(address: str, lat: float, lon: float, **details: str) -> SimpleNamespace:
    return SimpleNamespace(address=address, latitude=lat, longitude=lon, raw={"address": details})


def test_online_results_come_back_as_places(gazetteer):
    service = FakeNominatim(
        [
            location(
                "València, Comarca de València, Comunitat Valenciana, España",
                39.47,
                -0.377,
                city="València",
                state="Comunitat Valenciana",
                country="Spain",
                country_code="es",
            ),
            location(
                "Valencia, Carabobo, Venezuela",
                10.16,
                -68.0,
                city="Valencia",
                state="Carabobo",
                country="Venezuela",
                country_code="ve",
            ),
        ]
    )

    result = OnlineGeocoder(service, fallback=gazetteer).geocode("Valencia", limit=5)

    assert [(p.name, p.region, p.country, p.kind) for p in result.candidates] == [
        ("València", "Comunitat Valenciana", "ES", "online"),
        ("Valencia", "Carabobo", "VE", "online"),
    ]
    assert service.calls == [("Valencia", {"exactly_one": False, "limit": 5, "addressdetails": True, "language": "en"})]


def test_online_duplicates_are_merged():
    same = location(
        "Springfield, Illinois, United States",
        39.8,
        -89.64,
        city="Springfield",
        state="Illinois",
        country="United States",
        country_code="us",
    )
    result = OnlineGeocoder(FakeNominatim([same, same])).geocode("Springfield")

    assert len(result.candidates) == 1
    assert result.best.label == "Springfield, Illinois, United States"


def test_a_failing_service_falls_back_to_the_offline_gazetteer(gazetteer):
    online = OnlineGeocoder(FakeNominatim(error=TimeoutError("slow")), fallback=gazetteer)

    result = online.geocode("Valencia, Spain")

    assert result.best.kind == "city" and result.best.country == "ES"


def test_nothing_found_online_falls_back_too(gazetteer):
    assert OnlineGeocoder(FakeNominatim(None), fallback=gazetteer).geocode("60611").best.kind == "us_zip"


def test_without_a_fallback_a_failure_is_a_patient_friendly_error():
    with pytest.raises(GeocodeError, match="not available right now"):
        OnlineGeocoder(FakeNominatim(error=OSError("network down"))).geocode("Valencia")
    with pytest.raises(GeocodeError, match="couldn't find"):
        OnlineGeocoder(FakeNominatim([])).geocode("Valencia")


def test_empty_input_never_reaches_the_online_service():
    service = FakeNominatim([])

    with pytest.raises(GeocodeError, match="Type a city or a postcode"):
        OnlineGeocoder(service).geocode("   ")
    assert service.calls == []


def test_a_minimal_geopy_geocoder_works_too():
    class Minimal:
        def geocode(self, query: str, exactly_one: bool = True) -> Any:
            return SimpleNamespace(address="Madrid, Comunidad de Madrid, España", latitude=40.4, longitude=-3.7, raw={})

    result = OnlineGeocoder(Minimal()).geocode("Madrid")

    assert (result.best.name, result.best.country_name) == ("Madrid", "España")


def test_online_attribution_credits_openstreetmap_and_the_offline_data(gazetteer):
    class Nominatim(FakeNominatim):
        pass

    text = OnlineGeocoder(Nominatim(), fallback=gazetteer).attribution()

    assert "OpenStreetMap" in text and "GeoNames" in text
