"""Known vulnerabilities: the local database, its importers and the matcher."""
