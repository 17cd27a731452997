"""Fixtures: each project's real program evaluated per environment, upstream from the contract."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from orchestration.plan.evaluate import ProgramResult
from shared.settings import EnvironmentSettings, load_settings
from tests.programs.programs_support import ENVIRONMENTS, evaluated


@pytest.fixture(params=ENVIRONMENTS)
def environment(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def env_settings(environment: str) -> EnvironmentSettings:
    return load_settings(environment)


@pytest.fixture
def evaluate() -> Callable[[str, str], ProgramResult]:
    """The cached evaluation of a (project, environment)."""
    return evaluated
