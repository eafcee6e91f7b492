"""Command modules of the ``wildwatch`` command line, registered in `wildwatch.cli`."""
