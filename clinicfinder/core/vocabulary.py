"""The words for the patient's answers, without Flask: the forms, the results page and the PDF share them.

Each label is marked with `N_` here and translated where it is shown (`_l` in a form,
`Text.gettext` in the report).
"""

from __future__ import annotations

from clinicfinder.core.domain import Treatment
from clinicfinder.core.i18n import N_

TREATMENT_LABELS: dict[str, str] = {
    Treatment.IVF.value: N_("IVF"),
    Treatment.ICSI.value: N_("ICSI"),
    Treatment.TESE.value: N_("TESE (surgical sperm retrieval)"),
    Treatment.MICRO_TESE.value: N_("Micro-TESE"),
    Treatment.DONOR_SPERM.value: N_("Donor sperm (IUI or IVF)"),
    Treatment.EGG_DONATION.value: N_("Egg donation"),
    Treatment.FERTILITY_PRESERVATION.value: N_("Fertility preservation"),
}
TREATMENT_EXPLANATIONS: dict[str, str] = {
    Treatment.IVF.value: N_("Eggs are collected and fertilised in the lab; an embryo is then placed in the uterus."),
    Treatment.ICSI.value: N_(
        "Like IVF, but one sperm is injected into each egg — often used when sperm are few or move poorly."
    ),
    Treatment.TESE.value: N_(
        "Sperm is taken directly from the testicle, for men with no sperm in the ejaculate (azoospermia)."
    ),
    Treatment.MICRO_TESE.value: N_(
        "Sperm retrieval under an operating microscope, the usual choice for non-obstructive azoospermia."
    ),
    Treatment.DONOR_SPERM.value: N_("Insemination or IVF with sperm from a screened donor."),
    Treatment.EGG_DONATION.value: N_("IVF with eggs from a donor, when your own eggs are unlikely to work."),
    Treatment.FERTILITY_PRESERVATION.value: N_(
        "Freezing eggs, sperm or embryos now to use later, for example before cancer treatment."
    ),
}
# "" is the form's "prefer not to say": no diagnosis, situation or age band is stored for it.
DIAGNOSIS_LABELS: dict[str, str] = {
    "": N_("Prefer not to say / not known"),
    "non_obstructive_azoospermia": N_("Non-obstructive azoospermia (little or no sperm made)"),
    "obstructive_azoospermia": N_("Obstructive azoospermia (a blockage)"),
    "low_sperm_count": N_("Low sperm count or movement"),
    "ovulation": N_("Ovulation problems, such as PCOS"),
    "tubal": N_("Blocked or damaged fallopian tubes"),
    "endometriosis": N_("Endometriosis"),
    "low_ovarian_reserve": N_("Low ovarian reserve"),
    "unexplained": N_("Unexplained infertility"),
}
SITUATION_LABELS: dict[str, str] = {
    "": N_("Prefer not to say"),
    "couple": N_("A man and a woman"),
    "female_couple": N_("Two women"),
    "single_woman": N_("A woman on her own"),
    "single_man": N_("A man on his own"),
    "male_couple": N_("Two men"),
}
# CDC's age bands for outcomes by the age of the person whose eggs are used (own or donor eggs).
AGE_BAND_LABELS: dict[str, str] = {
    "": N_("Prefer not to say"),
    "under_35": N_("Under 35"),
    "35_37": N_("35–37"),
    "38_40": N_("38–40"),
    "41_42": N_("41–42"),
    "over_42": N_("43 or over"),
}
AGE_BANDS: tuple[str, ...] = tuple(code for code in AGE_BAND_LABELS if code)
AGE_BAND_HELP = N_(
    "Success rates depend mostly on the age of the person whose eggs are used (with donor eggs, the donor's age),"
    " so we use it only to choose which figures to show you."
)
