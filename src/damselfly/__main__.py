"""``python -m damselfly``."""
import sys

from .cli import main

sys.exit(main())
