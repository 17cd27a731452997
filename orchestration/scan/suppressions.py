"""Checkov findings we accept, each with its reason: `suppressions.yaml`, checked both ways.

An entry names a check, the resources (`<project>/<Pulumi name pattern>`, a shell-style
pattern such as `storage/webapp-*-data`), the environments and the reason, and optionally a
project knob (`while_unset: compute:certificateArn`) whose absence the finding depends on: the
entry applies only where the environment's stack file leaves that knob unset, so configuring
it makes the finding go without making the entry stale. The file is
refused as a whole, with every fault listed, when an entry lacks a reason or is malformed; and
after a scan, an entry that explains no failure in an environment it lists is stale: the
finding was fixed, or the resource renamed, so the entry must go or change. That keeps the file
an honest list of what is accepted today, and reconciling it after a change mechanical.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, Final

from shared.project_config import config_keys
from shared.settings import known_environments
from shared.topology import TOPOLOGY
from shared.yaml_files import read_mapping

SUPPRESSIONS_FILE: Final = Path(__file__).with_name("suppressions.yaml")
# Checkov's ids of checks on AWS resources in Terraform (the only kind a plan can fail).
CHECK_ID: Final = re.compile(r"^CKV2?_AWS_\d+$")
# A reason says why in a sentence; a word or two ("accepted", "TODO") is not one.
MIN_REASON_LENGTH: Final = 25
_KEYS: Final = frozenset({"check", "resource", "environments", "reason"})
_OPTIONAL_KEYS: Final = frozenset({"while_unset"})


class SuppressionError(Exception):
    """The suppressions file is unusable or stale; the message lists every fault."""


@dataclass(frozen=True)
class Suppression:
    """One accepted finding: a check on the resources a pattern names, in some environments."""

    check: str
    project: str
    pattern: str
    environments: tuple[str, ...]
    reason: str
    # 1-based position in the file, for messages.
    number: int
    # `<project>:<key>`: the entry applies only where that knob is not set.
    while_unset: str | None = None

    @property
    def resource(self) -> str:
        return f"{self.project}/{self.pattern}"

    def matches(self, environment: str, check: str, project: str, name: str) -> bool:
        """True if this entry explains `check` failing on `project`'s resource `name`."""
        return (
            check == self.check
            and environment in self.environments
            and project == self.project
            and fnmatchcase(name, self.pattern)
        )

    def describe(self) -> str:
        return f"entry {self.number} ({self.check} on {self.resource})"

    def applies(self, environment: str, knob_is_set: Callable[[str, str], bool]) -> bool:
        """Whether the entry speaks for `environment`: listed, and its knob (if any) unset."""
        if environment not in self.environments:
            return False
        return self.while_unset is None or not knob_is_set(environment, self.while_unset)


def load_suppressions(path: Path = SUPPRESSIONS_FILE) -> list[Suppression]:
    """Every entry of the file; SuppressionError listing each malformed one."""
    document = read_mapping(path, error=SuppressionError)
    unknown = sorted(set(document) - {"suppressions"})
    entries = document.get("suppressions", [])
    if unknown or not isinstance(entries, list):
        raise SuppressionError(f"{path}: must hold one key, `suppressions`, a list of entries")
    found, faults = [], []
    for number, entry in enumerate(entries, start=1):
        try:
            found.append(_parse(entry, number))
        except ValueError as fault:
            faults.append(f"entry {number}: {fault}")
    seen: dict[tuple[str, str, str], int] = {}
    for suppression in found:
        for environment in suppression.environments:
            key = (suppression.check, suppression.resource, environment)
            if key in seen:
                faults.append(
                    f"entry {suppression.number}: repeats entry {seen[key]} "
                    f"({suppression.check} on {suppression.resource} in {environment})"
                )
            seen.setdefault(key, suppression.number)
    if faults:
        raise SuppressionError(_listing(path, faults))
    return found


