"""The CDC converter: what it keeps, fixes and skips, and that it invents nothing."""

from __future__ import annotations

import csv
from collections.abc import Mapping
from pathlib import Path

import pytest

from clinicfinder.core.directory.columns import COLUMNS
from tests.support.paths import CLINICS_CSV, PROJECT_ROOT
from tools.cdc_clinics_csv import (
    EarlierListing,
    convert,
    convert_with_report,
    haversine_km,
    main,
    parse_point,
    zipcodes_centroid,
)

RAW_2022 = PROJECT_ROOT / "data" / "raw" / "cdc_art_services_profiles_2022.csv"

SOURCE = "CDC NASS 2022 ART Services and Profiles"
AS_OF = "2022-12-31"

SUBTOPIC_IDS = {
    "Total cycles": "ST01",
    "Fertility preservation cycles": "ST02",
    "Pregnancies": "ST03",
    "Deliveries": "ST04",
    "Total infants born": "ST05",
    "Donor egg services": "ST09",
    "Donated embryo services": "ST10",
    "Embryo cryopreservation services": "ST11",
    "Egg cryopreservation services": "ST12",
    "Gestational carrier services": "ST13",
    "SART member": "ST14",
    "Verified lab accreditation": "ST15",
}
REPORTED = {
    "Total cycles": "120",
    "Fertility preservation cycles": "15",
    "Pregnancies": "40",
    "Deliveries": "33",
    "Total infants born": "35",
    "Donor egg services": "Yes",
    "Donated embryo services": "No",
    "Embryo cryopreservation services": "Yes",
    "Egg cryopreservation services": "Yes",
    "Gestational carrier services": "No",
    "SART member": "Yes",
    "Verified lab accreditation": "Yes",
}
NOTHING_REPORTED = dict.fromkeys(REPORTED, "")

# Fake ZIP centroids, so the unit tests need no gazetteer.
CENTROIDS = {
    "60611": (41.8950, -87.6200),
    "07013": (40.8693, -74.1711),
    "00918": (18.4237, -66.0674),
    "42000": (42.0000, -87.0000),
}


def fake_centroid(zip5: str) -> tuple[float, float] | None:
    return CENTROIDS.get(zip5)


def raw_clinic(
    clinic_id: str = "1",
    *,
    name: str = "Lakeshore Fertility",
    status: str = "Open",
    zipcode: str = "60611",
    geolocation: str = "POINT (-87.639 41.8945)",
    values: Mapping[str, str] = REPORTED,
    **overrides: str,
) -> list[dict[str, str]]:
    """CDC's long format: the same identity repeated on one row per SubTopic."""
    identity = {
        "Year": "2022",
        "LocationAbbr": "IL",
        "LocationDesc": "Illinois",
        "FacilityName": name,
        "MedicalDirector": "Ada Lovelace, MD",
        "Address": "680 N. Lake Shore Dr, Suite 117",
        "City": "Chicago",
        "Zipcode": zipcode,
        "Phone": "(312) 555-0100",
        "Clinic Status": status,
        "ClinicId": clinic_id,
        "TopicId": "TOP01",
        "Topic": "Clinic Services & Profile",
        "Geolocation": geolocation,
        **overrides,
    }
    return [
        {
            **identity,
            "SubTopic": subtopic,
            "SubTopicId": SUBTOPIC_IDS.get(subtopic, "ST99"),
            "Data_Value": value,
        }
        for subtopic, value in values.items()
    ]


def national_rows() -> list[dict[str, str]]:
    # As in the real file: percentages, and ST15-17 split into "- Yes/- No/- Pending".
    rows = raw_clinic(
        "9,999",
        name="National",
        zipcode="None",
        geolocation="",
        values={**REPORTED, "Total cycles": "435426", "Donor egg services": "88%"},
    )
    rows = [row for row in rows if row["SubTopic"] != "Verified lab accreditation"]
    for subtopic_id, answer, share in (
        ("ST15", "Yes", "89%"),
        ("ST16", "No", "10%"),
        ("ST17", "Pending", "1%"),
    ):
        rows.append(
            {
                **rows[0],
                "SubTopic": f"Verified lab accreditation - {answer}",
                "SubTopicId": subtopic_id,
                "Data_Value": share,
            }
        )
    return rows


