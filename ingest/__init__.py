"""ingest: the public service. Stripe webhooks and the Wix page's calls in, PaymentUpdates out."""
