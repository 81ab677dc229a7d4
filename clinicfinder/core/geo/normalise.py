"""Text keys for matching place names: accent-, case- and punctuation-insensitive.

The same functions build the index (tools/build_gazetteer.py) and read queries, so a key
computed at build time and one computed for a patient's text always agree.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

# Letters that Unicode does not decompose into a base letter plus an accent.
_UNDECOMPOSED = str.maketrans(
    {
        "ø": "o",
        "đ": "d",
        "ð": "d",
        "þ": "th",
        "ł": "l",
        "ı": "i",
        "æ": "ae",
        "œ": "oe",
        "ŀ": "l",
        "ħ": "h",
        "ŧ": "t",
    }
)
# Dropped rather than turned into a space: "L'Hospitalet" and "Lhospitalet" give one key.
_SILENT = re.compile(r"['’‘`´ʼʻ·]")
_NOT_ASCII_WORD = re.compile(r"[^0-9a-z]+")
_NOT_WORD = re.compile(r"[\W_]+")
_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "mt": "mount", "ft": "fort"}


def fold(text: str) -> str:
    """The matching key: lower-case ASCII words separated by single spaces.

    "València" → "valencia", "St. Albans" → "saint albans", "U.S.A." → "usa". Text in a
    non-Latin script folds to "" (the index holds Latin-script names only).
    """
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).translate(_UNDECOMPOSED)
    text = _SILENT.sub("", text)
    return _tidy(_NOT_ASCII_WORD.split(text))


def accent_key(text: str) -> str:
    """Like `fold`, but keeps accents: "València" → "valència", told apart from "valencia".

    Used to rank a place first when the patient typed its name exactly as it is spelt.
    """
    text = _SILENT.sub("", unicodedata.normalize("NFC", text.casefold()))
    return _tidy(_NOT_WORD.split(text))


def has_letters_or_digits(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


def _tidy(tokens: list[str]) -> str:
    words = [_ABBREVIATIONS.get(token, token) for token in tokens if token]
    return " ".join(_merge_initials(words))


def _merge_initials(words: list[str]) -> list[str]:
    # "U S A" (from "U.S.A.") and "USA" must meet; a lone initial ("A Coruña") stays a word.
    merged: list[str] = []
    run: list[str] = []
    for word in [*words, ""]:
        if len(word) == 1 and word.isalpha():
            run.append(word)
            continue
        if len(run) > 1:
            merged.append("".join(run))
        else:
            merged.extend(run)
        run = []
        if word:
            merged.append(word)
    return merged


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment distance (swapping two neighbours costs 1), or `limit + 1` once over it.

    Only the diagonal band |i - j| <= limit is computed: any alignment leaving it costs more.
    """
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    if a == b:
        return 0
    over = limit + 1
    before_previous: list[int] = []
    previous = [j if j <= limit else over for j in range(len(b) + 1)]
    for i in range(1, len(a) + 1):
        current = [over] * (len(b) + 1)
        if i <= limit:
            current[0] = i
        row_best = current[0]
        char = a[i - 1]
        for j in range(max(1, i - limit), min(len(b), i + limit) + 1):
            other = b[j - 1]
            value = previous[j - 1] + (char != other)
            value = min(value, previous[j] + 1, current[j - 1] + 1)
            if i > 1 and j > 1 and char == b[j - 2] and a[i - 2] == other:
                value = min(value, before_previous[j - 2] + 1)
            current[j] = value
            row_best = min(row_best, value)
        if row_best > limit:
            return over
        before_previous, previous = previous, current
    return min(previous[-1], over)


def letters_gap(wanted: Counter[str], text: str) -> int:
    """A cheap lower bound of `edit_distance`: one keystroke adds or removes at most one letter
    from the bag of letters, so if the bags differ by more than `limit`, so do the strings.
    """
    have = Counter(text)
    extra = missing = 0
    for char, count in have.items():
        extra += max(0, count - wanted.get(char, 0))
    for char, count in wanted.items():
        missing += max(0, count - have.get(char, 0))
    return max(extra, missing)
