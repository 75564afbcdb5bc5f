"""One module per ``tillclub`` subcommand (group); each exports ``command``."""
