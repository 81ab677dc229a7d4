"""ClinicFinder: find fertility clinics that fit, and take a report to the first visit.

The app is built by `clinicfinder.app.create_app`; importing this package builds nothing.
"""
