"""Crawlers that keep the catalogue current. Sources register in crawlers/registry.py."""
