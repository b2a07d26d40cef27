#!/usr/bin/env python
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    from config.keys import MissingKeysError

    try:
        execute_from_command_line(sys.argv)
    except MissingKeysError as exc:
        sys.exit(str(exc))  # the message says how to make the keys; a traceback would only bury it


if __name__ == "__main__":
    main()
