"""``python -m raremin`` runs the ``raremin`` command."""

import sys

from .cli import main

sys.exit(main())
