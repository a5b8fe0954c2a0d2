"""retrowalk_sim: a stateful simulated FTMS treadmill, reachable through bleak like a real one.

Start here:
- `retrowalk_sim.bleak_backend`: `SimWorld`, `SimPeripheral`, `SimulatedClient`,
  `SimulatedScanner` (use with `BleakClient(..., backend=SimulatedClient)`).
- `retrowalk_sim.model`: `TreadmillModel` (state, console actions, faults).
- `retrowalk_sim.profiles`: `PROFILES`, `MachineProfile` (the named machines and their quirks).
- `retrowalk_sim.heart_rate`: `HeartRateStrap` (`SimWorld.add_hr_strap`).
Inner modules: world (room, peripherals, links), server (FTMS GATT server half), records,
physics, gatt. The package imports only `retrowalk.ftms` and `retrowalk.errors` of retrowalk.
"""
