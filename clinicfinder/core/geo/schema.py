"""The layout of the gazetteer index, shared by its builder and its reader."""

SCHEMA_VERSION = 1

# How a place was matched, best first. The gazetteer turns these into ranking bonuses.
TIER_ACCENTED = 0  # the text as typed, accents and all, is one of the place's names
TIER_PRIMARY = 1  # the place's main name, accent- and case-insensitive
TIER_ALTERNATE = 2  # one of its alternate names (exonyms, other languages, former names)

SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE countries (code TEXT PRIMARY KEY, name TEXT NOT NULL, name_es TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE regions (id INTEGER PRIMARY KEY, country TEXT NOT NULL, admin1 TEXT NOT NULL, name TEXT NOT NULL);
-- A country (region 0) or a region that a qualifier such as "Spain", "ES" or "IL" names.
CREATE TABLE qualifiers (key TEXT NOT NULL, country TEXT NOT NULL, region INTEGER NOT NULL,
                         PRIMARY KEY (key, country, region)) WITHOUT ROWID;
CREATE TABLE places (id INTEGER PRIMARY KEY, name TEXT NOT NULL, region INTEGER, country TEXT NOT NULL,
                     latitude REAL NOT NULL, longitude REAL NOT NULL, population INTEGER NOT NULL);
CREATE TABLE names (key TEXT NOT NULL, place INTEGER NOT NULL, tier INTEGER NOT NULL,
                    PRIMARY KEY (key, place)) WITHOUT ROWID;
-- Folded names spelt backwards, so a typo near the start still finds close names by their ending.
CREATE TABLE reversed_keys (key TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE postcodes (kind TEXT NOT NULL, code TEXT NOT NULL, locality TEXT, region INTEGER,
                        country TEXT NOT NULL, latitude REAL NOT NULL, longitude REAL NOT NULL,
                        PRIMARY KEY (kind, code)) WITHOUT ROWID;
"""
