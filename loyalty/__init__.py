"""The pure loyalty core: money, member codes, pricing, rewards. No I/O, no clock, no RNG."""
