"""Bluetooth Fitness Machine Service protocol: bytes to typed records and back, no I/O."""
