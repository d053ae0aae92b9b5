"""Fixture web sites for crawler tests, served by tests/sites/server.py."""
