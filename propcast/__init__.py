"""propcast: a dbt-centric warehouse for sports-betting predictions."""

__version__ = "0.1.0"
