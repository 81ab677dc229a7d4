"""Recognising US ZIP codes, UK postcodes and Spanish postcodes in a query, and the fixed
tables the index builder needs for the coarse fallbacks (UK postcode areas, Spanish provinces).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ZIP = re.compile(r"(\d{5})(?:[- ]?\d{4})?")
_FIVE_DIGITS = re.compile(r"\d{5}")
# Outward code: area (1–2 letters), district (a digit, then a digit or a letter); inward: digit + 2 letters.
_UK_FULL = re.compile(r"([A-Z]{1,2}[0-9][0-9A-Z]?)\s*([0-9][A-Z]{2})")
_UK_OUTWARD = re.compile(r"[A-Z]{1,2}[0-9][0-9A-Z]?")


@dataclass(frozen=True)
class UkPostcode:
    outward: str  # "SW1A"
    area: str  # "SW"


def us_zip(text: str) -> str | None:
    """The 5-digit ZIP in "60611", "60611-1234", "60611 1234" or "606111234"; else None."""
    match = _ZIP.fullmatch(text.strip())
    return match.group(1) if match else None


def five_digits(text: str) -> str | None:
    text = text.strip()
    return text if _FIVE_DIGITS.fullmatch(text) else None


def spanish_province(code: str) -> str | None:
    """ "46" for "46001": the first two digits of a Spanish postcode are its province, 01–52."""
    if _FIVE_DIGITS.fullmatch(code) and code[:2] in ES_PROVINCES:
        return code[:2]
    return None


def uk_postcode(text: str) -> UkPostcode | None:
    """A full postcode ("SW1A 1AA", "sw1a1aa") or an outward code alone ("SW1A", "M1")."""
    text = " ".join(text.upper().split())
    match = _UK_FULL.fullmatch(text)
    outward = match.group(1) if match else (text if _UK_OUTWARD.fullmatch(text) else None)
    if outward is None:
        return None
    area = outward[:2] if outward[1].isalpha() else outward[:1]
    return UkPostcode(outward=outward, area=area)


# Postcode area → (post town, ISO country of the town). Royal Mail's list of the 124 areas;
# GY, JE and IM are the Crown Dependencies, which ISO 3166 lists as their own countries.
UK_POSTCODE_AREAS: dict[str, tuple[str, str]] = {
    "AB": ("Aberdeen", "GB"),
    "AL": ("St Albans", "GB"),
    "B": ("Birmingham", "GB"),
    "BA": ("Bath", "GB"),
    "BB": ("Blackburn", "GB"),
    "BD": ("Bradford", "GB"),
    "BH": ("Bournemouth", "GB"),
    "BL": ("Bolton", "GB"),
    "BN": ("Brighton", "GB"),
    "BR": ("Bromley", "GB"),
    "BS": ("Bristol", "GB"),
    "BT": ("Belfast", "GB"),
    "CA": ("Carlisle", "GB"),
    "CB": ("Cambridge", "GB"),
    "CF": ("Cardiff", "GB"),
    "CH": ("Chester", "GB"),
    "CM": ("Chelmsford", "GB"),
    "CO": ("Colchester", "GB"),
    "CR": ("Croydon", "GB"),
    "CT": ("Canterbury", "GB"),
    "CV": ("Coventry", "GB"),
    "CW": ("Crewe", "GB"),
    "DA": ("Dartford", "GB"),
    "DD": ("Dundee", "GB"),
    "DE": ("Derby", "GB"),
    "DG": ("Dumfries", "GB"),
    "DH": ("Durham", "GB"),
    "DL": ("Darlington", "GB"),
    "DN": ("Doncaster", "GB"),
    "DT": ("Dorchester", "GB"),
    "DY": ("Dudley", "GB"),
    "E": ("London", "GB"),
    "EC": ("London", "GB"),
    "EH": ("Edinburgh", "GB"),
    "EN": ("Enfield", "GB"),
    "EX": ("Exeter", "GB"),
    "FK": ("Falkirk", "GB"),
    "FY": ("Blackpool", "GB"),
    "G": ("Glasgow", "GB"),
    "GL": ("Gloucester", "GB"),
    "GU": ("Guildford", "GB"),
    "GY": ("St Peter Port", "GG"),
    "HA": ("Harrow", "GB"),
    "HD": ("Huddersfield", "GB"),
    "HG": ("Harrogate", "GB"),
    "HP": ("Hemel Hempstead", "GB"),
    "HR": ("Hereford", "GB"),
    "HS": ("Stornoway", "GB"),
    "HU": ("Hull", "GB"),
    "HX": ("Halifax", "GB"),
    "IG": ("Ilford", "GB"),
    "IM": ("Douglas", "IM"),
    "IP": ("Ipswich", "GB"),
    "IV": ("Inverness", "GB"),
    "JE": ("St Helier", "JE"),
    "KA": ("Kilmarnock", "GB"),
    "KT": ("Kingston upon Thames", "GB"),
    "KW": ("Kirkwall", "GB"),
    "KY": ("Kirkcaldy", "GB"),
    "L": ("Liverpool", "GB"),
    "LA": ("Lancaster", "GB"),
    "LD": ("Llandrindod Wells", "GB"),
    "LE": ("Leicester", "GB"),
    "LL": ("Llandudno", "GB"),
    "LN": ("Lincoln", "GB"),
    "LS": ("Leeds", "GB"),
    "LU": ("Luton", "GB"),
    "M": ("Manchester", "GB"),
    "ME": ("Rochester", "GB"),
    "MK": ("Milton Keynes", "GB"),
    "ML": ("Motherwell", "GB"),
    "N": ("London", "GB"),
    "NE": ("Newcastle upon Tyne", "GB"),
    "NG": ("Nottingham", "GB"),
    "NN": ("Northampton", "GB"),
    "NP": ("Newport", "GB"),
    "NR": ("Norwich", "GB"),
    "NW": ("London", "GB"),
    "OL": ("Oldham", "GB"),
    "OX": ("Oxford", "GB"),
    "PA": ("Paisley", "GB"),
    "PE": ("Peterborough", "GB"),
    "PH": ("Perth", "GB"),
    "PL": ("Plymouth", "GB"),
    "PO": ("Portsmouth", "GB"),
    "PR": ("Preston", "GB"),
    "RG": ("Reading", "GB"),
    "RH": ("Redhill", "GB"),
    "RM": ("Romford", "GB"),
    "S": ("Sheffield", "GB"),
    "SA": ("Swansea", "GB"),
    "SE": ("London", "GB"),
    "SG": ("Stevenage", "GB"),
    "SK": ("Stockport", "GB"),
    "SL": ("Slough", "GB"),
    "SM": ("Sutton", "GB"),
    "SN": ("Swindon", "GB"),
    "SO": ("Southampton", "GB"),
    "SP": ("Salisbury", "GB"),
    "SR": ("Sunderland", "GB"),
    "SS": ("Southend-on-Sea", "GB"),
    "ST": ("Stoke-on-Trent", "GB"),
    "SW": ("London", "GB"),
    "SY": ("Shrewsbury", "GB"),
    "TA": ("Taunton", "GB"),
    "TD": ("Galashiels", "GB"),
    "TF": ("Telford", "GB"),
    "TN": ("Tonbridge", "GB"),
    "TQ": ("Torquay", "GB"),
    "TR": ("Truro", "GB"),
    "TS": ("Middlesbrough", "GB"),
    "TW": ("Twickenham", "GB"),
    "UB": ("Southall", "GB"),
    "W": ("London", "GB"),
    "WA": ("Warrington", "GB"),
    "WC": ("London", "GB"),
    "WD": ("Watford", "GB"),
    "WF": ("Wakefield", "GB"),
    "WN": ("Wigan", "GB"),
    "WR": ("Worcester", "GB"),
    "WS": ("Walsall", "GB"),
    "WV": ("Wolverhampton", "GB"),
    "YO": ("York", "GB"),
    "ZE": ("Lerwick", "GB"),
}

# Province number (first two digits of a postcode) → (province, its capital).
ES_PROVINCES: dict[str, tuple[str, str]] = {
    "01": ("Araba/Álava", "Vitoria-Gasteiz"),
    "02": ("Albacete", "Albacete"),
    "03": ("Alicante/Alacant", "Alicante"),
    "04": ("Almería", "Almería"),
    "05": ("Ávila", "Ávila"),
    "06": ("Badajoz", "Badajoz"),
    "07": ("Illes Balears", "Palma"),
    "08": ("Barcelona", "Barcelona"),
    "09": ("Burgos", "Burgos"),
    "10": ("Cáceres", "Cáceres"),
    "11": ("Cádiz", "Cádiz"),
    "12": ("Castellón/Castelló", "Castelló de la Plana"),
    "13": ("Ciudad Real", "Ciudad Real"),
    "14": ("Córdoba", "Córdoba"),
    "15": ("A Coruña", "A Coruña"),
    "16": ("Cuenca", "Cuenca"),
    "17": ("Girona", "Girona"),
    "18": ("Granada", "Granada"),
    "19": ("Guadalajara", "Guadalajara"),
    "20": ("Gipuzkoa", "San Sebastián"),
    "21": ("Huelva", "Huelva"),
    "22": ("Huesca", "Huesca"),
    "23": ("Jaén", "Jaén"),
    "24": ("León", "León"),
    "25": ("Lleida", "Lleida"),
    "26": ("La Rioja", "Logroño"),
    "27": ("Lugo", "Lugo"),
    "28": ("Madrid", "Madrid"),
    "29": ("Málaga", "Málaga"),
    "30": ("Murcia", "Murcia"),
    "31": ("Navarra", "Pamplona"),
    "32": ("Ourense", "Ourense"),
    "33": ("Asturias", "Oviedo"),
    "34": ("Palencia", "Palencia"),
    "35": ("Las Palmas", "Las Palmas de Gran Canaria"),
    "36": ("Pontevedra", "Pontevedra"),
    "37": ("Salamanca", "Salamanca"),
    "38": ("Santa Cruz de Tenerife", "Santa Cruz de Tenerife"),
    "39": ("Cantabria", "Santander"),
    "40": ("Segovia", "Segovia"),
    "41": ("Sevilla", "Sevilla"),
    "42": ("Soria", "Soria"),
    "43": ("Tarragona", "Tarragona"),
    "44": ("Teruel", "Teruel"),
    "45": ("Toledo", "Toledo"),
    "46": ("Valencia/València", "Valencia"),
    "47": ("Valladolid", "Valladolid"),
    "48": ("Bizkaia", "Bilbao"),
    "49": ("Zamora", "Zamora"),
    "50": ("Zaragoza", "Zaragoza"),
    "51": ("Ceuta", "Ceuta"),
    "52": ("Melilla", "Melilla"),
}
