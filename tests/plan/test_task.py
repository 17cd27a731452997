"""`invoke plan` and `invoke verify` as tasks: thin wrappers, documented flags, exit codes."""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pulumi_aws as aws
import pytest
from invoke.context import Context
from invoke.exceptions import Exit

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", ["plan", "verify", "graph", "affected"])
def test_every_flag_is_documented(repo_tasks: ModuleType, name: str) -> None:
    task = getattr(repo_tasks, name)
    parameters = [p for p in inspect.signature(task.body).parameters if p != "c"]

    assert sorted(task.help) == sorted(parameters)
    assert task.__doc__


def test_plan_task_passes_a_clean_plan(
    repo_tasks: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    repo_tasks.plan(Context(), env="development", project="security")

    assert "Security rules: no findings." in capsys.readouterr().out


def test_plan_task_exits_non_zero_on_a_mandatory_violation(
    repo_tasks: ModuleType, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real_key = aws.kms.Key

    def key_without_rotation(name: str, *args: Any, **kwargs: Any) -> Any:
        return real_key(name, *args, **{**kwargs, "enable_key_rotation": False})

    monkeypatch.setattr(aws.kms, "Key", key_without_rotation)

    with pytest.raises(Exit) as caught:
        repo_tasks.plan(Context(), env="development", project="security")

    assert caught.value.code == 1
    assert "[kms-key-rotation] webapp-development-key" in capsys.readouterr().out


def test_plan_task_turns_user_errors_into_one_message(repo_tasks: ModuleType) -> None:
    with pytest.raises(Exit) as caught:
        repo_tasks.plan(Context(), env="staging")

    assert caught.value.code == 1
    assert "unknown environment 'staging'" in str(caught.value.message)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"fail_on_changes": True}, "--fail-on-changes needs --base"),
        ({"base": "no-such-ref"}, "--base 'no-such-ref' is not a commit in this repository"),
        ({"base": "HEAD", "format_": "dot"}, "unknown format 'dot' for a diff"),
    ],
)
def test_plan_task_refuses_a_diff_it_cannot_make_before_planning(
    repo_tasks: ModuleType, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(Exit) as caught:
        repo_tasks.plan(Context(), env="development", **options)

    assert caught.value.code == 1
    assert message in str(caught.value.message)


def test_plan_json_dash_prints_only_the_json_on_stdout(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from orchestration.plan.cli import run_plan  # noqa: PLC0415

    code = run_plan("development", project="security", json_path="-")

    captured = capsys.readouterr()
    assert code == 0
    assert json.loads(captured.out)["environment"] == "development"
    assert "Security rules: no findings." in captured.err
    assert not Path("-").exists()


@pytest.mark.parametrize("flag", ["json_path", "output"])
def test_plan_refuses_a_directory_target_before_planning(tmp_path: Path, flag: str) -> None:
    from orchestration.plan.cli import PlanError, run_plan  # noqa: PLC0415

    def never(*args: object) -> Any:
        raise AssertionError("planned despite a bad target")

    with pytest.raises(PlanError, match="it is a directory"):
        run_plan("development", evaluate_program=never, **{flag: str(tmp_path)})  # type: ignore[arg-type]
