"""Adapters that implement the application's ports, and the container that wires them."""
