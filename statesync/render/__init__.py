"""Renderers: Plan -> text. Each reads the same Plan value."""
