"""Entry points of the offline plan: `invoke plan` and `python -m orchestration.plan`."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import TextIO

from orchestration.plan.environment import (
    EnvironmentPlan,
    PlanError,
    ProgramEvaluator,
    plan_environment,
)
from orchestration.plan.report import summary, write_json
from shared.settings import EnvironmentSettings, SettingsError, load_settings
from shared.topology import ContractError


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
        return plan_environment(loaded, evaluate_program, projects=[project] if project else None)
    except (SettingsError, ContractError) as error:
        raise PlanError(str(error)) from error


def run_plan(
    environment: str,
    *,
    project: str | None = None,
    json_path: str | None = None,
    quiet: bool = False,
    out: TextIO | None = None,
    settings: EnvironmentSettings | None = None,
    evaluate_program: ProgramEvaluator | None = None,
) -> int:
    """Plan, print the summary, write the JSON plan; 1 on a mandatory violation, else 0.

    Raises PlanError (a message for the user) when the plan cannot be made.
    """
    out = out or sys.stdout
    plan = make_plan(
        environment, project=project, settings=settings, evaluate_program=evaluate_program
    )
    if json_path:
        path = Path(json_path)
        if not path.parent.is_dir():
            raise PlanError(f"cannot write the JSON plan to {path}: {path.parent} does not exist")
        write_json(plan, path)
    if not quiet:
        print(summary(plan), file=out)
        if json_path:
            print(f"\nJSON plan written to {json_path}", file=out)
    if plan.blocking:
        rules = sorted({violation.rule for violation in plan.blocking})
        print(
            f"\nPlan refused: {len(plan.blocking)} mandatory violation(s) of {', '.join(rules)}",
            file=out,
        )
        return 1
    return 0


def run_timing(environment: str, *, runs: int, out: TextIO | None = None) -> int:
    """Measure the plan against importing its pulumi_aws modules; 1 if over the target."""
    out = out or sys.stdout
    from orchestration.plan.timing import TARGET_RATIO, measure  # noqa: PLC0415

    try:
        load_settings(environment)
        timing = measure(environment, runs=runs)
    except (SettingsError, RuntimeError) as error:
        raise PlanError(str(error)) from error
    print(timing.report(), file=out)
    return 0 if timing.ratio <= TARGET_RATIO else 1


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m orchestration.plan`: the plan without invoke (used by the timing runs, too)."""
    parser = argparse.ArgumentParser(prog="python -m orchestration.plan", description=__doc__)
    parser.add_argument("--env", required=True, help="environment to plan")
    parser.add_argument("--project", help="plan this project and the projects it reads from")
    parser.add_argument("--json", dest="json_path", help="write the JSON plan to this path")
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors")
    parser.add_argument("--timing", action="store_true", help="measure the plan's speed")
    parser.add_argument("--runs", type=int, default=5, help="runs per measurement (--timing)")
    # For the timing: which pulumi_aws modules did the programs load?
    parser.add_argument("--list-aws-modules", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        if args.timing:
            return run_timing(args.env, runs=args.runs)
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


__all__ = ["PlanError", "loaded_aws_modules", "main", "make_plan", "run_plan", "run_timing"]
