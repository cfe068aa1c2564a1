"""Load and fault harnesses on the local stack: `make bench`, `make fault-run`."""
