"""Entry points of the offline plan: `invoke plan` and `python -m orchestration.plan`."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import TextIO

from orchestration.exit_codes import EXIT_CHANGES
from orchestration.plan import diff_report
from orchestration.plan.base import CACHE_DIR, BasePlan
from orchestration.plan.diagram import FORMATS as DIAGRAM_FORMATS
from orchestration.plan.diagram import render
from orchestration.plan.diff import PlanDiff, diff_plans
from orchestration.plan.diff import to_json as diff_to_json
from orchestration.plan.environment import (
    EnvironmentPlan,
    PlanError,
    ProgramEvaluator,
    plan_environment,
)
from orchestration.plan.markdown import github_annotations, markdown
from orchestration.plan.report import counted, summary, to_json
from shared.output_target import STDOUT, OutputTargetError, parse_optional, write_file
from shared.paths import PROJECTS_DIR, REPO_ROOT
from shared.settings import EnvironmentSettings, SettingsError, load_settings
from shared.topology import TOPOLOGY, ContractError

# terraform-plan-json: the plan as Terraform plan JSON, for Checkov (`invoke scan`) and other
# scanners that read Terraform plans (orchestration/scan/translate.py).
TERRAFORM_PLAN_JSON = "terraform-plan-json"
REPORT_FORMATS = ("text", "markdown", TERRAFORM_PLAN_JSON)
DIFF_FORMATS = ("text", "markdown")


def make_plan(
    environment: str,
    *,
    project: str | None = None,
    settings: EnvironmentSettings | None = None,
    evaluate_program: ProgramEvaluator | None = None,
) -> EnvironmentPlan:
    """Plan one environment (or one project and what it reads); PlanError on any user error."""
    if evaluate_program is None:
        # Imported here: it loads the Pulumi runtime, which `--help` and the timing do not need.
        from orchestration.plan.programs import evaluate_project  # noqa: PLC0415

        evaluate_program = evaluate_project
    try:
        loaded = settings or load_settings(environment)
        TOPOLOGY.check_folders(PROJECTS_DIR)
        return plan_environment(loaded, evaluate_program, projects=[project] if project else None)
    except (SettingsError, ContractError) as error:
        raise PlanError(str(error)) from error


def _writable(path_text: str, what: str) -> Path | None:
    """The file to write to; None for `-` (stdout). `--json` and `--output` follow every
    task's rule (shared.output_target), checked before any planning."""
    try:
        target = parse_optional(path_text, what)
    except OutputTargetError as error:
        raise PlanError(str(error)) from None
    return None if target is None else target.path


def _write(path: Path, text: str, what: str) -> None:
    """`write_file`, a write the system refuses late (a /proc file) being a PlanError."""
    try:
        write_file(path, text, what)
    except OutputTargetError as error:
        raise PlanError(str(error)) from None


def run_plan(
    environment: str,
    *,
    project: str | None = None,
    json_path: str | None = None,
    fmt: str = "text",
    output: str | None = None,
    annotate: bool = False,
    quiet: bool = False,
    out: TextIO | None = None,
    settings: EnvironmentSettings | None = None,
    evaluate_program: ProgramEvaluator | None = None,
) -> int:
    """Plan, print (or write to `output`) the report in `fmt`, write the JSON plan, print the
    findings as GitHub annotations with `annotate`; 1 on a mandatory violation, else 0.

    Raises PlanError (a message for the user) when the plan cannot be made; every check on
    the arguments comes before the plan, so a bad one writes nothing.
    """
    out = out or sys.stdout
    if fmt not in REPORT_FORMATS:
        raise PlanError(f"unknown format {fmt!r}: use one of {', '.join(REPORT_FORMATS)}")
    if json_path == STDOUT and fmt == TERRAFORM_PLAN_JSON and not output:
        raise PlanError("--json - and the Terraform plan JSON cannot both go to stdout")
    json_file = _writable(json_path, "JSON plan") if json_path else None
    report_file = _writable(output, f"{fmt} plan") if output else None
    plan = make_plan(
        environment, project=project, settings=settings, evaluate_program=evaluate_program
    )
    report = _report(plan, fmt)
    if json_file:
        _write(json_file, json.dumps(to_json(plan), indent=2) + "\n", "JSON plan")
    elif json_path == STDOUT:
        print(json.dumps(to_json(plan), indent=2), file=out)
        out = sys.stderr
        json_path = None
    if report_file:
        _write(report_file, report if report.endswith("\n") else report + "\n", f"{fmt} plan")
    if not quiet:
        what = "Terraform plan JSON" if fmt == TERRAFORM_PLAN_JSON else f"{fmt.capitalize()} plan"
        print(f"{what} written to {output}" if output else report, file=out)
        # A machine-readable report on stdout stays parseable: the notes go to stderr.
        if fmt == TERRAFORM_PLAN_JSON and not output:
            out = sys.stderr
        if json_path:
            print(f"\nJSON plan written to {json_path}", file=out)
    return _annotate_and_judge(plan, annotate, out)


