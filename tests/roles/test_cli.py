"""`invoke roles`: the JSON shape, the text, and one line for bad input."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from orchestration.roles.cli import RolesRefused, run_roles
from shared.topology import TOPOLOGY


def test_json_is_keyed_by_team_with_name_trust_and_policy() -> None:
    out = io.StringIO()
    assert run_roles("production", json_path="-", out=out) == 0
    document = json.loads(out.getvalue())
    assert set(document) == {TOPOLOGY.project(name).team for name in TOPOLOGY.names}
    for team, role in document.items():
        assert set(role) == {"role_name", "trust_policy", "policy"}
        assert role["role_name"] == f"webapp-production-deploy-{team}"
        assert role["policy"]["Statement"]


def test_project_selects_its_team_and_account_fills_the_arns(tmp_path: Path) -> None:
    target = tmp_path / "roles.json"
    out = io.StringIO()
    run_roles(
        "production", project="storage", json_path=str(target), account="123456789012", out=out
    )
    document = json.loads(target.read_text())
    assert list(document) == [TOPOLOGY.project("storage").team]
    text = json.dumps(document)
    assert "arn:aws:iam::123456789012:oidc-provider/" in text
    assert "webapp-production-state-123456789012-us-west-2" in text
    assert "Team data (storage): role webapp-production-deploy-data" in out.getvalue()
    assert f"JSON written to {target}" in out.getvalue()


def test_admin_trust_adds_the_account_as_principal() -> None:
    out = io.StringIO()
    run_roles("development", project="security", json_path="-", admins=True, out=out)
    (role,) = json.loads(out.getvalue()).values()
    principals = [s["Principal"] for s in role["trust_policy"]["Statement"]]
    assert {"AWS": "arn:aws:iam::<account>:root"} in principals


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"environment": "staging"}, "unknown environment 'staging'"),
        ({"environment": "production", "project": "queue"}, "unknown project 'queue'"),
        ({"environment": "production", "account": "12"}, "give the 12-digit AWS account id"),
        ({"environment": "production", "json_path": "/no/such/dir/r.json"}, "does not exist"),
    ],
)
def test_bad_input_is_one_line(arguments: dict[str, str], message: str) -> None:
    out = io.StringIO()
    with pytest.raises(RolesRefused, match=message) as refused:
        run_roles(**arguments, out=out)  # type: ignore[arg-type]
    assert "\n" not in str(refused.value)
    assert out.getvalue() == ""
