"""The suppressions file: reasons required, malformed entries refused, stale entries found."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from orchestration.scan.suppressions import (
    MIN_REASON_LENGTH,
    SUPPRESSIONS_FILE,
    Finding,
    SuppressionError,
    explain,
    load_suppressions,
    stale,
)
from shared import aws_types as t

REASON = "Accepted because the control belongs to another layer here."


def entry(**fields: object) -> dict[str, object]:
    base: dict[str, object] = {
        "check": "CKV_AWS_144",
        "resource": "storage/webapp-*-data",
        "environments": ["development", "production"],
        "reason": REASON,
    }
    base.update(fields)
    return {key: value for key, value in base.items() if value is not None}


def write(tmp_path: Path, *entries: object) -> Path:
    path = tmp_path / "suppressions.yaml"
    path.write_text(yaml.safe_dump({"suppressions": list(entries)}), encoding="utf-8")
    return path


def finding(environment: str, check: str, project: str, name: str) -> Finding:
    return Finding(environment, check, "a check", project, name, t.BUCKET, "addr")


def test_the_shipped_file_loads_and_every_entry_gives_a_reason() -> None:
    suppressions = load_suppressions(SUPPRESSIONS_FILE)

    assert suppressions
    assert all(len(s.reason) >= MIN_REASON_LENGTH for s in suppressions)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        pytest.param(entry(reason=None), r"entry 1: missing reason", id="no-reason"),
        pytest.param(entry(reason="accepted"), r"entry 1: CKV_AWS_144 has no reason", id="short"),
        pytest.param(entry(reason="   "), r"CKV_AWS_144 has no reason", id="blank"),
        pytest.param(entry(owner="me"), r"unknown owner", id="unknown-key"),
        pytest.param(entry(check="CKV_AZURE_1"), r"not a Checkov AWS id", id="check-id"),
        pytest.param(entry(resource="webapp-data"), r"must be <project>/<Pulumi", id="no-project"),
        pytest.param(entry(resource="billing/x"), r"the project one of security", id="project"),
        pytest.param(
            entry(environments=["staging"]), r"unknown environment\(s\) staging", id="env"
        ),
        pytest.param(entry(environments=[]), r"non-empty list", id="no-env"),
        pytest.param("CKV_AWS_144", r"must be a mapping", id="not-a-mapping"),
    ],
)
def test_a_malformed_entry_is_refused_with_what_is_wrong(
    tmp_path: Path, bad: object, message: str
) -> None:
    with pytest.raises(SuppressionError, match=message):
        load_suppressions(write(tmp_path, bad))


def test_every_fault_is_listed_at_once_and_repeats_are_faults(tmp_path: Path) -> None:
    path = write(
        tmp_path, entry(), entry(reason=None), entry(check="CKV_AWS_18", reason="x"), entry()
    )

    with pytest.raises(SuppressionError) as caught:
        load_suppressions(path)

    message = str(caught.value)
    assert message.startswith(f"{path} has 4 fault(s):")
    assert "entry 2: missing reason" in message
    assert "entry 3: CKV_AWS_18 has no reason" in message
    assert (
        "entry 4: repeats entry 1 (CKV_AWS_144 on storage/webapp-*-data in development)" in message
    )


@pytest.mark.parametrize(
    "text", ["- a list\n", "suppressions: {}\n", "suppressions: []\nextra: 1\n", "x: [\n"]
)
def test_a_file_of_the_wrong_shape_is_refused(tmp_path: Path, text: str) -> None:
    path = tmp_path / "suppressions.yaml"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(SuppressionError, match=str(path)):
        load_suppressions(path)


def test_entries_explain_failures_by_check_project_pattern_and_environment(tmp_path: Path) -> None:
    (suppression,) = load_suppressions(write(tmp_path, entry(environments=["production"])))
    matching = finding("production", "CKV_AWS_144", "storage", "webapp-production-data")
    others = [
        finding("development", "CKV_AWS_144", "storage", "webapp-development-data"),
        finding("production", "CKV_AWS_18", "storage", "webapp-production-data"),
        finding("production", "CKV_AWS_144", "compute", "webapp-production-data"),
        finding("production", "CKV_AWS_144", "storage", "webapp-production-logs"),
    ]

    suppressed, unexplained = explain([matching, *others], [suppression])

    assert suppressed == [(matching, suppression)]
    assert unexplained == others


def test_an_entry_explaining_nothing_in_a_scanned_environment_is_stale(tmp_path: Path) -> None:
    suppressions = load_suppressions(
        write(tmp_path, entry(), entry(check="CKV2_AWS_62", environments=["production"]))
    )
    used, _ = explain(
        [finding("development", "CKV_AWS_144", "storage", "webapp-development-data")],
        suppressions,
    )

    # Scanning development alone: entry 1 is used there, entry 2 does not list development.
    assert stale(suppressions, used, ["development"]) == []
    faults = stale(suppressions, used, ["development", "production"])
    assert len(faults) == 2
    assert faults[0].startswith(
        "entry 1 (CKV_AWS_144 on storage/webapp-*-data) explains no failure in production"
    )
    assert faults[1].startswith(
        "entry 2 (CKV2_AWS_62 on storage/webapp-*-data) explains no failure in production"
    )
