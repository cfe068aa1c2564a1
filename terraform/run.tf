# Both services run the same image (Dockerfile): its CMD serves ingest; writer overrides `args`.
# Cloud Build deploys new images with `gcloud run services update --image`, so Terraform sets the
# image only when it creates a service and ignores it afterwards (no rollback on the next apply).

resource "google_cloud_run_v2_service" "ingest" {
  name     = "ingest"
  location = var.region
  # Public by design: Stripe and the Wix page call it without Google credentials. Every endpoint
  # authenticates its caller itself: the Stripe signature, CORS plus the catalog, and an OIDC
  # token from the scheduler account on /tasks/reconcile (RECONCILE_AUDIENCE and
  # RECONCILE_SERVICE_ACCOUNT below). invoker_iam_disabled (rather than an
  # allUsers binding) also works where an organization policy forbids allUsers.
  ingress              = "INGRESS_TRAFFIC_ALL"
  invoker_iam_disabled = true
  deletion_protection  = var.deletion_protection

  template {
    service_account                  = google_service_account.ingest.email
    timeout                          = "300s" # the scheduled reconcile is the longest request
    max_instance_request_concurrency = local.container_concurrency

    scaling {
      min_instance_count = var.ingest_min_instances
      max_instance_count = var.ingest_max_instances
    }

    containers {
      image = var.image

      ports {
        container_port = 8080
      }

      resources {
        limits = {
          cpu    = "1"
          memory = "512Mi"
        }
        cpu_idle          = true
        startup_cpu_boost = true
      }

      env {
        name  = "GOOGLE_CLOUD_PROJECT"
        value = var.project_id
      }
      env {
        name  = "PUBSUB_TOPIC"
        value = google_pubsub_topic.payments.name
      }
      env {
        name  = "ALLOWED_ORIGINS"
        value = join(",", var.allowed_origins)
      }
      env {
        name  = "CATALOG"
        value = var.catalog
      }
      env {
        name  = "RECONCILE_AUDIENCE"
        value = local.reconcile_audience
      }
      # ingest's own payment page and Apple Pay's file, for checkout_domain (empty: both off).
      env {
        name  = "STRIPE_PUBLISHABLE_KEY"
        value = var.stripe_publishable_key
      }
      env {
        name  = "APPLE_PAY_DOMAIN_ASSOCIATION"
        value = var.apple_pay_domain_association
      }
      env {
        name  = "RECONCILE_SERVICE_ACCOUNT"
        value = google_service_account.scheduler.email
      }
      env {
        name = "STRIPE_SECRET_KEY"
        value_source {
          secret_key_ref {
            secret  = google_secret_manager_secret.stripe_secret_key.secret_id
            version = "latest"
          }
        }
      }
      # Not a secret_key_ref: ingest reads every ENABLED version of this secret itself, re-read
      # every 5 minutes, so a signing-secret rotation needs no redeploy and disabling the old
      # version revokes it everywhere (ingest/webhook_secrets.py, docs/deploy.md).
      env {
        name  = "STRIPE_WEBHOOK_SECRET_ID"
        value = google_secret_manager_secret.stripe_webhook_secret.id
      }

      startup_probe {
        http_get {
          path = "/healthz"
          port = 8080
        }
        initial_delay_seconds = 0
        period_seconds        = 2
        timeout_seconds       = 2
        failure_threshold     = 15
      }

      liveness_probe {
        http_get {
          path = "/healthz"
          port = 8080
        }
        period_seconds    = 30
        timeout_seconds   = 5
        failure_threshold = 3
      }
    }
  }

  traffic {
    type    = "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST"
    percent = 100
  }

  lifecycle {
    ignore_changes = [
      client,
      client_version,
      template[0].containers[0].image,
    ]
  }

  # A revision whose account cannot read its secrets never becomes ready.
  depends_on = [
    google_secret_manager_secret_iam_member.ingest_reads_stripe_secret_key,
    google_secret_manager_secret_iam_member.ingest_reads_stripe_webhook_secret,
    google_secret_manager_secret_iam_member.ingest_lists_stripe_webhook_secret_versions,
    google_pubsub_topic_iam_member.ingest_publishes_payments,
  ]
}

