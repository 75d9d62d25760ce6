"""The multiarch CrossGuard policy pack: `pulumi preview --policy-pack policy`.

Only builds the pack; the policies are listed in `policy/policies.py` (importable by tests and the
plan), each family in a module beside it.
"""

import sys
from pathlib import Path

from pulumi_policy import PolicyPack

# The repository root: the policies use the program's own architecture catalog.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from policy import sharing
from policy.policies import ALL, warm_up

sharing.install()  # each resource's properties converted once per request, not once per policy
warm_up()
PolicyPack(name="multiarch-policies", policies=ALL)
