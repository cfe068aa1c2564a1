resource "google_pubsub_topic" "payments" {
  #checkov:skip=CKV_GCP_83:Google-managed encryption at rest; messages carry payment metadata (ids, amounts, first name), never card data, and are kept at most 7 days. A customer-managed key would add KMS grants to the Pub/Sub agent and an outage mode (disabled key = no webhooks) without a requirement asking for it.
  name = local.topic_name
  # Kept a week after delivery so a subscription can be seeked back after a bad writer release.
  message_retention_duration = "604800s"

  depends_on = [google_project_service.apis]
}

resource "google_pubsub_topic" "dead_letter" {
  #checkov:skip=CKV_GCP_83:Same content and reasoning as the payments topic: Google-managed encryption at rest.
  name       = local.dead_letter_topic_name
  depends_on = [google_project_service.apis]
}

# What `python -m writer redrive` reads. Without a subscription, dead letters would be dropped.
resource "google_pubsub_subscription" "dead_letter" {
  name  = local.dead_letter_subscription_name
  topic = google_pubsub_topic.dead_letter.id

  ack_deadline_seconds       = 60
  message_retention_duration = "1209600s" # 14 days to notice, fix and redrive
  retain_acked_messages      = false

  expiration_policy {
    ttl = "" # never expires, however long nothing is dead-lettered
  }
}

resource "google_pubsub_subscription" "writer_push" {
  name  = local.push_subscription_name
  topic = google_pubsub_topic.payments.id

  # The writer answers within its Wix timeouts; Pub/Sub waits this long before redelivering.
  ack_deadline_seconds       = 60
  message_retention_duration = "604800s"
  # Messages of one payment intent (the ordering key) reach the writer one at a time, in order:
  # read-merge-save then loses no update (design, merge rule 4).
  enable_message_ordering = true

  push_config {
    push_endpoint = "${google_cloud_run_v2_service.writer.uri}/pubsub/push"

    oidc_token {
      service_account_email = google_service_account.push.email
      audience              = local.push_audience
    }
  }

  # Backs off while Wix is rate limiting or down (503 from the writer), instead of hammering it.
  retry_policy {
    minimum_backoff = "10s"
    maximum_backoff = "600s"
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.dead_letter.id
    max_delivery_attempts = var.max_delivery_attempts
  }

  expiration_policy {
    ttl = ""
  }

  depends_on = [
    google_cloud_run_v2_service_iam_member.push_invokes_writer,
    google_service_account_iam_member.pubsub_agent_mints_push_tokens,
  ]
}
