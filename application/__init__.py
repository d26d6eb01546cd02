"""Use cases and the ports they need. Imports only ``domain`` and the standard library, so every
use case runs against the in-memory fakes in ``tests/fakes.py``."""
