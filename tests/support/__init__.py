"""What the tests share: instances and apps, admin helpers, the journey's forms, the mail sink, page objects.

Test modules import from here and take fixtures from the conftests; they never import each other
(tests/unit/test_layout.py says so). Only `pages` imports Playwright, and only browser tests use it.
"""
