"""Makes tests/ importable (shared helpers such as refnet.py) for every test layer."""
