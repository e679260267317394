"""The xsell CDK app: stacks per concern, built from the domain's own descriptions.

``infra`` reads the table schemas, the environment contract and the topology from
the ``xsell`` package *as it ships in the core layer* (``layers/core/python``), so
what CDK builds and what the Lambda functions import can never be two different
copies. ``infra`` never imports handler code.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORE_LAYER_PYTHON = ROOT / "layers" / "core" / "python"

if str(CORE_LAYER_PYTHON) not in sys.path:
    sys.path.insert(0, str(CORE_LAYER_PYTHON))

# XSELL_STAGE is a *runtime* variable of the functions. The PynamoDB models read
# their table names at import time and refuse non-local stages without the
# table variables, so a stray XSELL_STAGE=prod in the deployer's shell would
# surface as a confusing MissingEnvironment error. Say what to do instead.
if os.environ.get("XSELL_STAGE", "local") not in ("", "local"):
    raise SystemExit(
        "XSELL_STAGE is set in this shell; it is the functions' runtime variable, not the CDK stage. "
        "Unset it and choose the stage with `npx cdk synth -c xsell:stage=<name>`."
    )
