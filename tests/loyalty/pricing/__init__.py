"""Tests of the pricing engine and the campaign file format."""
