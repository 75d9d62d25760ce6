"""From BuildPlatform's args to validated settings, and from a stack file's values to the args: one
contract, spelt the stack file's way (camelCase keys, enums as their values) for the settings, so
a consumer's mistake gets the stack file's one-line message, before anything is registered."""

import enum
from collections.abc import Mapping
from typing import Any, NotRequired, Required, Union, get_args, get_origin, get_type_hints

import pulumi

from .. import settings
from .args import BuildPlatformArgs

# Schema (camelCase) names whose stack-file key is spelt otherwise.
_STACK_KEYS = {"memoryMib": "memoryMiB"}
_SECRETS = ("kubeconfig", "gitlab_runner_token")
_PROVIDER_KEYS = ("aws_region", "gcp_project", "gcp_region")


def _hints(cls: Any) -> dict[str, Any]:
    """A typed dict's field types (pulumi.Input names Output by a forward reference: resolved here)."""
    return get_type_hints(cls, localns=vars(pulumi.output), include_extras=True)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    key = head + "".join(w[:1].upper() + w[1:] for w in rest)
    return _STACK_KEYS.get(key, key)


def _to_stack(value: Any, hint: Any, path: str, unknown: list[str]) -> Any:
    """`value` as a stack file spells it: typed dicts' keys in camelCase, enums as their values."""
    if isinstance(value, enum.Enum):
        return value.value
    origin = get_origin(hint)
    if origin in (Required, NotRequired, Union):
        inner = [a for a in get_args(hint) if a is not type(None)]
        return _to_stack(value, inner[0], path, unknown) if len(inner) == 1 else value
    if isinstance(hint, type) and hasattr(hint, "__annotations__") and hasattr(hint, "__total__"):
        if not isinstance(value, Mapping):
            return value  # the settings say what was expected
        hints = _hints(hint)
        out = {}
        for given, item in value.items():
            if item is None:
                continue  # not given (as the provider passes an unset optional arg): the default applies
            # A Python consumer may also use the stack file's camelCase spelling.
            key = given if given in hints else next((k for k in hints if _camel(k) == given), None)
            if key is None:
                # Not in the contract: at the top, a key the settings report as unknown; below,
                # kept as it is, for the settings to refuse it as they refuse it in a stack file.
                if path:
                    out[given] = item
                else:
                    unknown.append(str(given))
                continue
            out[_camel(key)] = _to_stack(item, hints[key], f"{path}.{_camel(key)}" if path else _camel(key), unknown)
        return out
    if origin is list and isinstance(value, (list, tuple)):
        (item_hint,) = get_args(hint)
        return [_to_stack(v, item_hint, f"{path}[{i}]", unknown) for i, v in enumerate(value)]
    return value


def _from_stack(value: Any, hint: Any) -> Any:
    """A stack file's value in the args' spelling (snake_case keys of the typed dicts); a key the
    contract does not know is kept as it is, for the settings to name it."""
    origin = get_origin(hint)
    if origin in (Required, NotRequired, Union):
        inner = [a for a in get_args(hint) if a is not type(None)]
        return _from_stack(value, inner[0]) if len(inner) == 1 else value
    if isinstance(hint, type) and hasattr(hint, "__annotations__") and hasattr(hint, "__total__"):
        if not isinstance(value, Mapping):
            return value
        hints = _hints(hint)
        by_key = {_camel(k): k for k in hints}
        return {by_key.get(k, k): _from_stack(v, hints[by_key[k]]) if k in by_key else v for k, v in value.items()}
    if origin is list and isinstance(value, (list, tuple)):
        (item_hint,) = get_args(hint)
        return [_from_stack(v, item_hint) for v in value]
    return value


def args_from_stack(values: settings.StackValues) -> BuildPlatformArgs:
    """A stack file's `multiarch:` keys (and its provider and secret values) as BuildPlatform's args."""
    raw = values.contract
    args = _from_stack({k: v for k, v in raw.items() if v is not None}, BuildPlatformArgs)
    extra = {
        "aws_region": values.aws_region, "gcp_project": values.gcp_project, "gcp_region": values.gcp_region,
        "kubeconfig": values.kubeconfig, "gitlab_runner_token": values.gitlab_runner_token,
    }  # fmt: skip
    return {**args, **{k: v for k, v in extra.items() if v is not None}}  # type: ignore[typeddict-item]


def stack_config(args: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """(the `multiarch:` keys as a stack file holds them, the provider and secret values, unknown
    keys) from a consumer's args."""
    unknown: list[str] = []
    extra = {k: args.get(k) for k in (*_PROVIDER_KEYS, *_SECRETS)}
    contract = {k: v for k, v in args.items() if k not in extra}
    raw = _to_stack(contract, BuildPlatformArgs, "", unknown)
    return raw, extra, unknown


def settings_from_args(args: Mapping[str, Any], stack: str) -> Any:
    """Validated settings, or ConfigError with one line per problem, named as in a stack file. A
    secret given as an Output (from `config.require_secret`) is checked when its value is known."""
    raw, extra, unknown = stack_config(args)
    token, kubeconfig = extra["gitlab_runner_token"], extra["kubeconfig"]
    return settings.parse(
        raw,
        stack=stack,
        aws_region=extra["aws_region"],
        gcp_project=extra["gcp_project"],
        gcp_region=extra["gcp_region"],
        kubeconfig=kubeconfig if isinstance(kubeconfig, str) else None,
        gitlab_runner_token=token if isinstance(token, str) else None,
        gitlab_runner_token_pending=token is not None and not isinstance(token, str),
        unknown_keys=unknown,
    )


def secret_inputs(args: Mapping[str, Any]) -> dict[str, Any]:
    """The secrets given as Outputs, each wrapped as a secret, the token checked when known."""
    out: dict[str, Any] = {}
    kubeconfig, token = args.get("kubeconfig"), args.get("gitlab_runner_token")
    if kubeconfig is not None and not isinstance(kubeconfig, str):
        out["kubeconfig"] = pulumi.Output.secret(kubeconfig)
    if token is not None and not isinstance(token, str):

        def checked(value: str) -> str:
            problem = settings.runner_token_problem(value)
            if problem:
                raise settings.ConfigError([problem])
            return value

        out["gitlab_runner_token"] = pulumi.Output.secret(pulumi.Output.from_input(token).apply(checked))
    return out
