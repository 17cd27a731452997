"""TEST-ONLY stand-in AWS provider: install it into a PULUMI_HOME where the engine will find it.

Discovery rule of the Pulumi engine v3.260 (sdk/go/common/workspace/plugins.go,
`getPluginInfoAndPath`), for a resource plugin `aws` at version 7.51.1, in this order:
1. a plugin of that kind and name listed under `plugins:` in the project's Pulumi.yaml;
2. `pulumi-resource-aws` on $PATH (unless PULUMI_IGNORE_AMBIENT_PLUGINS is set);
3. the plugin cache: `$PULUMI_HOME/plugins/resource-aws-v7.51.1/` (directory name
   `<kind>-<name>-v<version>`, exact version match), without a `<dir>.partial` marker beside it,
   holding an executable named `pulumi-resource-aws`.
We use (3): the wrapper lives only in a PULUMI_HOME the tests created, so nothing on the user's
machine changes, and the fixtures check that (2) cannot shadow it.
"""

from __future__ import annotations

import os
import shlex
import stat
import sys
from pathlib import Path

from tests.engine.standin_aws import PLUGIN_NAME, PLUGIN_VERSION
from tests.engine.standin_aws.launch import DAEMON_ENV

# The repository root: the stand-in runs as `tests.engine.standin_aws`, as the tests import it.
REPO_ROOT = Path(__file__).resolve().parents[3]
EXECUTABLE = f"pulumi-resource-{PLUGIN_NAME}"


def plugin_dir(pulumi_home: Path) -> Path:
    return Path(pulumi_home) / "plugins" / f"resource-{PLUGIN_NAME}-v{PLUGIN_VERSION}"


def install(pulumi_home: Path, *, python: str = sys.executable, daemon: Path | None = None) -> Path:
    """Write the `pulumi-resource-aws` wrapper into `pulumi_home`'s plugin cache; return its path.

    `python` must be an interpreter with the `pulumi` SDK (for the gRPC stubs) installed;
    `daemon`: the socket of a running daemon.py, which then serves every provider started.
    """
    target_dir = plugin_dir(pulumi_home)
    target_dir.mkdir(parents=True, exist_ok=True)
    partial = target_dir.with_name(target_dir.name + ".partial")
    partial.unlink(missing_ok=True)
    wrapper = target_dir / EXECUTABLE
    python_q = shlex.quote(os.path.abspath(python))
    launcher = shlex.quote(str(Path(__file__).with_name("launch.py")))
    # With a daemon (daemon.py): a provider of its own without a new interpreter's imports.
    started = (
        f'{DAEMON_ENV}={shlex.quote(str(daemon))} exec {python_q} -S {launcher} "$@"\n'
        if daemon is not None
        else ""
    )
    wrapper.write_text(
        "#!/bin/sh\n"
        "# TEST-ONLY stand-in for the AWS provider plugin (tests/engine/standin_aws).\n"
        "# Installed by the engine test fixtures into a temporary PULUMI_HOME; never deployed.\n"
        f"{started}"
        f"PYTHONPATH={shlex.quote(str(REPO_ROOT))}${{PYTHONPATH:+:$PYTHONPATH}}\n"
        "export PYTHONPATH\n"
        f'exec {python_q} -m tests.engine.standin_aws "$@"\n'
    )
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return wrapper
