"""The component provider's entry point (`PulumiPlugin.yaml` names it): `components.provider`.

The repository's root `__main__.py` is the stack program; this one serves `BuildPlatform` to other
Pulumi programs (`pulumi package add`). It runs from a checkout, so the package is imported from
the repository beside it.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from components.provider import main

if __name__ == "__main__":
    main()
