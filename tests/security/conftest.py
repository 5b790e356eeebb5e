"""The insight tests' team of people playing whole weeks, shared with the privacy tests."""

from tests.insight.conftest import team

__all__ = ["team"]
