"""Running Partsemble for real: private files, the env file, backups and `partsemble doctor`."""