def run_diff(
    environment: str,
    base: str,
    *,
    project: str | None = None,
    json_path: str | None = None,
    fmt: str = "text",
    output: str | None = None,
    annotate: bool = False,
    fail_on_changes: bool = False,
    quiet: bool = False,
    out: TextIO | None = None,
    cache_dir: Path | None = CACHE_DIR,
) -> int:
    """The plan as a diff against the revision `base`: what a deploy would create, update,
    replace or delete (orchestration/plan/diff.py). The report in `fmt` is printed (or
    written to `output`), the JSON diff written to `json_path` (`-`: stdout).

    1 when the working tree's plan has a mandatory violation; else EXIT_CHANGES when
    `fail_on_changes` and anything changes (as `pulumi preview --expect-no-changes`); else 0.
    """
    out = out or sys.stdout
    if fmt not in DIFF_FORMATS:
        raise PlanError(f"unknown format {fmt!r} for a diff: use one of {', '.join(DIFF_FORMATS)}")
    json_file = _writable(json_path, "JSON diff") if json_path else None
    report_file = _writable(output, f"{fmt} diff") if output else None
    plan, diff = _diff_against(environment, base, project, cache_dir)
    if fmt == "markdown":
        report = diff_report.markdown(diff, full_plan=markdown(plan), note=_findings_note(plan))
    else:
        report = diff_report.summary(diff)
    document = json.dumps(diff_to_json(diff), indent=2) + "\n"
    if json_file:
        _write(json_file, document, "JSON diff")
    elif json_path == STDOUT:
        out.write(document)
        out = sys.stderr
    if report_file:
        _write(report_file, report if report.endswith("\n") else report + "\n", f"{fmt} diff")
    if not quiet:
        print(f"{fmt.capitalize()} diff written to {output}" if output else report, file=out)
        if json_file:
            print(f"\nJSON diff written to {json_path}", file=out)
    refused = _annotate_and_judge(plan, annotate, out)
    if refused:
        return refused
    if fail_on_changes and diff.changed:
        print(f"\nThe plan changes ({diff_report.counts(diff)}): exit {EXIT_CHANGES}", file=out)
        return EXIT_CHANGES
    return 0


def _diff_against(
    environment: str, base: str, project: str | None, cache_dir: Path | None = CACHE_DIR
) -> tuple[EnvironmentPlan, PlanDiff]:
    """The working tree's plan, and its diff against the plan of the revision `base`."""
    old = BasePlan(REPO_ROOT, base, environment, project=project, cache_dir=cache_dir)
    plan = make_plan(environment, project=project)
    base_plan = old.result()
    # Through JSON, as the base came: the same types on both sides.
    head_plan = json.loads(json.dumps(to_json(plan)))
    return plan, diff_plans(base_plan, head_plan, old.commit)


def _annotate_and_judge(plan: EnvironmentPlan, annotate: bool, out: TextIO) -> int:
    """The findings as GitHub annotations with `annotate`; 1 (and why) on a mandatory one."""
    if annotate:
        for command in github_annotations(plan):
            print(command, file=out)
    if not plan.blocking:
        return 0
    rules = sorted({violation.rule for violation in plan.blocking})
    findings = counted(len(plan.blocking), "mandatory finding")
    print(f"\nPlan refused: {findings} of {', '.join(rules)}", file=out)
    return 1