def only(rows: list[dict[str, str]]) -> dict[str, str]:
    assert len(rows) == 1
    return rows[0]


def convert_one(raw: list[dict[str, str]]) -> dict[str, str]:
    return only(convert(raw, fake_centroid))


def read_clinics_csv() -> list[dict[str, str]]:
    with CLINICS_CSV.open(newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def read_raw_2022() -> list[dict[str, str]]:
    with RAW_2022.open(newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


# --- which rows become clinics -------------------------------------------------------


def test_national_aggregate_row_is_not_listed_as_a_clinic() -> None:
    rows = convert([*national_rows(), *raw_clinic("1")], fake_centroid)

    assert [row["clinic_id"] for row in rows] == ["us-cdc-1"]


def test_non_reporters_are_skipped_entirely() -> None:
    raw = [
        *raw_clinic("1"),
        *raw_clinic("2", status="Non-reporter", values=NOTHING_REPORTED),
    ]

    rows, report = convert_with_report(raw, fake_centroid)

    assert [row["clinic_id"] for row in rows] == ["us-cdc-1"]
    assert report.skipped_non_reporters == ["us-cdc-2"]


@pytest.mark.parametrize(
    ("cdc_status", "status"),
    [("Open", "open"), ("Reorganized", "reorganized"), ("Closed", "closed")],
)
def test_clinic_status_uses_the_domain_codes(cdc_status: str, status: str) -> None:
    assert convert_one(raw_clinic(status=cdc_status))["status"] == status


def test_clinics_are_sorted_by_numeric_clinic_id_with_commas_stripped() -> None:
    raw = [*raw_clinic("1,001"), *raw_clinic("10"), *raw_clinic("9")]

    rows = convert(raw, fake_centroid)

    assert [row["clinic_id"] for row in rows] == [
        "us-cdc-9",
        "us-cdc-10",
        "us-cdc-1001",
    ]


# --- identity ------------------------------------------------------------------------


def test_identity_is_copied_with_surrounding_whitespace_stripped() -> None:
    row = convert_one(raw_clinic(name="  Lakeshore Fertility ", Phone=" (312) 555-0100"))

    assert row["name"] == "Lakeshore Fertility"
    assert row["medical_director"] == "Ada Lovelace, MD"
    assert row["address"] == "680 N. Lake Shore Dr, Suite 117"
    assert row["city"] == "Chicago"
    assert row["region"] == "IL"
    assert row["country"] == "US"
    assert row["phone"] == "(312) 555-0100"
    assert (row["listing_source"], row["listing_as_of"]) == (SOURCE, AS_OF)


@pytest.mark.parametrize(
    ("zipcode", "postal_code"),
    [("7013", "07013"), ("918", "00918"), ("60611", "60611")],
)
def test_zip_leading_zeros_lost_by_cdc_are_restored(zipcode: str, postal_code: str) -> None:
    raw = raw_clinic(zipcode=zipcode, geolocation="")

    rows, report = convert_with_report(raw, fake_centroid)

    row = only(rows)
    assert row["postal_code"] == postal_code
    # The restored ZIP is the one looked up, so the clinic lands at its centroid.
    latitude, longitude = CENTROIDS[postal_code]
    assert (row["latitude"], row["longitude"]) == (
        f"{latitude:.4f}",
        f"{longitude:.4f}",
    )
    assert len(report.zeros_restored) == (zipcode != postal_code)


# --- coordinates ---------------------------------------------------------------------


def test_point_is_read_longitude_first() -> None:
    row = convert_one(raw_clinic(geolocation="POINT (-87.639 41.8945)"))

    assert (row["latitude"], row["longitude"]) == ("41.8945", "-87.6390")
    assert row["coordinates_source"] == "CDC NASS 2022"


@pytest.mark.parametrize(
    ("geolocation", "latitude", "longitude", "coordinates_source"),
    [
        # 0.08° of latitude is ~9 km: close enough, CDC's point is kept.
        ("POINT (-87 41.92)", "41.9200", "-87.0000", "CDC NASS 2022"),
        # 0.1° is ~11 km: just past the limit, the ZIP centroid wins.
        (
            "POINT (-87 41.9)",
            "42.0000",
            "-87.0000",
            "ZIP centroid (zipcodes package); CDC point was 11 km away",
        ),
        # ~42 km, as Kindbody St Louis was: once kept, now replaced.
        (
            "POINT (-87 41.62)",
            "42.0000",
            "-87.0000",
            "ZIP centroid (zipcodes package); CDC point was 42 km away",
        ),
        (
            "POINT (-118.1325 34.1446)",
            "42.0000",
            "-87.0000",
            "ZIP centroid (zipcodes package); CDC point was 2844 km away",
        ),
        (
            "",
            "42.0000",
            "-87.0000",
            "ZIP centroid (zipcodes package); CDC gave no point",
        ),
    ],
)
def test_cdc_point_far_from_its_zip_centroid_is_replaced(
    geolocation: str, latitude: str, longitude: str, coordinates_source: str
) -> None:
    row = convert_one(raw_clinic(zipcode="42000", geolocation=geolocation))

    assert (row["latitude"], row["longitude"]) == (latitude, longitude)
    assert row["coordinates_source"] == coordinates_source


OLD_POINT = (41.8945, -87.639)


def test_a_clinic_that_moved_while_cdc_kept_its_old_point_gets_the_zip_centroid() -> None:
    earlier = {1: [EarlierListing(2021, "409 W. Huron St, Suite 500", OLD_POINT)]}

    row = only(convert(raw_clinic(), fake_centroid, earlier))

    assert (row["latitude"], row["longitude"]) == ("41.8950", "-87.6200")
    assert row["coordinates_source"] == (
        "ZIP centroid (zipcodes package); address changed since 2021, CDC kept the old point"
    )


@pytest.mark.parametrize(
    ("address", "point"),
    [
        ("680 N. Lake Shore Dr, Suite 117", OLD_POINT),  # same address: not a move
        ("680 North Lake Shore Drive, Suite 200", OLD_POINT),  # new suite and spelling: not a move
        ("409 W. Huron St, Suite 500", (41.8945, -87.6350)),  # moved, and CDC placed it again
    ],
)
def test_an_unchanged_address_or_a_new_cdc_point_keeps_the_cdc_point(address: str, point: tuple[float, float]) -> None:
    earlier = {1: [EarlierListing(2021, address, point)]}

    row = only(convert(raw_clinic(), fake_centroid, earlier))

    assert (row["latitude"], row["longitude"], row["coordinates_source"]) == ("41.8945", "-87.6390", "CDC NASS 2022")


def test_unknown_zip_keeps_the_cdc_point() -> None:
    row = convert_one(raw_clinic(zipcode="99999", geolocation="POINT (-87.5 41.5)"))

    assert (row["latitude"], row["longitude"]) == ("41.5000", "-87.5000")
    assert row["coordinates_source"] == "CDC NASS 2022"


def test_no_point_and_unknown_zip_leaves_coordinates_empty() -> None:
    row = convert_one(raw_clinic(zipcode="99999", geolocation=""))

    assert (row["latitude"], row["longitude"], row["coordinates_source"]) == (
        "",
        "",
        "",
    )


def test_haversine_matches_a_known_distance() -> None:
    # One degree of latitude on a 6371 km sphere.
    assert haversine_km((41.0, -87.0), (42.0, -87.0)) == pytest.approx(111.19, abs=0.01)


# --- values --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subtopic", "cdc_value", "column", "value"),
    [
        ("Donor egg services", "Yes", "egg_donation_offered", "yes"),
        ("Donor egg services", "No", "egg_donation_offered", "no"),
        ("SART member", "Yes", "sart_member", "yes"),
        ("SART member", "No", "sart_member", "no"),
        ("Verified lab accreditation", "Yes", "verified_lab_accreditation", "yes"),
        ("Verified lab accreditation", "No", "verified_lab_accreditation", "no"),
        (
            "Verified lab accreditation",
            "Pending",
            "verified_lab_accreditation",
            "pending",
        ),
    ],
)
def test_cdc_yes_no_answers_become_lowercase_codes(subtopic: str, cdc_value: str, column: str, value: str) -> None:
    row = convert_one(raw_clinic(values={**REPORTED, subtopic: cdc_value}))

    assert row[column] == value


def test_counts_are_copied_as_plain_digits() -> None:
    values = {**REPORTED, "Total cycles": "3,271", "Pregnancies": "575"}

    row = convert_one(raw_clinic(values=values))

    assert row["total_cycles"] == "3271"
    assert row["pregnancies"] == "575"
    assert row["outcomes_year"] == "2022"
    assert (row["outcomes_source"], row["outcomes_as_of"]) == (SOURCE, AS_OF)


def test_suppressed_count_stays_empty_rather_than_zero() -> None:
    rows, report = convert_with_report(
        raw_clinic(values={**REPORTED, "Fertility preservation cycles": "*"}),
        fake_centroid,
    )

    assert only(rows)["fertility_preservation_cycles"] == ""
    assert report.suppressed_counts == 1


def test_a_clinic_with_empty_cdc_values_gets_nothing_invented() -> None:
    row = convert_one(raw_clinic(values=NOTHING_REPORTED))

    filled = {column for column, value in row.items() if value}
    assert filled == {
        "clinic_id",
        "name",
        "medical_director",
        "address",
        "city",
        "region",
        "postal_code",
        "country",
        "latitude",
        "longitude",
        "coordinates_source",
        "phone",
        "status",
        "listing_source",
        "listing_as_of",
    }


@pytest.mark.parametrize(
    "column",
    [
        "email",
        "website",
        "description",
        "accreditation_bodies",
        "other_society_memberships",
        "icsi_offered",
        "tese_offered",
        "micro_tese_offered",
        "donor_sperm_offered",
        "ivf_price",
        "ivf_currency",
        "egg_donation_price",
        "mf_reproductive_urologist",
        "mf_micro_tese",
        "mf_sperm_cryopreservation",
        "mf_donor_sperm_access",
        "male_factor_source",
        "languages",
        "languages_source",
    ],
)
def test_what_cdc_does_not_publish_stays_empty(column: str) -> None:
    assert convert_one(raw_clinic())[column] == ""


@pytest.mark.parametrize(
    ("total_cycles", "ivf_offered"),
    [("120", "yes"), ("1,585", "yes"), ("0", ""), ("", "")],
)
def test_ivf_is_offered_by_a_clinic_that_reported_cycles(total_cycles: str, ivf_offered: str) -> None:
    row = convert_one(raw_clinic(values={**REPORTED, "Total cycles": total_cycles}))

    assert row["ivf_offered"] == ivf_offered
    source = (SOURCE, AS_OF) if ivf_offered else ("", "")
    assert (row["ivf_source"], row["ivf_as_of"]) == source


@pytest.mark.parametrize(
    ("egg_freezing", "preservation_cycles", "offered"),
    [
        ("Yes", "0", "yes"),
        ("No", "5", "yes"),
        # "No" to egg freezing does not rule out sperm or embryo freezing.
        ("No", "0", ""),
        ("No", "*", ""),
        ("", "", ""),
    ],
)
def test_fertility_preservation_needs_egg_freezing_or_preservation_cycles(
    egg_freezing: str, preservation_cycles: str, offered: str
) -> None:
    values = {
        **REPORTED,
        "Egg cryopreservation services": egg_freezing,
        "Fertility preservation cycles": preservation_cycles,
    }

    row = convert_one(raw_clinic(values=values))

    assert row["fertility_preservation_offered"] == offered
    source = (SOURCE, AS_OF) if offered else ("", "")
    assert (
        row["fertility_preservation_source"],
        row["fertility_preservation_as_of"],
    ) == source


@pytest.mark.parametrize(
    "raw",
    [
        raw_clinic(),
        raw_clinic(values=NOTHING_REPORTED, geolocation="", zipcode=""),
        raw_clinic(zipcode="918", status="Closed"),
    ],
)
def test_every_row_has_exactly_the_clinics_csv_columns(
    raw: list[dict[str, str]],
) -> None:
    row = convert_one(raw)

    assert tuple(row) == COLUMNS
    assert all(isinstance(value, str) for value in row.values())


# --- bad input fails loudly instead of guessing ---------------------------------------


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (raw_clinic(status="Suspended"), "Clinic Status"),
        (raw_clinic(clinic_id="A1"), "ClinicId"),
        (raw_clinic(zipcode="6061-1"), "Zipcode"),
        (raw_clinic(geolocation="41.8 -87.6"), "Geolocation"),
        (raw_clinic(values={**REPORTED, "SART member": "Maybe"}), "Maybe"),
        (raw_clinic(values={**REPORTED, "Total cycles": "12.5"}), "whole number"),
        (raw_clinic(values={**REPORTED, "Egg donor cycles": "3"}), "SubTopic"),
        (
            [*raw_clinic()[:3], *raw_clinic(City="Evanston")[3:]],
            "City differs",
        ),
    ],
)
def test_unexpected_cdc_data_is_refused(raw: list[dict[str, str]], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        convert(raw, fake_centroid)


# --- the real 2022 file ---------------------------------------------------------------


def test_rebuilding_from_the_raw_2022_file_reproduces_clinics_csv(
    tmp_path: Path,
) -> None:
    rebuilt = tmp_path / "clinics.csv"

    assert main([str(RAW_2022), str(rebuilt)]) == 0

    assert rebuilt.read_bytes() == CLINICS_CSV.read_bytes()


def _distance_to_zip_centroid_km(row: Mapping[str, str]) -> float:
    centroid = zipcodes_centroid(row["postal_code"])
    assert centroid is not None, row["postal_code"]
    return haversine_km((float(row["latitude"]), float(row["longitude"])), centroid)


@pytest.mark.parametrize(
    ("name", "city"),
    [
        ("Fertility Centers of Orange County", "Irvine"),
        (
            "UT Health San Antonio Reproductive Health and Fertility Center",
            "San Antonio",
        ),
        ("Brooke Army Medical Center", "Fort Sam Houston"),
    ],
)
def test_known_misplaced_clinic_is_listed_near_its_zip(name: str, city: str) -> None:
    raw = next(row for row in read_raw_2022() if row["FacilityName"] == name)
    cdc_point = parse_point(raw["Geolocation"])
    centroid = zipcodes_centroid(raw["Zipcode"].zfill(5))
    assert cdc_point is not None and centroid is not None
    # The defect is really in the raw file: hundreds of km off.
    assert haversine_km(cdc_point, centroid) > 500

    listed = only([row for row in read_clinics_csv() if row["name"] == name])

    assert listed["city"] == city
    assert _distance_to_zip_centroid_km(listed) <= 50
    assert listed["coordinates_source"].startswith("ZIP centroid (zipcodes package)")


def test_bloom_fertility_is_not_listed_but_its_point_would_be_fixed() -> None:
    # Bloom Fertility (Atlanta) is misplaced in Los Angeles, and is also a non-reporter.
    raw = [row for row in read_raw_2022() if row["FacilityName"] == "Bloom Fertility"]
    assert {row["Clinic Status"] for row in raw} == {"Non-reporter"}
    assert not [row for row in read_clinics_csv() if row["name"] == "Bloom Fertility"]

    as_reporter = [{**row, "Clinic Status": "Open"} for row in raw]
    row = only(convert(as_reporter, zipcodes_centroid))

    assert row["city"] == "Atlanta"
    assert _distance_to_zip_centroid_km(row) <= 50
    assert row["coordinates_source"].startswith("ZIP centroid (zipcodes package)")


def test_every_listed_clinic_is_within_10_km_of_its_zip_centroid() -> None:
    too_far = {
        row["clinic_id"]: round(_distance_to_zip_centroid_km(row))
        for row in read_clinics_csv()
        if zipcodes_centroid(row["postal_code"]) is not None and _distance_to_zip_centroid_km(row) > 10
    }

    assert too_far == {}


def test_kindbody_st_louis_is_placed_in_missouri_not_at_its_old_illinois_point() -> None:
    listed = only([row for row in read_clinics_csv() if row["clinic_id"] == "us-cdc-702"])

    assert (listed["city"], listed["region"]) == ("St Louis", "MO")
    # The Mississippi runs at about 90.18° W by St Louis; Missouri is west of it.
    assert float(listed["longitude"]) < -90.2
    assert "address changed since 2021" in listed["coordinates_source"]
