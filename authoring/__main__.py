"""`python -m authoring` runs the `microcred` command."""

from .cli import main

main()