resource "google_cloud_run_v2_service" "writer" {
  name     = "writer"
  location = var.region
  # Private: only Pub/Sub (an internal source in the same project) reaches it, and only requests
  # carrying the push account's token pass Cloud Run's IAM check (roles/run.invoker, iam.tf).
  ingress             = "INGRESS_TRAFFIC_INTERNAL_ONLY"
  deletion_protection = var.deletion_protection
  # Pub/Sub signs push tokens for this audience; Cloud Run accepts it besides the service URL.
  custom_audiences = [local.push_audience]

  template {
    service_account = google_service_account.writer.email
    # Equal to the push subscription's ack deadline: past it Pub/Sub redelivers anyway.
    timeout                          = "60s"
    max_instance_request_concurrency = local.writer_concurrency

    scaling {
      min_instance_count = 0
      max_instance_count = var.writer_max_instances
    }

    containers {
      image = var.image
      # The image's ENTRYPOINT is gunicorn with the shared config; this picks the writer's app.
      args = ["writer.app:create_app_from_env()"]

      ports {
        container_port = 8080
      }

      resources {
        limits = {
          cpu    = "1"
          memory = "512Mi"
        }
        cpu_idle          = true
        startup_cpu_boost = true
      }

      env {
        name  = "GOOGLE_CLOUD_PROJECT"
        value = var.project_id
      }
      env {
        name  = "PUBSUB_TOPIC"
        value = google_pubsub_topic.payments.name
      }
      env {
        name  = "PUBSUB_DEAD_LETTER_TOPIC"
        value = google_pubsub_topic.dead_letter.name
      }
      env {
        name  = "PUBSUB_DEAD_LETTER_SUBSCRIPTION"
        value = google_pubsub_subscription.dead_letter.name
      }
      env {
        name  = "WIX_SITE_ID"
        value = var.wix_site_id
      }
      env {
        name  = "WIX_COLLECTION_ID"
        value = var.wix_collection_id
      }
      env {
        name  = "PUSH_AUDIENCE"
        value = local.push_audience
      }
      env {
        name  = "PUSH_SERVICE_ACCOUNT"
        value = google_service_account.push.email
      }
      env {
        name  = "GUNICORN_THREADS"
        value = tostring(local.writer_threads)
      }
      # This instance's share of the site's Wix quota: the writer's site-wide budget divided by the
      # most instances that may run at once, so that together they never exceed it.
      env {
        name  = "WIX_READS_PER_MINUTE"
        value = tostring(floor(var.wix_site_reads_per_minute / var.writer_max_instances))
      }
      env {
        name  = "WIX_WRITES_PER_MINUTE"
        value = tostring(floor(var.wix_site_writes_per_minute / var.writer_max_instances))
      }
      env {
        name = "WIX_API_KEY"
        value_source {
          secret_key_ref {
            secret  = google_secret_manager_secret.wix_api_key.secret_id
            version = "latest"
          }
        }
      }

      startup_probe {
        http_get {
          path = "/healthz"
          port = 8080
        }
        initial_delay_seconds = 0
        period_seconds        = 2
        timeout_seconds       = 2
        failure_threshold     = 15
      }

      liveness_probe {
        http_get {
          path = "/healthz"
          port = 8080
        }
        period_seconds    = 30
        timeout_seconds   = 5
        failure_threshold = 3
      }
    }
  }

  traffic {
    type    = "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST"
    percent = 100
  }

  lifecycle {
    ignore_changes = [
      client,
      client_version,
      template[0].containers[0].image,
    ]
  }

  depends_on = [
    google_secret_manager_secret_iam_member.writer_reads_wix_api_key,
    google_pubsub_topic_iam_member.writer_publishes_dead_letters,
  ]
}
