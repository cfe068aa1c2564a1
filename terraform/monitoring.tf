# Alerts an operator must act on; docs/deploy.md (runbook section) says what to do for each.

# Webhook outcomes, counted from ingest's one JSON log line per webhook (logger ingest.webhook,
# field http_status). Created in the bootstrap step of docs/deploy.md: Cloud Monitoring needs up
# to ten minutes before an alert policy may refer to a new log-based metric.
resource "google_logging_metric" "webhook_requests" {
  name        = "stripe_webhook_requests"
  description = "Stripe webhook requests answered by ingest."
  filter      = "resource.type=\"cloud_run_revision\" AND resource.labels.service_name=\"ingest\" AND jsonPayload.logger=\"ingest.webhook\" AND jsonPayload.http_status>=100"

  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    unit        = "1"
  }

  depends_on = [google_project_service.apis]
}

resource "google_logging_metric" "webhook_errors" {
  name        = "stripe_webhook_errors"
  description = "Stripe webhook requests ingest refused (4xx: bad signature, stale, too large) or failed (5xx: publish failed; Stripe retries)."
  filter      = "resource.type=\"cloud_run_revision\" AND resource.labels.service_name=\"ingest\" AND jsonPayload.logger=\"ingest.webhook\" AND jsonPayload.http_status>=400"

  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    unit        = "1"
  }

  depends_on = [google_project_service.apis]
}

resource "google_monitoring_alert_policy" "dead_letters" {
  display_name          = "Stripe-Wix bridge: payments in the dead-letter subscription"
  combiner              = "OR"
  severity              = "ERROR"
  notification_channels = var.notification_channels

  conditions {
    display_name = "Undelivered messages in ${google_pubsub_subscription.dead_letter.name} > 0"

    condition_threshold {
      filter          = "resource.type=\"pubsub_subscription\" AND resource.labels.subscription_id=\"${google_pubsub_subscription.dead_letter.name}\" AND metric.type=\"pubsub.googleapis.com/subscription/num_undelivered_messages\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "60s"

      aggregations {
        alignment_period   = "60s"
        per_series_aligner = "ALIGN_MAX"
      }
    }
  }

  alert_strategy {
    auto_close = "86400s"
  }

  documentation {
    mime_type = "text/markdown"
    content   = "A payment update could not be written to Wix and was dead-lettered. Read the writer's `dead-letter` log lines for the reason, fix it, then run `python -m writer redrive` (docs/deploy.md, Runbook)."
  }
}

resource "google_monitoring_alert_policy" "oldest_unacked" {
  display_name          = "Stripe-Wix bridge: payment updates waiting for the writer"
  combiner              = "OR"
  severity              = "WARNING"
  notification_channels = var.notification_channels

  conditions {
    display_name = "Oldest unacknowledged message in ${google_pubsub_subscription.writer_push.name} older than ${var.oldest_unacked_alert_seconds}s"

    condition_threshold {
      filter          = "resource.type=\"pubsub_subscription\" AND resource.labels.subscription_id=\"${google_pubsub_subscription.writer_push.name}\" AND metric.type=\"pubsub.googleapis.com/subscription/oldest_unacked_message_age\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.oldest_unacked_alert_seconds
      duration        = "120s"

      aggregations {
        alignment_period   = "60s"
        per_series_aligner = "ALIGN_MAX"
      }
    }
  }

  alert_strategy {
    auto_close = "3600s"
  }

  documentation {
    mime_type = "text/markdown"
    content   = "The writer is not keeping up or keeps answering 503 (Wix down, rate limited, or a wrong Wix key or site). Check the writer's `retry` log lines (docs/deploy.md, Runbook)."
  }
}

resource "google_monitoring_alert_policy" "webhook_errors" {
  display_name          = "Stripe-Wix bridge: Stripe webhook error rate"
  combiner              = "OR"
  severity              = "ERROR"
  notification_channels = var.notification_channels

  conditions {
    display_name = "More than ${var.webhook_error_ratio * 100}% of webhooks answered 4xx/5xx for 10 minutes"

    condition_threshold {
      filter             = "resource.type=\"cloud_run_revision\" AND metric.type=\"logging.googleapis.com/user/${google_logging_metric.webhook_errors.name}\""
      denominator_filter = "resource.type=\"cloud_run_revision\" AND metric.type=\"logging.googleapis.com/user/${google_logging_metric.webhook_requests.name}\""
      comparison         = "COMPARISON_GT"
      threshold_value    = var.webhook_error_ratio
      duration           = "600s"

      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_DELTA"
        cross_series_reducer = "REDUCE_SUM"
      }

      denominator_aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_DELTA"
        cross_series_reducer = "REDUCE_SUM"
      }
    }
  }

  alert_strategy {
    auto_close = "3600s"
  }

  documentation {
    mime_type = "text/markdown"
    content   = "Stripe webhooks are failing. 400 `rejected` lines: the signing secret does not match (a rotation half done?). 503 lines: publishing to Pub/Sub fails. Stripe retries for three days; fix, then check with `python -m ingest reconcile --since 24h` (docs/deploy.md, Runbook)."
  }
}

# Failed payments, counted from the writer's one JSON log line per applied message (logger
# writer.push, field status: the record's status after the merge). A burst of declines is what
# card testing looks like from here (docs/security.md, Card testing); a decline usually arrives
# as two events (charge.failed, payment_intent.payment_failed), so one decline counts about twice.
resource "google_logging_metric" "failed_payments" {
  name        = "stripe_failed_payments"
  description = "Payment updates the writer recorded with status failed (declines, failed bank debits)."
  filter      = "resource.type=\"cloud_run_revision\" AND resource.labels.service_name=\"writer\" AND jsonPayload.logger=\"writer.push\" AND jsonPayload.status=\"failed\""

  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    unit        = "1"
  }

  depends_on = [google_project_service.apis]
}

resource "google_monitoring_alert_policy" "failed_payments" {
  display_name          = "Stripe-Wix bridge: spike of failed payments (card testing?)"
  combiner              = "OR"
  severity              = "WARNING"
  notification_channels = var.notification_channels

  conditions {
    display_name = "More than ${var.failed_payments_alert_threshold} failed payment updates in 10 minutes"

    condition_threshold {
      filter          = "resource.type=\"cloud_run_revision\" AND metric.type=\"logging.googleapis.com/user/${google_logging_metric.failed_payments.name}\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.failed_payments_alert_threshold
      duration        = "0s"

      aggregations {
        alignment_period     = "600s"
        per_series_aligner   = "ALIGN_DELTA"
        cross_series_reducer = "REDUCE_SUM"
      }
    }
  }

  alert_strategy {
    auto_close = "3600s"
  }

  documentation {
    mime_type = "text/markdown"
    content   = "Many payments are failing at once. Look at Stripe's Dashboard (Payments, filter Failed): many small declines from new Customers, different cards, similar amounts is card testing. Turn on the bot check (BOT_CHECK), lower CREATIONS_PER_MINUTE, and enable the Radar rules in docs/security.md (Card testing)."
  }
}
