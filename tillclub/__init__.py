"""The ``tillclub`` console command: one entry point for every part of tillclub."""
