"""retrowalk_sim: a stateful simulated FTMS treadmill, reachable through bleak like a real one."""
