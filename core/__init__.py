"""Helpers without models that every app may use (the bottom layer: it imports no app)."""
