"""``python -m arpes_sigma.cli`` runs the ``arpes-sigma`` command."""

import sys

from .main import main

sys.exit(main())
