"""Allow `python -m kerjasama_cli`."""

from kerjasama_cli.cli import main

main()
