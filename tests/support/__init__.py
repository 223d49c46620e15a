"""Test-data helpers shared by the suites (generated vendor files, frames)."""
