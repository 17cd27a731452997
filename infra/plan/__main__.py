"""`python -m infra.plan --env E`: the offline plan without invoke."""

import sys

from infra.plan.cli import main

sys.exit(main())
