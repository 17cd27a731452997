"""`invoke state migrate`: the refusal of a local target, and how a verification reports."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestration import state_commands
from orchestration.commands import Paths
from orchestration.engine.interface import OrchestrationError
from orchestration.state.migration_check import verification_problems, verification_summary
from shared.paths import PROJECTS_DIR


def test_migrating_to_a_declared_local_backend_says_that_is_the_reason(tmp_path: Path) -> None:
    paths = Paths(
        projects_dir=PROJECTS_DIR,
        state_dir=tmp_path / ".pulumi-state",
        tools_dir=tmp_path / ".tools",
        policy_pack=tmp_path / "policy-pack",
    )

    with pytest.raises(OrchestrationError) as refused:
        state_commands.state(
            "migrate",
            "development",
            to="declared",
            paths=paths,
            environ={},
            resolve_credentials=lambda region: True,
        )

    message = str(refused.value)
    assert message.startswith(
        "development declares no shared state backend: its state already is the local one"
    )
    assert "state_backend: s3" in message
    assert "--to s3" in message
    assert "passphrase" not in message
    assert not paths.state_dir.exists()


def test_a_failed_verification_counts_resources_instead_of_listing_urns() -> None:
    urns = [f"urn:pulumi:production::security::aws:kms/key:Key::k{i}" for i in range(40)]
    before = {"outputs": {"a": 1}, "resources": urns, "updates": 3}
    after = {"outputs": {"a": 1}, "resources": urns[:-2], "updates": 3}

    problems = verification_problems(before, after)

    assert problems == ["resources differ: 40 in the source, 38 in the target"]


def test_a_verified_stack_is_reported_with_counts() -> None:
    urns = [f"urn:pulumi:production::security::aws:kms/key:Key::k{i}" for i in range(12)]
    read = {"outputs": {"a": 1, "b": 2}, "resources": urns, "updates": 3}

    line = verification_summary("organization/security/production", read, read)

    assert line == (
        "  verified organization/security/production: 2 outputs, 12 resources, 3 past updates"
    )
