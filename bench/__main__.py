"""Entry point for `python -m bench`.

The import sits under the __main__ guard on purpose: the fan-out load
generators are started with multiprocessing's spawn method, which re-imports
this module in every child as `__mp_main__`; the guard keeps those children
from loading rich and matplotlib or starting a second run.
"""

import sys

if __name__ == "__main__":
    from bench.cli import main

    sys.exit(main())
