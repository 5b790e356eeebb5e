"""`python -m server` runs the `bridgepulse` command."""

import sys

from server.cli import main

sys.exit(main())
