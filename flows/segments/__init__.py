"""Segments: saved filters over contacts, compiled to one SQL query (see `compile`)."""
