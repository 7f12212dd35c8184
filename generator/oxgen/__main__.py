"""`python -m oxgen`: the same command line as `oxgen`."""

from oxgen.cli import main

main()
