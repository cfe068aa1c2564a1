"""Operator commands for a deployment: `python -m bridge doctor` and `python -m bridge smoke`.

A leaf: it may import ingest, writer, payments and servicekit; nothing imports it.
"""
