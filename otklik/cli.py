"""The ``otklik`` console script: a thin wrapper over Django's management commands.

``otklik migrate``, ``otklik runserver`` and our own commands (``deadline``, ``calendar``,
``triage``, ``report``, ``sources``, ``demo``, ``serve``) all go through here.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else argv)
    if args:
        args[0] = "otklik"
    execute_from_command_line(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
