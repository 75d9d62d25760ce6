"""From BuildPlatform's args to validated settings, and from a stack file's values to the args: one
contract, spelt the stack file's way (camelCase keys, enums as their values) for the settings, so
a consumer's mistake gets the stack file's one-line message, before anything is registered.

An arg given as an Output (another resource's id, unknown at preview) becomes a `Pending` in the
settings: every check that can run before registration still runs, with it standing in; when the
Outputs resolve, the args are parsed again with their values, and the first problem fails every
resource that uses one (each consumes the checked value) and the stack's top-level resources (they
depend on the check), before any of them is created, with the stack file's own lines.
"""

import copy
import enum
import inspect
from collections.abc import Mapping
from typing import Any, NotRequired, Required, Union, cast, get_args, get_origin, get_type_hints

import pulumi

from .. import settings
from .args import BuildPlatformArgs

# Schema (camelCase) names whose stack-file key is spelt otherwise.
_STACK_KEYS = {"memoryMib": "memoryMiB"}
_SECRETS = ("kubeconfig", "gitlab_runner_token")
_PROVIDER_KEYS = ("aws_region", "gcp_project", "gcp_region")
_PROVIDER_CONFIG = {"aws_region": "aws:region", "gcp_project": "gcp:project", "gcp_region": "gcp:region"}


def _is_output(value: Any) -> bool:
    """A value known only later: an Output, or anything awaitable the SDK takes as an Input."""
    return isinstance(value, pulumi.Output) or inspect.isawaitable(value)


def _hints(cls: Any) -> dict[str, Any]:
    """A typed dict's field types (pulumi.Input names Output by a forward reference: resolved here)."""
    return get_type_hints(cls, localns=vars(pulumi.output), include_extras=True)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    key = head + "".join(w[:1].upper() + w[1:] for w in rest)
    return _STACK_KEYS.get(key, key)


def _to_stack(value: Any, hint: Any, path: str, unknown: list[str], pending: list[settings.Pending]) -> Any:
    """`value` as a stack file spells it: typed dicts' keys in camelCase, enums as their values, an
    Output as a `Pending` (the settings say where one is not accepted)."""
    if isinstance(value, enum.Enum):
        return value.value
    if _is_output(value):
        late = settings.Pending(path, pulumi.Output.from_input(value))
        pending.append(late)
        return late
    origin = get_origin(hint)
    if origin in (Required, NotRequired, Union):
        inner = [a for a in get_args(hint) if a is not type(None)]
        # (pulumi.Input[str] is a union of three: its values are strings, or Outputs, caught above)
        return _to_stack(value, inner[0], path, unknown, pending) if len(inner) == 1 else value
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
            where = f"{path}.{_camel(key)}" if path else _camel(key)
            out[_camel(key)] = _to_stack(item, hints[key], where, unknown, pending)
        return out
    if origin is list and isinstance(value, (list, tuple)):
        (item_hint,) = get_args(hint)
        return [_to_stack(v, item_hint, f"{path}[{_label(v, i)}]", unknown, pending) for i, v in enumerate(value)]
    return value


def _label(item: Any, index: int) -> str:
    """A list item's label in a key's path: a pool by its name, as the settings name it."""
    name = item.get("name") if isinstance(item, Mapping) else None
    return name if isinstance(name, str) and name else str(index)


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


def stack_config(
    args: Mapping[str, Any],
) -> tuple[dict[str, Any], dict[str, Any], list[str], list[settings.Pending]]:
    """(the `multiarch:` keys as a stack file holds them, the provider and secret values, unknown
    keys, the values given as Outputs) from a consumer's args."""
    unknown: list[str] = []
    pending: list[settings.Pending] = []
    extra = {k: args.get(k) for k in (*_PROVIDER_KEYS, *_SECRETS)}
    contract = {k: v for k, v in args.items() if k not in extra}
    raw = _to_stack(contract, BuildPlatformArgs, "", unknown, pending)
    return raw, extra, unknown, pending


def _parse_options(extra: Mapping[str, Any], unknown: list[str]) -> dict[str, Any]:
    """`settings.parse`'s keyword arguments: the provider keys (known ones only), the secrets (an
    Output's checked when known: `secret_inputs`)."""
    token, kubeconfig = extra["gitlab_runner_token"], extra["kubeconfig"]
    return {
        **{k: extra[k] if isinstance(extra[k], str) else None for k in _PROVIDER_KEYS},
        "kubeconfig": kubeconfig if isinstance(kubeconfig, str) else None,
        "gitlab_runner_token": token if isinstance(token, str) else None,
        "gitlab_runner_token_pending": token is not None and not isinstance(token, str),
        "unknown_keys": unknown,
    }


def settings_from_args(args: Mapping[str, Any], stack: str) -> settings.Settings:
    """Validated settings, or ConfigError with one line per problem, named as in a stack file. A
    secret given as an Output (from `config.require_secret`) is checked when its value is known;
    so is every other arg given as one (`Pending`: see the module's docstring)."""
    raw, extra, unknown, pending = stack_config(args)
    errors = [
        f"{_PROVIDER_CONFIG[k]}: {settings.PENDING_PLAIN}"
        for k in _PROVIDER_KEYS
        if extra[k] is not None and not isinstance(extra[k], str)
    ]
    options = _parse_options(extra, unknown)
    try:
        parsed = settings.parse(raw, stack=stack, **options)
    except settings.ConfigError as exc:
        raise settings.ConfigError(errors + exc.errors) from None
    if errors:
        raise settings.ConfigError(errors)
    if not pending:
        return parsed
    _check_when_resolved(raw, options, pending, stack)
    return parsed.model_copy(update={"pending": tuple(pending)})


def _check_when_resolved(
    raw: dict[str, Any], options: dict[str, Any], pending: list[settings.Pending], stack: str
) -> None:
    """Parse the args again once every Output resolved, with their values; a problem fails each
    Pending's `checked` value with the stack file's lines (a secret value shown as [secret])."""
    given = pulumi.Output.all(*(pulumi.Output.unsecret(p.given) for p in pending))
    secret = pulumi.Output.all(*(pulumi.Output.from_input(cast(Any, p.given.is_secret())) for p in pending))

    def check(resolved: list[Any]) -> bool:
        values, secrets = resolved
        by_id = {id(p): v for p, v in zip(pending, values, strict=True)}
        try:
            settings.parse(_substitute(raw, by_id), stack=stack, **options)
        except settings.ConfigError as exc:
            hidden = [str(v) for v, s in zip(values, secrets, strict=True) if s and v]
            raise settings.ConfigError([_redact(e, hidden) for e in exc.errors]) from None
        return True

    # Not secret (it is only "the check passed"), so each value keeps its own secretness below.
    gate = pulumi.Output.all(given, secret).apply(check)
    for p in pending:
        p.checked = pulumi.Output.all(gate, p.given).apply(lambda both: both[1])


def _substitute(value: Any, by_id: Mapping[int, Any]) -> Any:
    """`value` with every Pending replaced by what it resolved to."""
    if isinstance(value, settings.Pending):
        return by_id[id(value)]
    if isinstance(value, Mapping):
        return {k: _substitute(v, by_id) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_substitute(v, by_id) for v in value]
    return copy.copy(value)


def _redact(line: str, hidden: list[str]) -> str:
    for value in hidden:
        line = line.replace(repr(value), "'[secret]'").replace(value, "[secret]")
    return line


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