def _parse(entry: Any, number: int) -> Suppression:
    if not isinstance(entry, Mapping):
        raise ValueError("must be a mapping with check, resource, environments and reason")
    missing = sorted(_KEYS - set(entry))
    extra = sorted(set(entry) - _KEYS - _OPTIONAL_KEYS)
    if missing or extra:
        said = [f"missing {', '.join(missing)}"] if missing else []
        said += [f"unknown {', '.join(map(str, extra))}"] if extra else []
        raise ValueError(f"{'; '.join(said)} (an entry has check, resource, environments, reason)")
    check = entry["check"]
    if not isinstance(check, str) or not CHECK_ID.match(check):
        raise ValueError(f"check {check!r} is not a Checkov AWS id like CKV_AWS_18 or CKV2_AWS_6")
    project, pattern = _resource(entry["resource"])
    environments = _environments(entry["environments"])
    reason = entry["reason"]
    if not isinstance(reason, str) or len(" ".join(reason.split())) < MIN_REASON_LENGTH:
        raise ValueError(
            f"{check} has no reason: say in a sentence why the finding is accepted "
            f"(at least {MIN_REASON_LENGTH} characters)"
        )
    while_unset = _knob(entry.get("while_unset"))
    return Suppression(
        check, project, pattern, environments, " ".join(reason.split()), number, while_unset
    )


def _knob(value: Any) -> str | None:
    if value is None:
        return None
    project, _, key = str(value).partition(":")
    if not isinstance(value, str) or key not in config_keys(project):
        raise ValueError(
            f"while_unset {value!r} must be a project knob <project>:<key>, such as "
            "compute:certificateArn (projects/<project>/config.py declares them)"
        )
    return value


def _resource(value: Any) -> tuple[str, str]:
    project, _, pattern = str(value).partition("/")
    if not isinstance(value, str) or not pattern or project not in TOPOLOGY.names:
        raise ValueError(
            f"resource {value!r} must be <project>/<Pulumi name or pattern>, the project one "
            f"of {', '.join(TOPOLOGY.names)}"
        )
    return project, pattern


def _environments(value: Any) -> tuple[str, ...]:
    known = known_environments()
    if not isinstance(value, list) or not value:
        raise ValueError(f"environments must be a non-empty list of {', '.join(known)}")
    unknown = [str(item) for item in value if item not in known]
    if unknown:
        raise ValueError(f"unknown environment(s) {', '.join(unknown)}; known: {', '.join(known)}")
    return tuple(value)


@dataclass(frozen=True)
class Finding:
    """A failed check on one resource, with the Pulumi resource it was translated from."""

    environment: str
    check: str
    check_name: str
    project: str
    name: str
    type: str
    address: str


def explain(
    findings: Iterable[Finding], suppressions: Sequence[Suppression]
) -> tuple[list[tuple[Finding, Suppression]], list[Finding]]:
    """(suppressed findings with the entry explaining each, unexplained findings).

    `suppressions` are those that apply (`Suppression.applies`) where the findings were made.
    """
    suppressed, unexplained = [], []
    for finding in findings:
        entry = next(
            (
                s
                for s in suppressions
                if s.matches(finding.environment, finding.check, finding.project, finding.name)
            ),
            None,
        )
        if entry is None:
            unexplained.append(finding)
        else:
            suppressed.append((finding, entry))
    return suppressed, unexplained


def stale(
    suppressions: Sequence[Suppression],
    used: Iterable[tuple[Finding, Suppression]],
    environments: Iterable[str],
    knob_is_set: Callable[[str, str], bool] = lambda _environment, _knob: False,
) -> list[str]:
    """A fault per entry that explained no failure in a scanned environment it applies to."""
    explained = {(entry.number, finding.environment) for finding, entry in used}
    return [
        f"{entry.describe()} explains no failure in {environment}: the check passes there now "
        f"(or the resource was renamed); remove {environment} from the entry, or the entry"
        for environment in environments
        for entry in suppressions
        if entry.applies(environment, knob_is_set) and (entry.number, environment) not in explained
    ]


def _listing(path: Path, faults: Sequence[str]) -> str:
    return f"{path} has {len(faults)} fault(s):\n" + "\n".join(f"  - {f}" for f in faults)


def stale_error(path: Path, faults: Sequence[str]) -> SuppressionError:
    """The error for stale entries, listing each."""
    return SuppressionError(_listing(path, faults))
