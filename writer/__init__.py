"""writer: the private service. PaymentUpdates from Pub/Sub in, one Wix item per payment out."""
