"""The newsletter bot: digests of new and changed matching programmes, delivered exactly once (see outbox.py)."""
