"""Plans of the shipped environments, made once per test session (the programs are real)."""

from __future__ import annotations

import pytest

from orchestration.plan.cli import make_plan
from orchestration.plan.environment import EnvironmentPlan


@pytest.fixture(scope="session")
def development_plan() -> EnvironmentPlan:
    return make_plan("development")


@pytest.fixture(scope="session")
def production_plan() -> EnvironmentPlan:
    return make_plan("production")
