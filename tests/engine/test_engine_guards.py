"""Preflight and destroy guards on the real engine (fresh backend and stand-in cloud per test)."""

from __future__ import annotations

from pathlib import Path

import pytest
from engine_support import EngineEnv, engine_paths, run_task

pytestmark = pytest.mark.engine


def stack_order(out: str, environment: str) -> list[str]:
    """Projects in the order their engine output first appears."""
    seen: list[str] = []
    for line in out.splitlines():
        for name in ("security", "storage", "compute"):
            if line.startswith(f"[{name}/{environment}]") and name not in seen:
                seen.append(name)
    return seen


def test_compute_without_storage_fails_preflight_and_creates_no_stack(
    engine_env: EngineEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine_env.apply(monkeypatch)
    paths = engine_paths(engine_env, tmp_path / "state")
    security = run_task(
        engine_env,
        paths,
        "development",
        lambda o: o.deploy("security", yes=True),
        project="security",
    )
    assert security.code == 0, security.text

    refused = run_task(
        engine_env,
        paths,
        "development",
        lambda o: o.deploy("compute", yes=True),
        project="compute",
    )
    assert refused.code is None
    assert refused.refusal is not None
    assert "cannot deploy compute in development" in refused.refusal
    assert "stack organization/storage/development does not exist" in refused.refusal
    assert "invoke deploy --env development --project storage" in refused.refusal
    assert "Nothing was deployed." in refused.refusal
    stacks = engine_env.backend_dir / ".pulumi" / "stacks"
    assert (stacks / "security").is_dir()
    assert not (stacks / "compute").exists()
    assert not (stacks / "storage").exists()


def test_destroy_guard_refuses_then_cascade_tears_down_consumers_first(
    engine_env: EngineEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine_env.apply(monkeypatch)
    paths = engine_paths(engine_env, tmp_path / "state")
    deployed = run_task(engine_env, paths, "development", lambda o: o.deploy(None, yes=True))
    assert deployed.code == 0, deployed.text
    before = engine_env.cloud.snapshot()

    refused = run_task(
        engine_env,
        paths,
        "development",
        lambda o: o.destroy("security", yes=True),
        project="security",
    )
    assert refused.refusal is not None
    assert "refusing to destroy security in development" in refused.refusal
    assert "storage (organization/storage/development" in refused.refusal
    assert "compute (organization/compute/development" in refused.refusal
    assert "--cascade" in refused.refusal
    assert engine_env.cloud.snapshot()["resources"] == before["resources"]

    cascade = run_task(
        engine_env,
        paths,
        "development",
        lambda o: o.destroy("security", cascade=True, yes=True),
        project="security",
    )
    assert cascade.code == 0, cascade.text
    assert stack_order(cascade.out, "development") == ["compute", "storage", "security"]
    assert engine_env.cloud.resources() == []


def test_production_destroy_needs_confirmation_and_stops_at_protected_resources(
    engine_env: EngineEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine_env.apply(monkeypatch)  # production's passphrase: the shared test passphrase
    paths = engine_paths(engine_env, tmp_path / "state")
    # This test is about the guards: the gateway attaches at once, so today's load balancer
    # does not lose the race test_engine_production.py shows (issue 10).
    engine_env.cloud.set_gateway_attach_seconds(0)
    deployed = run_task(engine_env, paths, "production", lambda o: o.deploy(None, yes=True))
    assert deployed.code == 0, deployed.text
    before = engine_env.cloud.snapshot()

    # compute holds nothing protected, so only the confirmation stands in the way.
    unconfirmed = run_task(
        engine_env,
        paths,
        "production",
        lambda o: o.destroy("compute", yes=True),
        project="compute",
    )
    assert unconfirmed.refusal is not None
    assert "--confirm production" in unconfirmed.refusal
    assert "nothing was destroyed" in unconfirmed.refusal

    blocked = run_task(
        engine_env, paths, "production", lambda o: o.destroy(None, confirm="production")
    )
    assert blocked.refusal is not None
    message = blocked.refusal
    assert "protected resources cannot be deleted (nothing was destroyed)" in message
    assert "organization/security/production" in message
    assert "organization/storage/production" in message
    assert "aws:kms/key:Key::webapp-production-key" in message
    assert "aws:s3/bucket:Bucket::webapp-production-data" in message
    assert "aws:s3/bucket:Bucket::webapp-production-logs" in message
    assert "state unprotect --all --yes" in message
    assert engine_env.cloud.snapshot()["resources"] == before["resources"]
