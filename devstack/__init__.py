"""The local stack: Pub/Sub emulator, a Wix Data stand-in, ingest and writer, on one machine."""
