"""A first-visit guide for the Fertility Report: what to bring, ask, prepare and budget for.

Pure Python, no Flask. Every patient-facing sentence is marked with `N_` so pybabel extracts
it; it is translated where the report is rendered. Each item tailored to a treatment, a
diagnosis or a situation cites at least one published guideline in `REFERENCES`. The text is
written in our own words: facts carry over from the guidelines, their wording does not.

Medical care in wording: no doses, no outcome figures, nothing promised. Micro-TESE is
presented as the usual technique for non-obstructive azoospermia; with a blockage, retrieval
usually finds sperm, but the guide says so only as something to ask about.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from clinicfinder.core.domain import Treatment
from clinicfinder.core.i18n import N_


@dataclass(frozen=True)
class Reference:
    key: str  # short id, e.g. "aua-asrm-2024"
    title: str  # the publication's own title, not translated
    publisher: str  # not translated
    year: int
    url: str  # https URL of the publication or the publisher's page for it


@dataclass(frozen=True)
class GuideItem:
    text: str  # N_("...")
    references: tuple[str, ...] = ()  # Reference.key values backing this item


@dataclass(frozen=True)
class GuideSection:
    key: str  # "bring" | "ask" | "prepare" | "costs"
    title: str  # N_("What to bring") etc.
    items: tuple[GuideItem, ...]


@dataclass(frozen=True)
class Guide:
    sections: tuple[GuideSection, ...]  # always in order bring, ask, prepare, costs; no empty section
    references: tuple[Reference, ...]  # only those cited by the items, in first-cited order


@dataclass(frozen=True)
class GlossaryEntry:
    term: str  # N_("...")
    definition: str  # N_("...")


# --- References ------------------------------------------------------------------------------

AUA = "aua-asrm-2024"
EAU = "eau-srh-2024"
NICE = "nice-cg156"
ASRM_EMBRYOS = "asrm-sart-embryos-2021"
ASRM_RESERVE = "asrm-ovarian-reserve-2020"
ASRM_DONATION = "asrm-sart-donation-2021"
ASRM_FP = "asrm-fertility-preservation-2019"
ASRM_PLANNED_OC = "asrm-planned-oocyte-cryopreservation-2023"
ASRM_ACCESS = "asrm-access-2021"
ESHRE_OS = "eshre-ovarian-stimulation-2020"
ESHRE_FFP = "eshre-female-fertility-preservation-2020"
ESHRE_ENDO = "eshre-endometriosis-2022"
HFEA_RECIPROCAL = "hfea-reciprocal-ivf"
CDC_ART = "cdc-art-success-rates"
SART_CSR = "sart-clinic-summary-report"

_ASRM = "American Society for Reproductive Medicine"

REFERENCES: dict[str, Reference] = {
    reference.key: reference
    for reference in (
        Reference(
            AUA,
            "Diagnosis and Treatment of Infertility in Men: AUA/ASRM Guideline",
            "American Urological Association / " + _ASRM,
            2024,
            "https://www.auanet.org/guidelines-and-quality/guidelines/male-infertility",
        ),
        Reference(
            EAU,
            "EAU Guidelines on Sexual and Reproductive Health",
            "European Association of Urology",
            2024,
            "https://uroweb.org/guidelines/sexual-and-reproductive-health",
        ),
        Reference(
            NICE,
            "Fertility problems: assessment and treatment (CG156)",
            "National Institute for Health and Care Excellence",
            2017,
            "https://www.nice.org.uk/guidance/cg156",
        ),
        Reference(
            ASRM_EMBRYOS,
            "Guidance on the limits to the number of embryos to transfer: a committee opinion",
            "Practice Committees of the " + _ASRM + " and the Society for Assisted Reproductive Technology",
            2021,
            "https://www.asrm.org/practice-guidance/practice-committee-documents/"
            "guidance-on-the-limits-to-the-number-of-embryos-to-transfer-a---committee-opinion-2021/",
        ),
        Reference(
            ASRM_RESERVE,
            "Testing and interpreting measures of ovarian reserve: a committee opinion",
            "Practice Committee of the " + _ASRM,
            2020,
            "https://www.asrm.org/practice-guidance/practice-committee-documents/"
            "testing-and-interpreting-measures-of-ovarian-reserve-a-committee-opinion-2020/",
        ),
        Reference(
            ASRM_DONATION,
            "Guidance regarding gamete and embryo donation",
            "Practice Committees of the " + _ASRM + " and the Society for Assisted Reproductive Technology",
            2021,
            "https://www.asrm.org/practice-guidance/practice-committee-documents/"
            "guidance-regarding-gamete-and-embryo-donation-2021/",
        ),
        Reference(
            ASRM_FP,
            "Fertility preservation in patients undergoing gonadotoxic therapy or gonadectomy: a committee opinion",
            "Practice Committee of the " + _ASRM,
            2019,
            "https://www.asrm.org/practice-guidance/practice-committee-documents/"
            "fertility-preservation-in-patients-undergoing-gonadotoxic-therapy-or-gonadectomy-a-committee-opinion-2019/",
        ),
        Reference(
            ASRM_PLANNED_OC,
            "Planned oocyte cryopreservation to preserve future reproductive potential: an Ethics Committee opinion",
            "Ethics Committee of the " + _ASRM,
            2023,
            "https://www.asrm.org/practice-guidance/ethics-opinions/planned-oocyte-cryopreservation/",
        ),
        Reference(
            ASRM_ACCESS,
            "Access to fertility treatment irrespective of marital status, sexual orientation, or gender identity: "
            "an Ethics Committee opinion",
            "Ethics Committee of the " + _ASRM,
            2021,
            "https://www.asrm.org/practice-guidance/ethics-opinions/"
            "access-to-fertility-treatment-irrespective-of-marital-status-sexual-orientation-or-gender-identity-"
            "an-ethics-committee-opinion-2021/",
        ),
        Reference(
            ESHRE_OS,
            "ESHRE guideline: ovarian stimulation for IVF/ICSI",
            "European Society of Human Reproduction and Embryology",
            2020,
            "https://doi.org/10.1093/hropen/hoaa009",
        ),
        Reference(
            ESHRE_FFP,
            "ESHRE guideline: female fertility preservation",
            "European Society of Human Reproduction and Embryology",
            2020,
            "https://www.eshre.eu/Guidelines-and-Legal/Guidelines/Female-fertility-preservation",
        ),
        Reference(
            ESHRE_ENDO,
            "ESHRE guideline: endometriosis",
            "European Society of Human Reproduction and Embryology",
            2022,
            "https://pmc.ncbi.nlm.nih.gov/articles/PMC8951218/",
        ),
        Reference(
            HFEA_RECIPROCAL,
            "Reciprocal IVF",
            "Human Fertilisation and Embryology Authority",
            2024,
            "https://www.hfea.gov.uk/treatments/explore-all-treatments/reciprocal-ivf/",
        ),
        Reference(
            CDC_ART,
            "How to Interpret ART Success Rates",
            "Centers for Disease Control and Prevention",
            2024,
            "https://www.cdc.gov/art/success-rates/interpret.html",
        ),
        Reference(
            SART_CSR,
            "SART Clinic Summary Report",
            "Society for Assisted Reproductive Technology",
            2022,
            "https://www.sartcorsonline.com/rptCSR_PublicMultYear.aspx",
        ),
    )
}


# --- Items -----------------------------------------------------------------------------------

SECTION_KEYS: tuple[str, ...] = ("bring", "ask", "prepare", "costs")
SECTION_TITLES: dict[str, str] = {
    "bring": N_("What to bring"),
    "ask": N_("Questions to ask"),
    "prepare": N_("How to prepare"),
    "costs": N_("Costs to ask about"),
}

Additions = Mapping[str, tuple[GuideItem, ...]]
"""Items to add, by section key."""


def _item(text: str, *references: str) -> GuideItem:
    return GuideItem(text, references)


def _merge(*parts: Additions) -> dict[str, tuple[GuideItem, ...]]:
    merged: dict[str, tuple[GuideItem, ...]] = {}
    for part in parts:
        for key, items in part.items():
            merged[key] = merged.get(key, ()) + items
    return merged


_CORE: Additions = {
    "bring": (
        _item(N_("Photo ID, and your insurance card or policy details if you have cover.")),
        _item(
            N_(
                "Copies of earlier test results and records of any previous fertility treatment, "
                "for both of you if you are a couple."
            )
        ),
        _item(N_("A list of every medicine, vitamin and supplement you take, including how much and how often.")),
    ),
    "ask": (
        _item(
            N_(
                "What are your success rates for people of my age and with my diagnosis, and where are they "
                "published? In the United States, clinics report them to the CDC and many also to SART."
            ),
            CDC_ART,
            SART_CSR,
        ),
        _item(
            N_(
                "How should I read your published success rates? They are averages that cannot predict what will "
                "happen to me, and clinics that treat different patients are hard to compare."
            ),
            CDC_ART,
        ),
        _item(N_("What exactly is included in the price you have quoted me, and what would be charged separately?")),
        _item(N_("Who will I see at each visit, and whom do I contact between visits or if something goes wrong?")),
    ),
    "prepare": (
        _item(N_("Write down your questions before the visit, and take notes or ask whether you may record it.")),
        _item(N_("If you can, bring your partner, a friend or a relative: a second pair of ears really helps.")),
        _item(
            N_(
                "Fertility care can be emotionally hard. Ask whether the clinic offers counselling or can suggest "
                "a support group."
            ),
            NICE,
        ),
    ),
    "costs": (
        _item(N_("Consultation fees, and whether follow-up visits are charged separately.")),
        _item(N_("Tests and scans, which an outside laboratory sometimes bills directly.")),
        _item(N_("Medicines, which are often bought from a pharmacy and are not always part of the clinic's price.")),
        _item(
            N_(
                "Fees for freezing eggs, sperm or embryos, the yearly storage fee, and what happens if a payment "
                "is missed."
            )
        ),
        _item(N_("Which parts your insurance or public health service may cover, and how to claim.")),
    ),
}

# Shared between treatments and diagnoses: the same text is listed once in a guide.
_SEMEN_ANALYSES = _item(
    N_(
        "At least two semen analysis reports from different days, including any report that checked a "
        "concentrated sample for sperm."
    ),
    AUA,
    EAU,
)
_HORMONES = _item(N_("Your hormone blood test results, including FSH, LH and testosterone."), AUA, EAU)
_KARYOTYPE = _item(N_("Your karyotype (chromosome test) result, if you have had one."), AUA, EAU)
_Y_MICRODELETION = _item(N_("Your Y-chromosome microdeletion test result, if you have had one."), AUA, EAU)
_PARTNER_SEMEN = _item(
    N_("If a partner's sperm will be used, his most recent semen analysis report."),
    NICE,
    AUA,
)
_OVARIAN_RESERVE_RESULTS = _item(
    N_("Any recent AMH (anti-Müllerian hormone) result or ultrasound count of antral follicles."),
    ASRM_RESERVE,
    ESHRE_OS,
)
_OVARIAN_RESERVE_QUESTION = _item(
    N_(
        "What do my AMH and antral follicle count suggest about how my ovaries may respond? These tests "
        "estimate the number of eggs, not the chance of pregnancy."
    ),
    ASRM_RESERVE,
)
_SINGLE_EMBRYO = _item(
    N_(
        "How many embryos do you usually transfer for someone like me? Guidelines favour one at a time "
        "where possible, because twin pregnancies carry more risks for mother and babies."
    ),
    ASRM_EMBRYOS,
    NICE,
)
_SPARE_EMBRYOS = _item(
    N_(
        "What happens to embryos that are not transferred: can they be frozen, for how long, and what "
        "are my options if I no longer need them?"
    ),
    NICE,
    ASRM_EMBRYOS,
)
_DONOR_SCREENING = _item(
    N_("Which sperm banks do you work with, and how are donors screened for infections and inherited conditions?"),
    ASRM_DONATION,
)
_DONOR_IDENTITY = _item(
    N_(
        "Is the donor identity-release, meaning the child can learn who he is later, or not? What does "
        "the law say where the treatment takes place?"
    ),
    ASRM_DONATION,
)
_DONOR_COUNSELLING = _item(
    N_(
        "Counselling is recommended before using donor sperm or eggs. It helps you think about how and "
        "when to talk with your child and family about the donor."
    ),
    ASRM_DONATION,
    NICE,
)
_GENETIC_COUNSELLING = _item(
    N_(
        "If a test finds a genetic cause, ask to see a genetic counsellor: it can matter for your own "
        "health and for any children."
    ),
    AUA,
    EAU,
)

_IVF: Additions = {
    "bring": (_OVARIAN_RESERVE_RESULTS, _PARTNER_SEMEN),
    "ask": (
        _OVARIAN_RESERVE_QUESTION,
        _item(
            N_(
                "How will my stimulation medicines be chosen, and how will you watch for side effects such as "
                "ovarian hyperstimulation syndrome (OHSS)?"
            ),
            ESHRE_OS,
        ),
        _SINGLE_EMBRYO,
        _SPARE_EMBRYOS,
    ),
    "prepare": (
        _item(
            N_(
                "Expect several scans and blood tests in the days before egg collection. Ask for the medicine "
                "schedule in writing, and for a nurse to show you how to inject."
            ),
            ESHRE_OS,
        ),
    ),
    "costs": (
        _item(
            N_(
                "Stimulation medicines, which differ from person to person and are often billed separately "
                "from the clinic's package."
            ),
            ESHRE_OS,
        ),
        _item(
            N_(
                "Egg collection with sedation or anaesthesia, laboratory work on the embryos, the embryo "
                "transfer and any later frozen embryo transfers."
            ),
            NICE,
        ),
    ),
}

_ICSI: Additions = {
    "bring": (
        _item(
            N_("Any genetic test results the sperm provider already has, such as a karyotype."),
            AUA,
            EAU,
        ),
    ),
    "ask": (
        _item(
            N_(
                "Why is ICSI recommended in my case, rather than standard IVF? It is mainly advised when "
                "sperm are very few or do not move well."
            ),
            NICE,
            AUA,
        ),
        _item(
            N_(
                "For many men with very low or no sperm counts, guidelines advise a karyotype and a "
                "Y-chromosome test before ICSI. Have these been done?"
            ),
            AUA,
            EAU,
        ),
    ),
    "costs": (_item(N_("The ICSI laboratory fee, which is often charged on top of the IVF price."), NICE),),
}

_SURGICAL_RETRIEVAL: Additions = {
    "bring": (
        _SEMEN_ANALYSES,
        _HORMONES,
        _KARYOTYPE,
        _Y_MICRODELETION,
        _item(
            N_("Any scrotal ultrasound, biopsy or operation reports, including notes from an earlier sperm retrieval."),
            AUA,
        ),
        _item(
            N_("Your partner's fertility test results: your assessments and treatment are usually planned together."),
            AUA,
            NICE,
        ),
    ),
    "ask": (
        _item(
            N_(
                "Who will perform the sperm retrieval or micro-TESE, and how many of these operations does "
                "that surgeon carry out each year?"
            ),
            AUA,
            EAU,
        ),
        _item(
            N_(
                "Will any sperm found be frozen before my partner starts ovarian stimulation, or will the "
                "operation be timed for the same day as her egg collection?"
            ),
            AUA,
            EAU,
        ),
        _item(
            N_(
                "If no sperm is found, can donor sperm be arranged in advance as a backup, and do we need to "
                "decide about it before the operation?"
            ),
            AUA,
            ASRM_DONATION,
        ),
        _item(
            N_(
                "What is the chance of finding sperm for someone with my diagnosis and test results, in your "
                "team's own experience?"
            ),
            AUA,
            EAU,
        ),
        _item(
            N_("What will recovery be like, and could the operation affect my own testosterone levels afterwards?"),
            EAU,
            AUA,
        ),
    ),
    "prepare": (
        _item(
            N_(
                "Talk together beforehand about what you would want if no sperm is found, such as donor sperm "
                "or adoption, so nothing has to be decided in a rush."
            ),
            AUA,
        ),
        _GENETIC_COUNSELLING,
    ),
    "costs": (
        _item(N_("The operation itself: the surgeon, the operating theatre and anaesthesia."), AUA),
        _item(N_("Pathology, meaning the laboratory examination of the tissue taken."), AUA, EAU),
        _item(N_("Freezing any sperm found, and the yearly fee for storing it."), AUA),
        _item(
            N_(
                "ICSI afterwards, because sperm taken from the testicle is used with ICSI, with its own "
                "medicine, egg collection and laboratory costs."
            ),
            AUA,
            NICE,
        ),
        _item(N_("Donor sperm reserved as a backup, if you decide to arrange it."), ASRM_DONATION),
    ),
}

_TESE: Additions = {
    "ask": (
        _item(
            N_(
                "Which retrieval method do you recommend for me, and why? The choice depends on whether the "
                "azoospermia comes from a blockage or from low sperm production."
            ),
            AUA,
            EAU,
        ),
    ),
}

_MICRO_TESE: Additions = {
    "ask": (
        _item(
            N_(
                "Has my azoospermia been confirmed as non-obstructive? Micro-TESE is the usual technique "
                "for that diagnosis."
            ),
            AUA,
            EAU,
        ),
    ),
}

_DONOR_SPERM: Additions = {
    "bring": (
        _item(
            N_(
                "Your own recent test results, such as infection screening and any tests of your ovaries or "
                "fallopian tubes."
            ),
            ASRM_DONATION,
            NICE,
        ),
    ),
    "ask": (
        _DONOR_SCREENING,
        _DONOR_IDENTITY,
        _item(
            N_(
                "How many vials should I buy or reserve, including for a possible brother or sister later, "
                "and where will they be stored?"
            ),
            ASRM_DONATION,
        ),
        _item(
            N_("Is there a limit on how many families one donor can help, and how is it tracked?"),
            ASRM_DONATION,
        ),
        _item(N_("Do you suggest insemination (IUI) or IVF for me, and why?"), NICE),
    ),
    "prepare": (
        _DONOR_COUNSELLING,
        _item(
            N_(
                "Consider legal advice on parenthood, especially if you are not married or the donor is "
                "someone you know."
            ),
            ASRM_DONATION,
        ),
    ),
    "costs": (
        _item(N_("The sperm itself, usually priced per vial, plus shipping and storage at the clinic."), ASRM_DONATION),
        _item(N_("Each insemination or IVF cycle, and any medicines used with it."), NICE),
        _item(N_("Counselling sessions and any legal advice."), ASRM_DONATION),
    ),
}

_EGG_DONATION: Additions = {
    "bring": (
        _item(
            N_("Your medical history and the results of any earlier treatment, including scans of your womb."),
            ASRM_DONATION,
        ),
        _item(
            N_("If a partner's sperm will be used, his recent semen analysis and infection screening results."),
            ASRM_DONATION,
        ),
    ),
    "ask": (
        _item(
            N_("How are egg donors chosen and screened, including medical, genetic and psychological checks?"),
            ASRM_DONATION,
        ),
        _item(
            N_(
                "Are donors anonymous here, or can a child later learn who the donor is? The law differs from "
                "country to country."
            ),
            ASRM_DONATION,
        ),
        _item(
            N_(
                "Will you use fresh eggs from a donor cycle timed with mine, or frozen eggs from an egg bank, "
                "and how does that change timing, cost and the number of eggs?"
            ),
            ASRM_DONATION,
        ),
        _item(
            N_("How many eggs or embryos can I expect to receive, and what happens to any that are left over?"),
            ASRM_DONATION,
        ),
        _SINGLE_EMBRYO,
    ),
    "prepare": (
        _DONOR_COUNSELLING,
        _item(
            N_(
                "Your clinic may ask for a health check before pregnancy, especially if you are older or have "
                "a long-term medical condition."
            ),
            ASRM_DONATION,
        ),
    ),
    "costs": (
        _item(
            N_("Donor compensation, agency or egg-bank fees, and the donor's screening and medicines."),
            ASRM_DONATION,
        ),
        _item(
            N_("Preparing your womb, the embryo transfer, and freezing and storing any extra embryos."),
            ASRM_DONATION,
        ),
        _item(N_("Counselling and legal fees, where they are required or advised."), ASRM_DONATION),
    ),
}

_FERTILITY_PRESERVATION: Additions = {
    "bring": (
        _item(
            N_(
                "If you are facing cancer treatment, your cancer team's contact details and the date your "
                "treatment is due to start."
            ),
            ASRM_FP,
            ESHRE_FFP,
        ),
        _item(
            N_("Any recent AMH result or semen analysis, if you have one."),
            ESHRE_FFP,
            ASRM_RESERVE,
        ),
    ),
    "ask": (
        _item(
            N_(
                "When cancer treatment is planned, time matters. How quickly can freezing be arranged, and "
                "will you coordinate with my cancer team?"
            ),
            ASRM_FP,
            ESHRE_FFP,
        ),
        _item(
            N_("Which options suit me: freezing eggs, embryos, sperm or ovarian tissue, and what does each involve?"),
            ESHRE_FFP,
            ASRM_FP,
        ),
        _item(
            N_(
                "What is the realistic chance of a future baby from what is frozen at my age, based on your "
                "clinic's own results?"
            ),
            ASRM_PLANNED_OC,
            ESHRE_FFP,
        ),
        _item(
            N_(
                "Is my freezing considered medical, before a treatment that may harm fertility, or planned "
                "(elective)? Does that change insurance cover or storage rules?"
            ),
            ASRM_PLANNED_OC,
            ASRM_FP,
        ),
        _item(
            N_("How long can samples be stored, what does storage cost each year, and what happens when it ends?"),
            ASRM_FP,
            ESHRE_FFP,
        ),
    ),
    "prepare": (
        _item(
            N_(
                "You will be asked to decide in writing what should happen to stored eggs, sperm or embryos "
                "if you die or cannot decide; support is available."
            ),
            ASRM_FP,
        ),
        _item(
            N_("Ask to speak with a counsellor: decisions made quickly around a diagnosis can feel overwhelming."),
            ESHRE_FFP,
        ),
    ),
    "costs": (
        _item(N_("Stimulation medicines, egg collection or sperm freezing, and laboratory freezing fees."), ESHRE_FFP),
        _item(
            N_("Yearly storage fees, possibly for many years, and the cost of using the samples later, such as IVF."),
            ASRM_FP,
        ),
        _item(
            N_(
                "Whether insurance or a public health service covers freezing before cancer treatment, which "
                "is sometimes covered when planned freezing is not."
            ),
            ASRM_FP,
        ),
    ),
}

_TREATMENTS: dict[Treatment, Additions] = {
    Treatment.IVF: _IVF,
    Treatment.ICSI: _merge(_IVF, _ICSI),
    Treatment.TESE: _merge(_SURGICAL_RETRIEVAL, _TESE),
    Treatment.MICRO_TESE: _merge(_SURGICAL_RETRIEVAL, _MICRO_TESE),
    Treatment.DONOR_SPERM: _DONOR_SPERM,
    Treatment.EGG_DONATION: _EGG_DONATION,
    Treatment.FERTILITY_PRESERVATION: _FERTILITY_PRESERVATION,
}

_NOA_MICRO_TESE = _item(
    N_(
        "Will the retrieval be done by micro-TESE? It is the usual technique for non-obstructive azoospermia, "
        "so ask why if another method is proposed."
    ),
    AUA,
    EAU,
)

_DIAGNOSES: dict[str, Additions] = {
    "non_obstructive_azoospermia": {
        "bring": (_SEMEN_ANALYSES, _HORMONES, _KARYOTYPE, _Y_MICRODELETION),
        "ask": (
            _item(
                N_(
                    "Have I had the genetic tests advised before surgery, a karyotype and a Y-chromosome "
                    "microdeletion test? Some results change the chance of finding sperm."
                ),
                AUA,
                EAU,
            ),
            _NOA_MICRO_TESE,
            _item(
                N_(
                    "Could hormone treatment before surgery help in my case? The evidence is limited, so ask "
                    "what the advice is based on."
                ),
                AUA,
                EAU,
            ),
        ),
        "prepare": (
            _item(
                N_(
                    "Ask for counselling about the possibility that no sperm is found, and about the options "
                    "if that happens, such as donor sperm or adoption."
                ),
                AUA,
            ),
            _GENETIC_COUNSELLING,
        ),
    },
    "obstructive_azoospermia": {
        "bring": (
            _SEMEN_ANALYSES,
            _item(
                N_("Reports of any earlier surgery in the groin or scrotum, including a vasectomy."),
                AUA,
            ),
        ),
        "ask": (
            _item(
                N_(
                    "Could the blockage be repaired, for example by reversing a vasectomy, or is sperm retrieval "
                    "with IVF and ICSI the better route? Your partner's age and fertility matter too."
                ),
                AUA,
                EAU,
            ),
            _item(
                N_(
                    "If the tubes that carry sperm (the vas deferens) are missing, have we both been offered "
                    "cystic fibrosis (CFTR) gene testing?"
                ),
                AUA,
                EAU,
            ),
            _item(
                N_(
                    "With a blockage, sperm is usually found at retrieval, but it cannot be promised. What is your "
                    "team's experience?"
                ),
                AUA,
                EAU,
            ),
        ),
    },
    "low_sperm_count": {
        "bring": (_SEMEN_ANALYSES, _HORMONES),
        "ask": (
            _item(
                N_(
                    "Has a specialist in male fertility examined me, and is there anything treatable, such as a "
                    "varicocele or a hormone problem, to look at first?"
                ),
                AUA,
                EAU,
            ),
        ),
    },
    "ovulation": {
        "ask": (
            _item(
                N_(
                    "Has treatment to help me ovulate been tried or considered before IVF, and how would it be "
                    "monitored?"
                ),
                NICE,
            ),
        ),
    },
    "tubal": {
        "ask": (
            _item(
                N_("If a fallopian tube is swollen with fluid (a hydrosalpinx), should it be treated before IVF?"),
                NICE,
            ),
        ),
    },
    "endometriosis": {
        "ask": (
            _item(
                N_("Does my endometriosis change the choice of treatment, or the timing of any surgery before IVF?"),
                ESHRE_ENDO,
            ),
        ),
    },
    "low_ovarian_reserve": {
        "bring": (_OVARIAN_RESERVE_RESULTS,),
        "ask": (
            _OVARIAN_RESERVE_QUESTION,
            _item(
                N_(
                    "If my own eggs are unlikely to work, when would it make sense to talk about donor eggs? "
                    "You do not have to decide at the first visit."
                ),
                ASRM_RESERVE,
                ASRM_DONATION,
            ),
        ),
    },
    "unexplained": {
        "ask": (
            _item(
                N_(
                    "Why is this treatment suggested now, and what would the options and timing be if we tried "
                    "something simpler first or waited?"
                ),
                NICE,
            ),
        ),
    },
}

_SITUATIONS: dict[str, Additions] = {
    "couple": {
        "prepare": (
            _item(
                N_("Both partners are usually assessed together from the start, so plan to attend together."),
                AUA,
                NICE,
            ),
        ),
    },
    "female_couple": {
        "ask": (
            _item(
                N_(
                    "Would reciprocal IVF suit us, where one partner provides the eggs and the other carries "
                    "the pregnancy?"
                ),
                HFEA_RECIPROCAL,
                ASRM_ACCESS,
            ),
            _item(
                N_("How do we choose a sperm donor together, and can we reserve the same donor for future children?"),
                ASRM_DONATION,
            ),
        ),
        "prepare": (
            _item(
                N_(
                    "How both of you become legal parents depends on where you live and whether you are married, "
                    "so consider legal advice before treatment."
                ),
                ASRM_ACCESS,
                HFEA_RECIPROCAL,
            ),
        ),
    },
    "single_woman": {
        "ask": (
            _DONOR_SCREENING,
            _DONOR_IDENTITY,
        ),
        "prepare": (
            _DONOR_COUNSELLING,
            _item(
                N_(
                    "Think about who could support you during treatment and pregnancy, such as a friend or "
                    "relative who could come to appointments."
                ),
                ASRM_ACCESS,
            ),
        ),
    },
}


def first_visit_guide(treatment: Treatment, diagnosis: str | None, situation: str | None) -> Guide:
    """The guide for one patient: the common core, then treatment, diagnosis and situation additions.

    Unknown or empty diagnosis and situation codes add nothing. An item that several parts share
    is listed once, where it first appears.
    """
    parts: list[Additions] = [_CORE, _TREATMENTS[treatment]]
    if diagnosis:
        parts.append(_DIAGNOSES.get(diagnosis, {}))
    if situation:
        parts.append(_SITUATIONS.get(situation, {}))
    skipped = {_NOA_MICRO_TESE.text} if treatment is Treatment.MICRO_TESE else set()

    sections: list[GuideSection] = []
    for key in SECTION_KEYS:
        items = _unique(item for part in parts for item in part.get(key, ()) if item.text not in skipped)
        if items:
            sections.append(GuideSection(key, SECTION_TITLES[key], items))
    cited = dict.fromkeys(ref for section in sections for item in section.items for ref in item.references)
    return Guide(tuple(sections), tuple(REFERENCES[key] for key in cited))


def _unique(items: Iterable[GuideItem]) -> tuple[GuideItem, ...]:
    seen: set[str] = set()
    kept: list[GuideItem] = []
    for item in items:
        if item.text not in seen:
            seen.add(item.text)
            kept.append(item)
    return tuple(kept)


# --- Glossary --------------------------------------------------------------------------------

GLOSSARY: tuple[GlossaryEntry, ...] = (
    GlossaryEntry(
        N_("AMH (anti-Müllerian hormone)"),
        N_(
            "A hormone made by small follicles in the ovaries, measured with a blood test. It helps estimate how "
            "many eggs may be collected, but on its own it does not predict whether you will get pregnant."
        ),
    ),
    GlossaryEntry(
        N_("Azoospermia"),
        N_(
            "No sperm in the semen, even when a concentrated sample is checked in the laboratory. It is "
            "obstructive when sperm are made but a blockage stops them, and non-obstructive when the testicles "
            "make very little or no sperm."
        ),
    ),
    GlossaryEntry(
        N_("Blastocyst"),
        N_(
            "An embryo that has grown in the laboratory for five or six days and has many cells and a "
            "fluid-filled space."
        ),
    ),
    GlossaryEntry(
        N_("CDC NASS (National ART Surveillance System)"),
        N_(
            "The system through which fertility clinics in the United States report their treatment results to "
            "the Centers for Disease Control and Prevention, which publishes success rates for each clinic."
        ),
    ),
    GlossaryEntry(
        N_("Cryopreservation"),
        N_("Freezing eggs, sperm, embryos or tissue at very low temperatures so they can be stored and used later."),
    ),
    GlossaryEntry(
        N_("Donor sperm"),
        N_("Sperm given by a screened donor, usually through a sperm bank, and used for insemination or IVF."),
    ),
    GlossaryEntry(
        N_("Embryo transfer"),
        N_("Placing an embryo in the womb through a thin tube, a short procedure that usually needs no anaesthetic."),
    ),
    GlossaryEntry(
        N_("FSH and LH"),
        N_(
            "Hormones from the pituitary gland that control the making of eggs and sperm. In men, a high FSH "
            "level can be a sign that the testicles are making little sperm."
        ),
    ),
    GlossaryEntry(
        N_("ICSI (intracytoplasmic sperm injection)"),
        N_(
            "A laboratory technique in which a single sperm is injected into each egg. It is used mainly when "
            "sperm are very few or move poorly, or when they come from the testicle."
        ),
    ),
    GlossaryEntry(
        N_("IUI (intrauterine insemination)"),
        N_("Prepared sperm is placed directly in the womb around the time of ovulation."),
    ),
    GlossaryEntry(
        N_("IVF (in vitro fertilisation)"),
        N_(
            "Eggs are collected from the ovaries and mixed with sperm in the laboratory, and an embryo is then "
            "placed in the womb."
        ),
    ),
    GlossaryEntry(
        N_("Karyotype"),
        N_(
            "A blood test that checks the number and structure of a person's chromosomes. Some chromosome "
            "differences, such as Klinefelter syndrome, can lead to very few or no sperm."
        ),
    ),
    GlossaryEntry(
        N_("Micro-TESE (microdissection testicular sperm extraction)"),
        N_(
            "An operation in which the surgeon uses an operating microscope to find the parts of the testicle "
            "most likely to contain sperm. It is the usual technique for non-obstructive azoospermia."
        ),
    ),
    GlossaryEntry(
        N_("SART (Society for Assisted Reproductive Technology)"),
        N_(
            "A professional society in the United States whose member clinics report their IVF results. It "
            "publishes national and clinic summary reports."
        ),
    ),
    GlossaryEntry(
        N_("Semen analysis"),
        N_(
            "A laboratory test of a semen sample that measures its volume and the number, movement and shape of "
            "the sperm. Results vary, so more than one test is often needed."
        ),
    ),
    GlossaryEntry(
        N_("Stimulation (ovarian stimulation)"),
        N_(
            "Hormone medicines, usually injections given for one to two weeks, that help several eggs mature at "
            "the same time."
        ),
    ),
    GlossaryEntry(
        N_("TESE (testicular sperm extraction)"),
        N_(
            "A small operation to take tissue from the testicle and look for sperm, which can then be used with "
            "ICSI or frozen."
        ),
    ),
    GlossaryEntry(
        N_("Y-chromosome microdeletion"),
        N_(
            "A small missing piece of the Y chromosome, found with a blood test, that can reduce sperm "
            "production. Which piece is missing helps predict whether sperm may be found, and any sons conceived "
            "with that sperm would inherit it."
        ),
    ),
)


def _check() -> None:
    """Fails at import if an item cites an unknown reference or a section key is misspelt."""
    parts: list[Additions] = [_CORE, *_TREATMENTS.values(), *_DIAGNOSES.values(), *_SITUATIONS.values()]
    for part in parts:
        for key, items in part.items():
            if key not in SECTION_TITLES:
                raise ValueError(f"unknown guide section {key!r}")
            for item in items:
                unknown = set(item.references) - REFERENCES.keys()
                if unknown:
                    raise ValueError(f"unknown references {sorted(unknown)} in {item.text!r}")


_check()
