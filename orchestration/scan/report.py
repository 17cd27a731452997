"""What `invoke scan` prints: failures with the Pulumi resource, how many findings are accepted
(and, with --verbose, which and why), a summary per environment (passed / failed / suppressed)."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field

from orchestration.plan.report import counted
from orchestration.scan.rule_map import rules_for_check
from orchestration.scan.suppressions import Finding, Suppression


@dataclass(frozen=True)
class EnvironmentScan:
    """Checkov's verdicts on one environment's plan, judged against the suppressions."""

    environment: str
    resources: int
    passed: int
    failed: Sequence[Finding]
    suppressed: Sequence[tuple[Finding, Suppression]] = field(default_factory=tuple)


def _resource(finding: Finding) -> str:
    return f"{finding.project}  {finding.name} ({finding.type})"


def _echo(check: str) -> str:
    rules = rules_for_check(check)
    return f"  [our rule: {', '.join(rules)}]" if rules else ""


def environment_report(scan: EnvironmentScan, *, verbose: bool = False) -> list[str]:
    """The lines for one environment: failures, then the suppressed findings by entry (with
    `verbose`; otherwise their count)."""
    # Counted as the plan, the markdown and the graph count them: the AWS resources a deploy
    # creates (Pulumi's own providers, references and components are not scanned).
    lines = [f"{scan.environment}: {counted(scan.resources, 'AWS resource')} checked"]
    if scan.failed:
        lines.append(f"  FAILED ({len(scan.failed)}), not explained in the suppressions file:")
        for finding in scan.failed:
            lines.append(f"    {finding.check}  {_resource(finding)}")
            lines.append(f"        {finding.check_name}{_echo(finding.check)}")
    by_entry: dict[int, list[Finding]] = {}
    entries: dict[int, Suppression] = {}
    for finding, entry in scan.suppressed:
        by_entry.setdefault(entry.number, []).append(finding)
        entries[entry.number] = entry
    if by_entry and not verbose:
        lines.append(
            f"  suppressed ({len(scan.suppressed)}, {len(by_entry)} entries of the suppressions "
            "file): --verbose lists them with the reasons"
        )
        return lines
    if by_entry:
        lines.append(f"  suppressed ({len(scan.suppressed)}), with the reasons:")
    for number in sorted(by_entry):
        entry, findings = entries[number], by_entry[number]
        names = ", ".join(finding.name for finding in findings)
        lines.append(f"    {entry.check}  {entry.project}  {names}")
        lines.append(f"        {findings[0].check_name}")
        lines.extend(
            textwrap.wrap(
                f"why: {entry.reason}",
                width=100,
                initial_indent=" " * 8,
                subsequent_indent=" " * 13,
            )
        )
    return lines


def summary_table(scans: Sequence[EnvironmentScan]) -> list[str]:
    """passed / failed / suppressed per environment."""
    width = max([len("environment"), *(len(scan.environment) for scan in scans)])
    lines = [f"  {'environment':<{width}}  passed  failed  suppressed"]
    lines.extend(
        f"  {scan.environment:<{width}}  {scan.passed:>6}  {len(scan.failed):>6}  "
        f"{len(scan.suppressed):>10}"
        for scan in scans
    )
    return lines


def report(scans: Sequence[EnvironmentScan], header: str, *, verbose: bool = False) -> str:
    """The whole report (the suppressions' reasons only with `verbose`)."""
    lines = [header, ""]
    for scan in scans:
        lines.extend(environment_report(scan, verbose=verbose))
        lines.append("")
    lines.append("Summary (Checkov checks on the translated plan):")
    lines.extend(summary_table(scans))
    return "\n".join(lines)
