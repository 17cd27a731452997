"""Fixtures for the rule, adapter and policy-pack tests."""

from __future__ import annotations

import pytest

from shared.settings import EnvironmentSettings


@pytest.fixture(params=["development", "production"])
def settings(request: pytest.FixtureRequest) -> EnvironmentSettings:
    """Each test runs once per shipped environment."""
    return request.getfixturevalue(request.param)  # type: ignore[no-any-return]
