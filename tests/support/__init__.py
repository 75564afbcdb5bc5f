"""Helpers shared by every test package: one clock, one wait, one free port, one live server,
one way to make a migrated database. Import them from here; never copy them into a test."""
