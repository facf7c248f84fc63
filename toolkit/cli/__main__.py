"""`python -m toolkit.cli`: the console script `dict`."""
from toolkit.cli import main

raise SystemExit(main())