def _findings_note(plan: EnvironmentPlan) -> str:
    blocking, advisory = len(plan.blocking), len(plan.violations) - len(plan.blocking)
    if blocking:
        return f"❌ **{blocking} mandatory finding(s)** in the head's plan block it (see below)."
    if advisory:
        return f"⚠️ {advisory} advisory finding(s) in the head's plan (see below)."
    return "✅ Every security rule passes on the head's plan."


def _report(plan: EnvironmentPlan, fmt: str) -> str:
    if fmt == "markdown":
        return markdown(plan)
    if fmt == TERRAFORM_PLAN_JSON:
        # Imported here: only this format needs the translation.
        from orchestration.scan.terraform_types import UnmappedType  # noqa: PLC0415
        from orchestration.scan.translate import terraform_plan  # noqa: PLC0415

        try:
            return json.dumps(terraform_plan(plan), indent=2) + "\n"
        except UnmappedType as error:
            raise PlanError(str(error)) from error
    return summary(plan)


def run_graph(
    environment: str,
    *,
    fmt: str = "mermaid",
    project: str | None = None,
    view: str | None = None,
    base: str | None = None,
    out: TextIO | None = None,
    cache_dir: Path | None = CACHE_DIR,
) -> int:
    """Print the environment's pictures (Mermaid, as Markdown; or one `view`, bare) or its
    diagram (DOT) from its offline plan; with `base`, what the change since it does marked."""
    if fmt not in DIAGRAM_FORMATS:
        raise PlanError(f"unknown format {fmt!r}: use one of {', '.join(DIAGRAM_FORMATS)}")
    if view is not None and fmt != "mermaid":
        raise PlanError("--view picks one Mermaid picture: it needs --format mermaid")
    if base is not None and fmt != "mermaid":
        raise PlanError(
            "--base marks the change on the Mermaid pictures: it needs --format mermaid"
        )
    try:
        if base is None:
            plan, diff = make_plan(environment, project=project), None
        else:
            plan, diff = _diff_against(environment, base, project, cache_dir)
        text = render(plan, fmt, view, diff)
    except ValueError as error:
        raise PlanError(str(error)) from error
    print(text, file=out or sys.stdout)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m orchestration.plan`: the plan without invoke (the timing tool runs it too)."""
    parser = argparse.ArgumentParser(prog="python -m orchestration.plan", description=__doc__)
    parser.add_argument("--env", required=True, help="environment to plan")
    parser.add_argument("--project", help="plan this project and the projects it reads from")
    parser.add_argument(
        "--json", dest="json_path", help="write the JSON plan (or diff) here; -: stdout"
    )
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors")
    parser.add_argument("--base", help="show the plan as a diff against this git revision")
    parser.add_argument("--format", dest="fmt", default="text", help="text or markdown")
    parser.add_argument(
        "--fail-on-changes",
        action="store_true",
        help=f"with --base: exit {EXIT_CHANGES} when the plan differs from the base's",
    )
    # For the timing: which pulumi_aws modules did the programs load?
    parser.add_argument("--list-aws-modules", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.fail_on_changes and not args.base:
        parser.error("--fail-on-changes needs --base")
    try:
        if args.base:
            code = run_diff(
                args.env,
                args.base,
                project=args.project,
                json_path=args.json_path,
                fmt=args.fmt,
                fail_on_changes=args.fail_on_changes,
                quiet=args.quiet,
            )
        else:
            code = run_plan(
                args.env,
                project=args.project,
                json_path=args.json_path,
                fmt=args.fmt,
                quiet=args.quiet,
            )
    except PlanError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.list_aws_modules:
        print(json.dumps(loaded_aws_modules()))
    return code


def loaded_aws_modules() -> list[str]:
    """pulumi_aws service packages this process has really loaded (not just lazily imported).

    pulumi_aws registers every service package as a lazy module (a ModuleType subclass until
    its first attribute access); a loaded one is a plain module. Only `__spec__` is read,
    which the lazy modules answer without loading.
    """
    return sorted(
        name
        for name, module in list(sys.modules.items())
        if name.startswith("pulumi_aws.")
        and name.count(".") == 1
        and type(module) is ModuleType
        and module.__spec__ is not None
        and module.__spec__.submodule_search_locations is not None
    )


__all__ = [
    "PlanError",
    "loaded_aws_modules",
    "main",
    "make_plan",
    "run_diff",
    "run_graph",
    "run_plan",
]
