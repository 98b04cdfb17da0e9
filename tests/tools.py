"""Helpers for tests that need a tool from outside Python (a browser, Java, npm packages)."""

from __future__ import annotations

import os
import warnings
from typing import NoReturn

import pytest


def tool_missing(message: str, *, what: str = "check") -> NoReturn:
    """A tool the test needs is not here: skip loudly (a warning in the summary as well as
    the skip), except under CI (``CI`` set), where the missing tool fails the test.

    ``message`` says what did not run, why and how to get the tool; ``what`` names the
    kind of test in the CI failure ("a skipped <what> is a failure")."""
    if os.environ.get("CI"):
        pytest.fail(f"{message} Under CI a skipped {what} is a failure.", pytrace=False)
    warnings.warn(message, pytest.PytestWarning, stacklevel=2)
    pytest.skip(message)
