"""The clinic directory as a file: `clinics.csv` columns, parsing, validation, import and export."""
