"""Categorization use cases: rules, learned suggestions, recurring series, segments."""
