"""multiarch: settings -> providers -> components -> exports."""

import pulumi

from components import settings, stack

for key, value in stack.build(settings.load()).items():
    pulumi.export(key, value)
