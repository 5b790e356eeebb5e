"""`python -m bot` runs the `bridgepulse` command."""

import sys

from bot.cli import main

sys.exit(main())
