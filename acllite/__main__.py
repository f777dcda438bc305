"""``python -m acllite``: the ``acllite`` command."""

import sys

from .tools.cli import main

sys.exit(main())
