"""`python -m runner` is `stax`."""

import sys

from runner.cli.main import main

sys.exit(main())
