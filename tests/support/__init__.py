"""Helpers shared by test layers (property, e2e, live); no tests here."""
