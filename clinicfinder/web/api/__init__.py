"""The JSON API, version 1 (`/api/v1`): geocoding, clinic search, clinic details, OpenAPI."""
