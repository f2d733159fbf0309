import sys

from daskprs.cli import main

sys.exit(main())
