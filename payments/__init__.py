"""The message contract shared by ingest and writer: payment states, currencies, methods.

Pure: nothing here imports Flask, Stripe, Google or HTTP libraries.
"""
