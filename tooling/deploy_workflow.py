""".github/workflows/deploy.yml, generated from the topology and the environments.

One job per environment and project calls the reusable deploy-stack workflow; a job `needs` the
jobs of its producers (shared/topology.py) in the same environment and every job of the
environments before it, so production starts only after development deployed and verified.
Environments run in their names' order, production ones last. A reviewer sees the same
per-environment approvals as in a hand-written file; a new project or environment is one
`invoke generate` away instead of a job per environment written by hand. Each job assumes its
project's team's deploy role (`shared.naming.deploy_role_name`) in the environment's account.
"""

from __future__ import annotations

from collections.abc import Sequence

from shared.naming import deploy_role_name
from shared.paths import REPO_ROOT
from shared.settings import known_environments, load_settings
from shared.topology import TOPOLOGY, Topology

DEPLOY_WORKFLOW_FILE = REPO_ROOT / ".github" / "workflows" / "deploy.yml"

_HEAD = """\
# Generated from shared/topology.py and shared/environments/ by `invoke generate`; do not edit
# by hand (tooling/deploy_workflow.py holds the template).
#
# Every push to main deploys the projects the pushed change touches: to each environment in
# dependency order, verified, then the same to the next environment; production's GitHub
# environment requires a reviewer's approval. "The change" is everything since the last fully
# successful run of this workflow, so a failed or cancelled run is made good by the next one.
# Run it by hand (workflow_dispatch) to deploy every project, e.g. the first time.
name: deploy

on:
  push:
    branches: [main]
  workflow_dispatch:

permissions: {{}}

defaults:
  run:
    shell: bash

jobs:
  affected:
    name: affected projects
    runs-on: ubuntu-24.04
    timeout-minutes: 10
    permissions:
      contents: read # to check the code out
      actions: read # to find the last successful run of this workflow
    outputs:
{outputs}
    steps:
      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1
        with:
          persist-credentials: false
          fetch-depth: 0
      - uses: actions/setup-python@5fda3b95a4ea91299a34e894583c3862153e4b97 # v7.0.0
        with:
          python-version: "3.11"
      - name: Projects changed since the last successful deploy
        id: affected
        env:
          GH_TOKEN: ${{{{ github.token }}}}
          GH_REPO: ${{{{ github.repository }}}}
          EVENT: ${{{{ github.event_name }}}}
          BEFORE: ${{{{ github.event.before }}}}
        run: |
          base=""
          if [ "$EVENT" = push ]; then
            base=$(gh run list --workflow deploy.yml --branch main --event push --status success \\
              --limit 1 --json headSha --jq '.[0].headSha // empty')
            if [ -z "$base" ] && [ "$BEFORE" != 0000000000000000000000000000000000000000 ]; then
              base="$BEFORE"
            fi
          fi
          python3 -m pip install --quiet uv
          if [ -n "$base" ]; then
            python3 -m uv run --locked invoke affected --base "$base" --head HEAD --json affected.json
          else
            python3 -m uv run --locked invoke affected --all --json affected.json
          fi
          {{
            echo '### Affected projects'
            echo '```'
            jq -r '.environments | to_entries[] | "\\(.key): \\(.value | join(", "))"' affected.json
            echo '```'
          }} | tee -a "$GITHUB_STEP_SUMMARY"
          for env in {environments}; do
            echo "$env=$(jq -c --arg env "$env" '.environments[$env]' affected.json)"
            echo "$env-last=$(jq -r --arg env "$env" '.environments[$env][-1] // ""' affected.json)"
          done >> "$GITHUB_OUTPUT"
"""

_OUTPUT = """\
      {env}: ${{{{ steps.affected.outputs.{env} }}}}
      {env}-last: ${{{{ steps.affected.outputs.{env}-last }}}}
"""

_JOB = """\

  {env}-{project}:
    name: {env} {project}
    needs: [{needs}]
    if: ${{{{ {guard}contains(fromJSON(needs.affected.outputs.{env}), '{project}') }}}}
    permissions:
      contents: read # to check the code out
      id-token: write # an OIDC token to assume the AWS role
    uses: ./.github/workflows/deploy-stack.yml
    with:
      environment: {env}
      project: {project}
      role: {role} # team {team}'s (invoke roles)
      verify: ${{{{ needs.affected.outputs.{env}-last == '{project}' }}}}
    secrets:
      PULUMI_CONFIG_PASSPHRASE: ${{{{ secrets.PULUMI_CONFIG_PASSPHRASE }}}}
"""

# A job that waits for more than `affected` still runs when a job it needs was skipped (its
# project unaffected), but not after a failure or a cancellation.
_AFTER_OTHERS = "!cancelled() && !failure() && "


def deploy_order(environments: Sequence[str]) -> tuple[str, ...]:
    """The environments in the order a change reaches them: production ones last."""
    return tuple(sorted(environments, key=lambda env: (load_settings(env).production, env)))


def render(topology: Topology = TOPOLOGY, environments: Sequence[str] | None = None) -> str:
    """The workflow text for `topology` and `environments` (default: every environment)."""
    envs = deploy_order(known_environments() if environments is None else environments)
    outputs = "".join(_OUTPUT.format(env=env) for env in envs).rstrip("\n")
    text = _HEAD.format(outputs=outputs, environments=" ".join(envs))
    earlier: list[str] = []
    for index, env in enumerate(envs):
        if index:
            approval = " Each job waits for approval." if load_settings(env).production else ""
            text += f"\n  # {env}: after {', '.join(envs[:index])} deployed and verified.{approval}"
        for project in topology.deploy_order():
            producers = [f"{env}-{p}" for p in topology.all_producers(project)]
            needs = ["affected", *earlier, *producers]
            guard = _AFTER_OTHERS if len(needs) > 1 else ""
            team = topology.project(project).team
            text += _JOB.format(
                env=env,
                project=project,
                needs=", ".join(needs),
                guard=guard,
                team=team,
                role=deploy_role_name(load_settings(env), team),
            )
        earlier.extend(f"{env}-{project}" for project in topology.deploy_order())
    return text
