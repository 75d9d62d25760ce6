"""The component provider: `BuildPlatform` for every Pulumi language.

`pulumi package add <repository>.git/provider@v<version>` installs the repository and runs its
plugin directory `provider/` (`PulumiPlugin.yaml`, and `__main__.py`, which calls `main()` in the
virtualenv `provider/venv`), asks for the schema and generates the consumer's SDK (TypeScript, Go,
C#, Java; YAML uses the schema directly). The schema is inferred by the Pulumi SDK's
component analyzer from `BuildPlatform`'s type hints and docstrings (`components.platform`).
The wheel also installs `pulumi-resource-multiarch`, the same provider as an executable plugin.

The analyzer cannot mark a property secret in the schema (pulumi 3.272): the kubeconfig and the
runner token are secrets at run time instead (the component wraps them, and its `kubeconfig`
output, with `Output.secret`), so they never reach state in plaintext whatever the caller passes.

`main()` does what the SDK's `component_provider_host` (pulumi.provider.experimental.host) does,
serve `ComponentProvider(components, name, namespace, version)` with `pulumi.provider.main`, but
with `Provider`, the SDK's ComponentProvider with its enum and integer mapping replaced, for three
reasons:
- 3.272 maps each item of a list of enums (`qemu.platforms`, a pool's `capacityTypes`) as an
  object, so `["arm64"]` reached the component as `[{}]` (tests/package/test_provider.py keeps a
  test that fails once the SDK maps them itself);
- a value outside an enum fails there with "Invalid value arm of type <class 'str'> for enum
  'Arch'", where a stack file gets one line naming the key and what is expected: here the value
  reaches the component, whose validation gives a YAML or TypeScript program the stack file's line;
- 3.272 stores an integer property as the double the wire carries (1.0 for 1), which the settings
  refuse as not a whole number: every YAML or TypeScript program's pool sizes would fail
  (tests/package/test_plugin.py found it over gRPC; test_provider.py keeps a test that fails once
  the SDK converts them itself).
"""

import enum
import sys

from pulumi.errors import InputPropertyError
from pulumi.output import Inputs
from pulumi.provider import main as serve
from pulumi.provider.experimental.analyzer import PropertyDefinition, PropertyType
from pulumi.provider.experimental.component import ComponentProvider

from . import __version__
from .platform import BuildPlatform

NAME = "multiarch"


class Provider(ComponentProvider):
    """The SDK's ComponentProvider, with enums (and lists of them) mapped by the component itself."""

    def _enum(self, prop: PropertyDefinition) -> tuple[type[enum.Enum], bool] | None:
        """(the enum, whether the property is a list of it), for an enum-typed property."""
        ref, is_list = (prop.items, True) if prop.items is not None else (prop, False)
        if ref is None or not ref.ref:
            return None
        type_def = self.get_type_definition(ref)
        return (type_def.python_type, is_list) if type_def is not None and type_def.enum else None

    def map_input_properties(
        self,
        inputs: Inputs,
        properties: dict[str, PropertyDefinition],
        mapping: dict[str, str],
        component_name: str,
        property_path: str,
    ) -> Inputs:
        enums = {n: e for n, p in properties.items() if (e := self._enum(p)) is not None}
        rest = {n: p for n, p in properties.items() if n not in enums}
        given = inputs if isinstance(inputs, dict) else {}
        mapped = dict(
            super().map_input_properties(
                {k: v for k, v in given.items() if k not in enums}, rest, mapping, component_name, property_path
            )
        )
        for name, prop in properties.items():
            # The wire carries every number as a double, and 3.272's ComponentProvider converts an
            # integer property with int() and then stores the double anyway: 1.0 would reach the
            # settings, which refuse it ("1.0 is not a whole number"). A whole double is the int.
            value = mapped.get(mapping[name])
            if prop.type == PropertyType.INTEGER and isinstance(value, float) and value.is_integer():
                mapped[mapping[name]] = int(value)
        for name, (enum_type, is_list) in enums.items():
            value = given.get(name)
            if value is None:
                if not properties[name].optional:
                    path = f"{property_path}.{name}" if property_path else name
                    raise InputPropertyError(path, f"Missing required input '{path}' on '{component_name}'")
                continue
            # A value that is not a member reaches the component as given: its validation names it,
            # with the stack file's message (`multiarch:nodePools[arm64].arch: 'arm' is not ...`).
            members = {m.value: m for m in enum_type}
            if is_list and isinstance(value, list):
                mapped[mapping[name]] = [members.get(v, v) for v in value]
            else:
                mapped[mapping[name]] = members.get(value, value)
        return mapped


def main() -> None:
    """Serve the provider as the Pulumi CLI expects: the port on stdout, then gRPC until stopped."""
    serve(Provider([BuildPlatform], NAME, None, __version__), sys.argv[1:])


if __name__ == "__main__":
    main()
