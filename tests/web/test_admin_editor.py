"""The clinic admin's listing editor: what may change, provenance, concurrent saves, the audit log, verification."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from flask import Flask
from flask.testing import FlaskClient

from clinicfinder.core.domain import Availability, ClinicStatus, MaleFactorCapability, Treatment
from clinicfinder.db.models import AuditEntry, Clinic
from clinicfinder.extensions import db
from tests.support.admin import OWNED, Admins, FormReader, csrf_token, form_values, logged_in, text

EDITOR = f"/admin/clinics/{OWNED}"
CDC = "CDC NASS 2022 ART Services and Profiles"


def save(client: FlaskClient, values: dict[str, str], **changes: str) -> str:
    response = client.post(EDITOR, data={**values, **changes}, follow_redirects=True)
    assert response.status_code == 200
    return text(response)


def clinic(app: Flask) -> Clinic:
    with app.app_context():
        found = db.session.get(Clinic, OWNED)
        assert found is not None
        _ = (found.offers, found.male_factor, found.languages, found.accreditations)  # load before closing
        db.session.expunge(found)
        return found


def today() -> str:
    return datetime.now(UTC).date().isoformat()


def test_a_clinic_admin_edits_prices_tese_and_languages_and_each_fact_is_clinic_reported_as_of_today(
    admins_app: tuple[Flask, Admins],
) -> None:
    app, admins = admins_app
    owner = logged_in(app, admins.owner)
    page = save(
        owner, form_values(owner, EDITOR),
        ivf_price="12500", ivf_currency="USD", tese_offered="yes", tese_price="9000.5", tese_currency="USD",
        mf_micro_tese="yes", mf_reproductive_urologist="yes", languages="en, ES", phone="+1 312 555 0100",
    )  # fmt: skip
    assert "Saved." in page
    saved = clinic(app)
    offers = {offer.treatment: offer for offer in saved.offers}
    assert offers[Treatment.IVF].price == Decimal("12500.00")
    assert offers[Treatment.IVF].availability is Availability.YES  # CDC's fact, untouched
    assert offers[Treatment.IVF].source == f"Clinic-reported price; offered per {CDC}"
    assert (offers[Treatment.TESE].availability, offers[Treatment.TESE].price) == (Availability.YES, Decimal("9000.50"))
    assert offers[Treatment.TESE].source == "Clinic-reported"
    assert offers[Treatment.TESE].as_of.isoformat() == today()
    assert offers[Treatment.EGG_DONATION].source == CDC  # not edited, so still CDC's
    assert {fact.capability: fact.availability for fact in saved.male_factor} == {
        MaleFactorCapability.MICRO_TESE: Availability.YES,
        MaleFactorCapability.REPRODUCTIVE_UROLOGIST: Availability.YES,
    }
    assert sorted(language.language for language in saved.languages) == ["en", "es"]
    assert {(row.body, row.source) for row in saved.accreditations} == {("verified", CDC), ("SART", CDC)}
    assert saved.listing_as_of is not None and saved.listing_as_of.isoformat() == today()
    assert saved.phone == "+1 312 555 0100"


def test_an_edit_shows_in_the_patients_search_at_once_as_not_yet_verified(admins_app: tuple[Flask, Admins]) -> None:
    app, admins = admins_app
    patient = app.test_client()
    query = {"lat": "41.8945", "lon": "-87.6390", "radius_km": "25", "treatment": "tese"}
    patient.get("/api/v1/clinics/search", query_string=query)  # the search index is built and cached
    owner = logged_in(app, admins.owner)
    save(owner, form_values(owner, EDITOR), tese_offered="yes", tese_price="9000", tese_currency="USD")
    detail = patient.get(f"/api/v1/clinics/{OWNED}").get_json()
    assert detail["treatments"]["tese"]["availability"] == "yes"
    assert detail["treatments"]["tese"]["price"] == {"amount": 9000.0, "currency": "USD"}
    assert detail["treatments"]["tese"]["source"] == "Clinic-reported"
    assert detail["treatments"]["tese"]["verified"] is False
    results = patient.get("/api/v1/clinics/search", query_string=query).get_json()
    mine = next(r for r in results["results"] if r["clinic"]["id"] == OWNED)
    assert mine["treatment"]["availability"] == "unknown"  # counts for order and filters only once verified
    assert "Clinic-reported price, not yet verified: $9,000." in str(mine["criteria"])


def test_cdc_facts_are_shown_but_cannot_be_changed_by_the_clinic(admins_app: tuple[Flask, Admins]) -> None:
    app, admins = admins_app
    owner = logged_in(app, admins.owner)
    page = text(owner.get(EDITOR))
    assert f"From {CDC}: not editable here." in page
    assert "1585 cycles in 2022" in page  # outcome figures are shown, with no field to edit them
    values = form_values(owner, EDITOR)
    assert "ivf_offered" not in values  # the browser sends nothing for a disabled field
    refused = save(owner, values, ivf_offered="no")
    assert "This comes from CDC and can&#39;t be changed here." in refused
    offers = {offer.treatment: offer for offer in clinic(app).offers}
    assert offers[Treatment.IVF].availability is Availability.YES and offers[Treatment.IVF].source == CDC


def test_accreditations_are_the_clinics_to_claim_only_where_cdc_reports_none(admins_app: tuple[Flask, Admins]) -> None:
    app, admins = admins_app
    owner = logged_in(app, admins.owner)
    values = form_values(owner, EDITOR)
    assert "accreditation_bodies" not in values  # CDC reports this clinic's accreditation: locked
    assert "This comes from CDC" in save(owner, values, accreditation_bodies="CAP")
    with app.app_context():
        found = db.session.get(Clinic, OWNED)
        assert found is not None
        found.accreditations.clear()
        db.session.commit()
    assert "Saved." in save(owner, form_values(owner, EDITOR), accreditation_bodies="CAP, ISO 9001", societies="ESHRE")
    rows = {(row.kind.value, row.body, row.source, row.as_of.isoformat()) for row in clinic(app).accreditations}
    assert rows == {
        ("lab", "CAP", "Clinic-reported", today()),
        ("lab", "ISO 9001", "Clinic-reported", today()),
        ("society", "ESHRE", "Clinic-reported", today()),
    }


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("website", "ftp://clinic.example", "Start the address with https:// or http://"),
        ("email", "not an address", "Enter an email address like info@clinic.example."),
        ("tese_price", "-5", "Enter a price of 0 or more"),
        ("tese_price", "lots", "Not a valid decimal value"),
        ("icsi_price", "9000", "A price needs “Offered: Yes”."),
        ("languages", "english", "Use two-letter codes such as en or es; not english."),
        ("accreditation_bodies", "verified", "verified is reported by CDC"),
        ("societies", "SART", "SART is reported by CDC"),
        ("description", "x" * 5001, "Use at most 5000 characters."),
        ("tese_price", "NaN", "Enter a price of 0 or more"),
        ("tese_price", "sNaN", "Enter a price of 0 or more"),
        ("tese_price", "Infinity", "Enter a price of 0 or more"),
        ("phone", "+1 555\x00 0100", "Remove the invisible control characters from this field."),
        ("description", "We\x07 help", "Remove the invisible control characters from this field."),
        ("description", "We help\x7f", "Remove the invisible control characters from this field."),
        ("website", "https://clinic.example/\x85", "Remove the invisible control characters from this field."),
        ("phone", "+1 555\n0100", "Remove the invisible control characters from this field."),
    ],
)
def test_a_bad_value_is_refused_with_the_error_next_to_its_field(
    admins_app: tuple[Flask, Admins], field: str, value: str, message: str
) -> None:
    app, admins = admins_app
    owner = logged_in(app, admins.owner)
    before = clinic(app).version
    page = save(owner, form_values(owner, EDITOR), **{field: value})
    assert f'id="{field}-error">{message}' in page.replace("&#34;", '"') or (
        f'id="{field}-error">' in page and message in page
    )
    assert "There is a problem" in page
    assert clinic(app).version == before


@pytest.mark.parametrize(
    ("field", "value"), [("version", "abc"), ("version", "99999999999999999999"), ("snapshot", "[" * 100_000)]
)
def test_a_tampered_hidden_field_is_refused_as_a_stale_save_not_a_server_error(
    admins_app: tuple[Flask, Admins], field: str, value: str
) -> None:
    app, admins = admins_app
    owner = logged_in(app, admins.owner)
    before = clinic(app).version
    page = save(owner, form_values(owner, EDITOR), **{field: value}, phone="+1 555 0199")
    if field == "version":
        assert "someone else saved" in page.lower() or "changed since" in page.lower()
        assert clinic(app).version == before
    else:  # without a readable snapshot the save goes through; only the conflict explanation would lack it
        assert clinic(app).phone == "+1 555 0199"


def test_a_control_character_in_the_hidden_snapshot_is_explained_at_the_top_not_a_bare_error_title(
    admins_app: tuple[Flask, Admins],
) -> None:
    app, admins = admins_app
    owner = logged_in(app, admins.owner)
    before = clinic(app).version
    page = save(owner, form_values(owner, EDITOR), snapshot='{"name": "Clinic\x7f"}', phone="+1 555 0199")
    assert "There is a problem" in page
    assert "invisible control characters in a hidden field, so nothing was saved. Reload the page" in page
    assert clinic(app).version == before


def test_a_listing_that_holds_a_del_character_can_still_be_edited_once_the_field_is_fixed(
    admins_app: tuple[Flask, Admins],
) -> None:
    app, admins = admins_app
    with app.app_context():  # as an import before the control-character check could leave it
        db.session.execute(db.update(Clinic).where(Clinic.id == OWNED).values(description="We help\x7f"))
        db.session.commit()
    owner = logged_in(app, admins.owner)
    values = form_values(owner, EDITOR)
    assert "\x7f" not in values["snapshot"]  # the page's own hidden copy escapes it
    refused = save(owner, values)
    assert 'id="description-error">Remove the invisible control characters from this field.' in refused
    assert "Saved." in save(owner, values, description="We help")
    assert clinic(app).description == "We help"


def test_an_impossible_user_id_is_a_404_not_a_server_error(admins_app: tuple[Flask, Admins]) -> None:
    app, admins = admins_app
    site = logged_in(app, admins.site)
    response = site.post(
        "/admin/users/99999999999999999999999/active",
        data={"csrf_token": csrf_token(site, "/admin/users"), "active": "0"},
    )
    assert response.status_code == 404


def test_a_price_needs_a_currency(admins_app: tuple[Flask, Admins]) -> None:
    app, admins = admins_app
    owner = logged_in(app, admins.owner)
    page = save(owner, form_values(owner, EDITOR), ivf_price="12000", ivf_currency="")
    assert 'id="ivf_currency-error">Choose the currency of the price.' in page


def test_a_markdown_description_is_shown_sanitised(admins_app: tuple[Flask, Admins]) -> None:
    app, admins = admins_app
    owner = logged_in(app, admins.owner)
    description = "**Male-factor care** since 1990.\n\n<script>alert(1)</script> [call](javascript:alert(1)) [site](https://ihr.example)"
    page = save(owner, form_values(owner, EDITOR), description=description)
    preview = page.split("As patients see it", 1)[1].split("</div>", 1)[0]
    assert "<strong>Male-factor care</strong>" in preview
    assert "<script>" not in preview and "javascript:" not in preview.split('href="')[-1]
    assert '<a href="https://ihr.example" rel="nofollow noopener noreferrer">site</a>' in preview
    assert clinic(app).description == description  # the admin's text is kept as written


def test_two_admins_saving_the_same_clinic_second_is_refused_with_what_changed_and_nothing_is_lost(
    admins_app: tuple[Flask, Admins],
) -> None:
    app, admins = admins_app
    owner, site = logged_in(app, admins.owner), logged_in(app, admins.site)
    owner_form, site_form = form_values(owner, EDITOR), form_values(site, EDITOR)  # both open the editor

    assert "Saved." in save(owner, owner_form, ivf_price="12500", ivf_currency="USD", phone="+1 312 555 0100")
    refused = save(site, site_form, phone="+1 312 555 0199", tese_offered="yes")

    assert "Not saved: someone else saved this listing while you were editing" in refused
    theirs = refused.split("What they changed", 1)[1].split("</table>", 1)[0]
    assert "IVF: price" in theirs and "12500.00 USD" in theirs
    assert "Phone" in theirs and "+1 312 555 0100" in theirs
    yours = refused.split("Your changes (not saved yet)", 1)[1].split("</table>", 1)[0]
    assert "+1 312 555 0199" in yours and "TESE: offered" in yours
    saved = clinic(app)
    assert saved.phone == "+1 312 555 0100"  # the first save stands
    assert {offer.treatment: offer.price for offer in saved.offers}[Treatment.IVF] == Decimal("12500.00")
    assert Treatment.TESE not in {offer.treatment for offer in saved.offers}

    # The refused page is the current listing: saving it again applies the second edit on top of the first.
    again = save(site, form_values_from(refused), phone="+1 312 555 0199")
    assert "Saved." in again
    saved = clinic(app)
    assert saved.phone == "+1 312 555 0199"
    assert {offer.treatment: offer.price for offer in saved.offers}[Treatment.IVF] == Decimal("12500.00")


def form_values_from(page: str) -> dict[str, str]:
    reader = FormReader()
    reader.feed(page)
    return reader.values


def test_every_change_is_in_the_audit_log_that_both_roles_can_read(admins_app: tuple[Flask, Admins]) -> None:
    app, admins = admins_app
    owner = logged_in(app, admins.owner)
    save(owner, form_values(owner, EDITOR), tese_offered="yes", tese_price="9000", tese_currency="USD")
    with app.app_context():
        entries = db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == "clinic.edit")).all()
        rows = {(entry.actor_label, entry.field, entry.old_value, entry.new_value) for entry in entries}
    assert (admins.owner, "TESE: offered", "unknown", "yes") in rows
    assert (admins.owner, "TESE: price", "", "9000.00 USD") in rows
    for reader in (owner, logged_in(app, admins.site)):
        history = text(reader.get(f"/admin/clinics/{OWNED}/history"))
        assert "TESE: price" in history and "9000.00 USD" in history and admins.owner in history
    assert "9000.00 USD" in text(logged_in(app, admins.site).get("/admin/audit"))


def test_a_site_admin_verifies_the_clinics_claims(admins_app: tuple[Flask, Admins]) -> None:
    app, admins = admins_app
    owner = logged_in(app, admins.owner)
    save(owner, form_values(owner, EDITOR), tese_offered="yes", mf_micro_tese="yes")
    site = logged_in(app, admins.site)
    queue = text(site.get("/admin/claims"))
    assert "Institute for Human Reproduction" in queue and "TESE: yes" in queue
    page = text(site.post(f"{EDITOR}/verify", data=verify_form(site), follow_redirects=True))
    assert "2 claim(s) verified." in page
    saved = clinic(app)
    tese = next(offer for offer in saved.offers if offer.treatment is Treatment.TESE)
    assert tese.source == "Clinic-reported, verified by ClinicFinder"
    assert tese.verified_by == admins.site and tese.verified_at is not None
    assert "Nothing waits for verification." in text(site.get("/admin/claims"))
    # A later edit by the clinic is a new claim again.
    save(owner, form_values(owner, EDITOR), tese_price="9100", tese_currency="USD")
    assert "TESE" in text(site.get("/admin/claims"))


def verify_form(site: FlaskClient) -> dict[str, str]:
    """The verify button's form as the editor page shows it now."""
    page = text(site.get(EDITOR))
    shown = re.search(r'name="shown"[^>]*value="([0-9a-f]{64})"', page)
    assert shown, "no verify button on the editor"
    return {"csrf_token": csrf_token(site, EDITOR), "shown": shown.group(1)}


