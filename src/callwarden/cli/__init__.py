"""Command-line interface (Typer + Rich), thin over the domain packages."""
