"""Plumbing both services share: JSON logs, settings from the environment, serving, Pub/Sub."""
