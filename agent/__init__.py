"""The tillclub edge agent: runs beside the POS on each till (see ``agent/README.md``)."""
