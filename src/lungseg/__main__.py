"""``python -m lungseg``."""

import sys

from lungseg.cli import main

sys.exit(main())
