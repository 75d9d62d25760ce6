"""`BuildPlatform`: the whole multiarch stack as one component, for any Pulumi program.

`BuildPlatformArgs` is the stack-file contract as typed args: the same keys (snake_case here,
camelCase in the schema and the other languages, as in a stack file), validated by the same
settings code with the same one-line messages, before anything is registered. The stack's own
`__main__.py` reads its configuration into these args and calls the component: one path.

The types below are read twice: by Python's type checkers, and by the Pulumi SDK's component
analyzer (`pulumi.provider.experimental`), which infers the provider schema for the other
languages from the annotations and the docstrings under each field. So: no `from __future__
import annotations` here, enums for the closed vocabularies, TypedDicts for the nested objects.

`enums.py` holds the vocabularies, `args.py` the args, `convert.py` the path from args (or a stack
file's values) to the settings, and `component.py` the component and its outputs.
"""

from .args import (
    AutoscalingArgs,
    BuildPlatformArgs,
    BuildResourcesArgs,
    ClusterArgs,
    EfsArgs,
    EfsStorageClassArgs,
    FilestoreArgs,
    FilestoreStorageClassArgs,
    GitLabRunnerArgs,
    KarpenterArgs,
    LimitsArgs,
    NodeCapacityArgs,
    NodePoolArgs,
    PipelinesArgs,
    QemuArgs,
    QuotasArgs,
    RangeArgs,
    RetentionArgs,
    StorageArgs,
    SystemPoolArgs,
    TaintArgs,
)
from .component import TYPE, BuildPlatform, CostOutput, PoolOutput
from .convert import args_from_stack, secret_inputs, settings_from_args, stack_config
from .enums import Arch, CapacityType, Engine, Platform, TaintEffect

__all__ = [
    "TYPE",
    "Arch",
    "AutoscalingArgs",
    "BuildPlatform",
    "BuildPlatformArgs",
    "BuildResourcesArgs",
    "CapacityType",
    "ClusterArgs",
    "CostOutput",
    "EfsArgs",
    "EfsStorageClassArgs",
    "Engine",
    "FilestoreArgs",
    "FilestoreStorageClassArgs",
    "GitLabRunnerArgs",
    "KarpenterArgs",
    "LimitsArgs",
    "NodeCapacityArgs",
    "NodePoolArgs",
    "PipelinesArgs",
    "Platform",
    "PoolOutput",
    "QemuArgs",
    "QuotasArgs",
    "RangeArgs",
    "RetentionArgs",
    "StorageArgs",
    "SystemPoolArgs",
    "TaintArgs",
    "TaintEffect",
    "args_from_stack",
    "secret_inputs",
    "settings_from_args",
    "stack_config",
]
