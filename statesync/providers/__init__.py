"""How statesync talks to a service: writers, and optionally readers, of page posts."""
