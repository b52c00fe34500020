import sys

from pmo_analytics.cli import main

sys.exit(main())
