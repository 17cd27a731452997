"""Entry points of the offline plan: `invoke plan` and `python -m orchestration.plan`."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import TextIO

from orchestration.plan.diagram import FORMATS as DIAGRAM_FORMATS
from orchestration.plan.diagram import render
from orchestration.plan.environment import (
    EnvironmentPlan,
    PlanError,
    ProgramEvaluator,
    plan_environment,
)
from orchestration.plan.markdown import github_annotations, markdown
from orchestration.plan.report import summary, to_json
from shared.output_target import OutputTargetError, parse_optional
from shared.paths import PROJECTS_DIR
from shared.settings import EnvironmentSettings, SettingsError, load_settings
from shared.topology import TOPOLOGY, ContractError

# terraform-plan-json: the plan as Terraform plan JSON, for Checkov (`invoke scan`) and other
# scanners that read Terraform plans (orchestration/scan/translate.py).
TERRAFORM_PLAN_JSON = "terraform-plan-json"
REPORT_FORMATS = ("text", "markdown", TERRAFORM_PLAN_JSON)


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
    # `--json` and `--output` follow every task's rule (shared.output_target): a path, or - for
    # standard output; checked before planning.
    try:
        json_target = parse_optional(json_path, "JSON plan")
        report_target = parse_optional(output, f"{fmt} plan")
    except OutputTargetError as error:
        raise PlanError(str(error)) from None
    plan = make_plan(
        environment, project=project, settings=settings, evaluate_program=evaluate_program
    )
    report = _report(plan, fmt)
    if json_target:
        json_target.write(json.dumps(to_json(plan), indent=2), out)
    if report_target:
        report_target.write(report, out)
    # Machine-readable text on stdout stays parseable: the notes go to stderr.
    on_stdout = (json_target is not None and json_target.is_stdout) or (
        fmt == TERRAFORM_PLAN_JSON and report_target is None
    )
    if not quiet:
        what = "Terraform plan JSON" if fmt == TERRAFORM_PLAN_JSON else f"{fmt.capitalize()} plan"
        notes = sys.stderr if on_stdout else out
        if report_target is None:
            print(report, file=notes if json_target and json_target.is_stdout else out)
        elif not report_target.is_stdout:
            print(f"{what} written to {report_target.describe()}", file=notes)
        if json_target and not json_target.is_stdout:
            print(f"\nJSON plan written to {json_target.describe()}", file=notes)
    if on_stdout:
        out = sys.stderr
    if annotate:
        for command in github_annotations(plan):
            print(command, file=out)
    if plan.blocking:
        rules = sorted({violation.rule for violation in plan.blocking})
        print(
            f"\nPlan refused: {len(plan.blocking)} mandatory violation(s) of {', '.join(rules)}",
            file=out,
        )
        return 1
    return 0


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
    out: TextIO | None = None,
) -> int:
    """Print the environment's diagram (Mermaid or DOT) from its offline plan."""
    if fmt not in DIAGRAM_FORMATS:
        raise PlanError(f"unknown format {fmt!r}: use one of {', '.join(DIAGRAM_FORMATS)}")
    print(render(make_plan(environment, project=project), fmt), file=out or sys.stdout)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m orchestration.plan`: the plan without invoke (the timing tool runs it too)."""
    parser = argparse.ArgumentParser(prog="python -m orchestration.plan", description=__doc__)
    parser.add_argument("--env", required=True, help="environment to plan")
    parser.add_argument("--project", help="plan this project and the projects it reads from")
    parser.add_argument("--json", dest="json_path", help="write the JSON plan to this path")
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors")
    # For the timing: which pulumi_aws modules did the programs load?
    parser.add_argument("--list-aws-modules", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        code = run_plan(args.env, project=args.project, json_path=args.json_path, quiet=args.quiet)
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
    "run_graph",
    "run_plan",
]