def test_a_claim_made_after_the_site_admin_looked_is_not_verified_unseen(admins_app: tuple[Flask, Admins]) -> None:
    app, admins = admins_app
    owner = logged_in(app, admins.owner)
    save(owner, form_values(owner, EDITOR), tese_offered="yes")
    site = logged_in(app, admins.site)
    looked_at = verify_form(site)  # the site admin sees one claim: TESE offered
    save(owner, form_values(owner, EDITOR), tese_price="99999", tese_currency="USD")  # then the clinic adds a price
    page = text(site.post(f"{EDITOR}/verify", data=looked_at, follow_redirects=True))
    assert "claims changed after this page was shown, so nothing was verified." in page
    tese = next(offer for offer in clinic(app).offers if offer.treatment is Treatment.TESE)
    assert tese.verified_at is None and tese.source.startswith("Clinic-reported")


def test_a_site_admin_deactivates_a_clinic_and_patients_no_longer_find_it(admins_app: tuple[Flask, Admins]) -> None:
    app, admins = admins_app
    query = {"lat": "41.8945", "lon": "-87.6390", "radius_km": "10", "treatment": "ivf"}
    assert OWNED in str(app.test_client().get("/api/v1/clinics/search", query_string=query).get_json())
    site = logged_in(app, admins.site)
    page = site.post(
        f"{EDITOR}/status", data={"csrf_token": csrf_token(site, EDITOR), "status": "inactive"}, follow_redirects=True
    )
    assert "is now inactive" in text(page)
    assert clinic(app).status is ClinicStatus.INACTIVE
    assert OWNED not in str(app.test_client().get("/api/v1/clinics/search", query_string=query).get_json())


