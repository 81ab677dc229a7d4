"""The Fertility Report: build it (builder, guide), render it safely (fetcher), deliver it (delivery)."""
