"""Entities, value objects and rules of Bazaar. Standard library only: nothing here knows about
HTTP, SQL or any framework, so every rule can be tested in microseconds."""
