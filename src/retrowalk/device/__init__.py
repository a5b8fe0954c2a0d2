"""Device layer: FTMS treadmills and heart-rate straps over bleak."""
