"""`python -m orchestration.plan --env E`: the offline plan without invoke."""

import sys

from orchestration.plan.cli import main

sys.exit(main())
