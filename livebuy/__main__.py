"""``python -m livebuy``: the same as the ``livebuy`` command."""

from livebuy.cli import main

main()
