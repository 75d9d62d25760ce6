"""multiarch: the stack's configuration -> one BuildPlatform component -> the stack's exports.

The component (`components/platform/`; `pulumi_multiarch.platform` once installed) is what other
programs use too: this stack reads its stack file into the component's args and calls it, so the
two paths cannot drift.
"""

import pulumi

from components import settings
from components.platform import BuildPlatform, args_from_stack

args = args_from_stack(settings.read_stack())  # every configuration error, one line each, before any resource
platform = BuildPlatform("multiarch", args)
for key, value in platform.exports.items():
    pulumi.export(key, value)
