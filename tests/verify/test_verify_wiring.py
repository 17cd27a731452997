"""What `invoke verify` reads and through what: the stacks' outputs, the credentials, the
emulator endpoint, the app's health endpoint, and the task's action."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest

from orchestration.engine.interface import OrchestrationError
from orchestration.verify.cli import verify_action
from orchestration.verify.runner import (
    HEALTH_CHECK,
    CheckResult,
    DeployedEnvironment,
    VerifyError,
    check_health,
    make_session,
    needed_outputs,
    read_deployed,
    run_verify,
    verify,
)
from shared.settings import EnvironmentSettings, load_settings
from tests.verify.moto_environment import Deployed, OrchestratorDouble


def _stacks(settings: EnvironmentSettings, deployed: Deployed) -> OrchestratorDouble:
    return OrchestratorDouble(settings, deployed.outputs)


# The stacks verification reads in development, and the outputs it needs from each.
NEEDED = needed_outputs(load_settings("development"))
FIRST, LAST = next(iter(NEEDED)), list(NEEDED)[-1]


def _drop_the_last_stack(outputs: dict[str, dict[str, Any]]) -> None:
    del outputs[LAST]


def _drop_an_output_of_the_first(outputs: dict[str, dict[str, Any]]) -> None:
    del outputs[FIRST][NEEDED[FIRST][0]]


@pytest.mark.parametrize(
    ("remove", "problem"),
    [
        (_drop_the_last_stack, f"stack organization/{LAST}/development does not exist"),
        (
            _drop_an_output_of_the_first,
            f"stack organization/{FIRST}/development has no output(s) {NEEDED[FIRST][0]}",
        ),
    ],
)
def test_a_missing_stack_or_output_is_named_with_the_fix(
    development: EnvironmentSettings,
    deployed: Deployed,
    remove: Callable[[dict[str, dict[str, Any]]], None],
    problem: str,
) -> None:
    remove(deployed.outputs)

    with pytest.raises(VerifyError) as caught:
        read_deployed(development, _stacks(development, deployed))

    assert str(caught.value) == (
        f"cannot verify 'development': {problem}. Deploy it first: invoke deploy --env development"
    )


def test_production_needs_the_log_bucket_output(
    production: EnvironmentSettings, production_deployed: Deployed
) -> None:
    # Development exports "" (no log bucket) and is not asked for it.
    del production_deployed.outputs["storage"]["log_bucket_name"]

    with pytest.raises(VerifyError) as caught:
        read_deployed(production, _stacks(production, production_deployed))

    assert "stack organization/storage/production has no output(s) log_bucket_name" in str(
        caught.value
    )


def test_credentials_that_stop_resolving_stop_the_verification(
    development: EnvironmentSettings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The orchestrator checked them before verify started; here they vanish in between.
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", raising=False)
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", raising=False)
    deployed = DeployedEnvironment(
        kms_key_arn="arn:aws:kms:us-west-2:123456789012:key/k",
        bucket_name="b",
        instance_ids=("i-1",),
        security_group_id="sg-1",
        vpc_id="vpc-1",
        url="http://127.0.0.1:9",
    )

    with pytest.raises(VerifyError, match="AWS credentials stopped resolving"):
        verify(development, deployed, make_session(development, None))


def test_emulator_endpoint_uses_dummy_credentials(development: EnvironmentSettings) -> None:
    session = make_session(development, "http://127.0.0.1:4566")

    credentials = session.get_credentials()
    assert credentials is not None
    assert credentials.access_key == "test"
    assert session.region_name == "us-west-2"


@pytest.mark.parametrize(
    ("environment", "environment_deployed", "services"),
    [
        pytest.param("development", "deployed", ["ec2", "kms", "logs", "s3"], id="development"),
        # Production's load balancer too (development has none).
        pytest.param(
            "production",
            "production_deployed",
            ["ec2", "elbv2", "kms", "logs", "s3"],
            id="production",
        ),
    ],
)
def test_endpoint_is_passed_to_every_client_made_once(
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    environment: str,
    environment_deployed: str,
    services: list[str],
) -> None:
    settings: EnvironmentSettings = request.getfixturevalue(environment)
    deployed: Deployed = request.getfixturevalue(environment_deployed)
    seen: list[tuple[str, Any]] = []
    real_client = boto3.Session.client

    def recording_client(self: boto3.Session, service: str, **kwargs: Any) -> Any:
        seen.append((service, kwargs.get("endpoint_url")))
        kwargs.pop("endpoint_url", None)  # moto intercepts the default endpoints only
        return real_client(self, service, **kwargs)

    monkeypatch.setattr(boto3.Session, "client", recording_client)
    out = io.StringIO()
    code = run_verify(
        settings,
        _stacks(settings, deployed),
        endpoint="http://127.0.0.1:4566",
        out=out,
        session_factory=lambda settings, endpoint: deployed.session,
    )

    assert code == 0, out.getvalue()
    assert {endpoint for _, endpoint in seen} == {"http://127.0.0.1:4566"}
    assert sorted(service for service, _ in seen) == services
    # An emulator boots no instance: the app's health is skipped, said so, never fetched.
    assert f"SKIP  {HEALTH_CHECK}" in out.getvalue()
    assert "runs no instance to answer" in out.getvalue()
    assert out.getvalue().rstrip().endswith(", 0 failed, 1 skipped")


def test_health_reports_wrong_log_level_and_errors(
    production: EnvironmentSettings,
) -> None:
    def answer(status: int, body: Any) -> Any:
        return lambda url: (status, body if isinstance(body, str) else json.dumps(body))

    good = {"debug": False, "log_level": "warning"}
    assert check_health(production, "http://app", answer(200, good)).passed
    wrong = check_health(production, "http://app/", answer(200, {**good, "log_level": "DEBUG"}))
    assert wrong == CheckResult(
        HEALTH_CHECK, "http://app/health", False, "log_level is 'DEBUG', expected 'WARNING'"
    )
    assert "answered 503" in check_health(production, "http://app", answer(503, "down")).detail
    assert "non-JSON" in check_health(production, "http://app", answer(200, "<html>")).detail


def test_unreachable_app_fails_the_health_check(production: EnvironmentSettings) -> None:
    result = check_health(production, "http://127.0.0.1:9")

    assert not result.passed
    assert result.detail.startswith("answered nothing")


def test_verify_action_turns_missing_stacks_into_a_user_error(
    production: EnvironmentSettings,
) -> None:
    action = verify_action(None, io.StringIO())

    with pytest.raises(OrchestrationError) as caught:
        action(OrchestratorDouble(production, {}))  # type: ignore[arg-type]

    # The orchestrator's environment and stack names (not settings loaded a second time).
    assert str(caught.value) == (
        "cannot verify 'production': stack organization/security/production does not exist; "
        "stack organization/storage/production does not exist; stack "
        "organization/compute/production does not exist. Deploy it first: invoke deploy "
        "--env production"
    )


def test_verify_action_runs_the_checks(
    development: EnvironmentSettings, deployed: Deployed
) -> None:
    out = io.StringIO()

    code = verify_action(None, out)(OrchestratorDouble(development, deployed.outputs))  # type: ignore[arg-type]

    assert code == 0, out.getvalue()
    assert "Verifying development (us-west-2) read-only" in out.getvalue()
