"""Fixtures shared by every test suite."""

from __future__ import annotations

import dataclasses
import importlib.util
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from orchestration.plan.cli import make_plan
from orchestration.plan.environment import EnvironmentPlan
from orchestration.scan.checkov_install import ensure_checkov
from shared.paths import REPO_ROOT
from shared.settings import EnvironmentSettings, load_settings
from tests import bucket_policies
from tests.moto_server import moto_server


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    """moto's server, started once per session on a free loopback port (tests/moto_server.py)."""
    with moto_server() as url:
        yield url


@pytest.fixture
def development() -> EnvironmentSettings:
    return load_settings("development")


@pytest.fixture
def production() -> EnvironmentSettings:
    return load_settings("production")


@pytest.fixture
def make_settings(development: EnvironmentSettings):  # type: ignore[no-untyped-def]
    """Settings built directly (style guide: tests build the dataclass, not Pulumi config)."""

    def build(**changes: object) -> EnvironmentSettings:
        return dataclasses.replace(development, **changes)  # type: ignore[arg-type]

    return build


@pytest.fixture
def tls_only_statement() -> Callable[..., dict[str, Any]]:
    """(bucket name[, partition]) -> the policy statement denying requests without TLS."""
    return bucket_policies.tls_only_statement


# Plans of the shipped environments, made once per test session (the programs are real).


@pytest.fixture(scope="session")
def development_plan() -> EnvironmentPlan:
    return make_plan("development")


@pytest.fixture(scope="session")
def production_plan() -> EnvironmentPlan:
    return make_plan("production")


@pytest.fixture(scope="session")
def checkov() -> Path:
    """The pinned Checkov (`invoke scan`'s own install under .tools/, made on first use)."""
    return ensure_checkov(REPO_ROOT / ".tools", lambda line: None)


@pytest.fixture(scope="module")
def repo_tasks() -> ModuleType:
    """The repository's tasks.py, loaded afresh per test module (invoke's parser pops entries
    of a task's help when it parses, so modules do not share one)."""
    spec = importlib.util.spec_from_file_location("repo_tasks", REPO_ROOT / "tasks.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