def test_a_free_treatment_keeps_its_currency(admins_app: tuple[Flask, Admins]) -> None:
    app, admins = admins_app
    owner = logged_in(app, admins.owner)
    assert "Saved." in save(owner, form_values(owner, EDITOR), tese_offered="yes", tese_price="0", tese_currency="USD")
    tese = next(offer for offer in clinic(app).offers if offer.treatment is Treatment.TESE)
    assert (tese.price, tese.currency) == (Decimal("0.00"), "USD")


def test_a_save_racing_another_is_caught_by_the_version_column_and_loses_nothing(
    admins_app: tuple[Flask, Admins],
) -> None:
    from clinicfinder.db.models import User
    from clinicfinder.services import listing

    app, admins = admins_app
    with app.app_context():
        mine = db.session.get(Clinic, OWNED)
        actor = db.session.scalar(db.select(User).where(User.email == admins.owner))
        assert mine is not None and actor is not None
        loaded = listing.snapshot(mine)
        # Another web process commits between our read and our write.
        with db.engine.begin() as other:
            other.execute(
                db.text("UPDATE clinics SET phone = '+1 312 555 0177', version = version + 1 WHERE id = :id"),
                {"id": OWNED},
            )
        edit = listing.current_edit(mine)
        edit = listing.ListingEdit(**{**edit.__dict__, "phone": "+1 312 555 0188"})
        result = listing.save_listing(
            db.session, mine, edit, actor=actor, loaded_version=mine.version, loaded_snapshot=loaded,
            today=datetime.now(UTC).date(),
        )  # fmt: skip
        assert isinstance(result, listing.Conflict)
        assert [(change.field, change.new) for change in result.theirs] == [("Phone", "+1 312 555 0177")]
        assert [(change.field, change.new) for change in result.yours] == [("Phone", "+1 312 555 0188")]
    assert clinic(app).phone == "+1 312 555 0177"
