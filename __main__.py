"""multiarch: the stack's configuration -> one BuildPlatform component -> the stack's exports.

The component (`components/platform/`; `pulumi_multiarch.platform` once installed) is what other
programs use too: this stack reads its stack file into the component's args and calls it, so the
two paths cannot drift. This directory is the stack program only: the component provider, the
plugin `pulumi package add` starts, is `provider/`.
"""

import sys

import pulumi
from pulumi.runtime.settings import get_monitor

from components import settings
from components.platform import BuildPlatform, args_from_stack

if get_monitor() is None:  # run as `python .`, not by the engine: say what this directory is
    sys.exit(
        "multiarch: this directory is the stack program (pulumi up --stack <env>); the component provider "
        "is the plugin directory provider/ (pulumi package add <repository>.git/provider@v<version>)"
    )
args = args_from_stack(settings.read_stack())  # every configuration error, one line each, before any resource
platform = BuildPlatform("multiarch", args)
for key, value in platform.exports.items():
    pulumi.export(key, value)
