"""`orchestration/roles/service_authorization.json`: the Reference's facts for our actions.

parliament (the IAM linter `invoke test` runs on every generated policy) ships AWS's Service
Authorization Reference as data; this keeps the part the role policies need, so the product
reads it without the linter and a reviewer sees in the diff when AWS's facts change.
"""

from __future__ import annotations

import gc
import json
import warnings
from typing import Any

from orchestration.roles.policy import every_action


def _definition() -> list[dict[str, Any]]:
    # parliament loads its data through pkg_resources, which warns of its own deprecation, and
    # leaves its data files open: collected here, their warnings stay inside this block.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import parliament  # noqa: PLC0415

        gc.collect()

    definition: list[dict[str, Any]] = parliament.iam_definition
    return definition


def render() -> str:
    """The extract for every action the role policies may write; ValueError for an unknown one."""
    privileges: dict[str, tuple[str, dict[str, Any]]] = {}
    arns: dict[str, dict[str, Any]] = {}
    for service in _definition():
        prefix = service["prefix"]
        for privilege in service["privileges"]:
            privileges[f"{prefix}:{privilege['privilege']}".lower()] = (prefix, privilege)
        for resource in service["resources"]:
            arns[f"{prefix}:{resource['resource']}"] = {
                "arn": resource["arn"],
                "conditions": sorted(resource["condition_keys"]),
            }
    actions: dict[str, Any] = {}
    resources: dict[str, dict[str, Any]] = {}
    for action in sorted(every_action()):
        found = privileges.get(action.lower())
        if found is None:
            raise ValueError(f"{action} is not an action of the Service Authorization Reference")
        prefix, privilege = found
        rows = []
        for row in privilege["resource_types"]:
            name = row["resource_type"]
            bare = name.rstrip("*")
            rows.append(
                {
                    "type": bare,
                    "required": name.endswith("*"),
                    "conditions": sorted(row["condition_keys"]),
                }
            )
            if bare:
                resources[f"{prefix}:{bare}"] = arns[f"{prefix}:{bare}"]
        actions[action] = {"access": privilege["access_level"], "resources": rows}
    document = {
        "source": "AWS Service Authorization Reference, as shipped by parliament",
        "actions": actions,
        "resources": dict(sorted(resources.items())),
    }
    return json.dumps(document, indent=1, sort_keys=False) + "\n"
