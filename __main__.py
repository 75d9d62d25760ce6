"""multiarch: settings -> providers -> components -> exports."""

import pulumi

from components import settings, stack

outputs = stack.build(settings.load())
for key, value in outputs.values.items():
    pulumi.export(key, value)
