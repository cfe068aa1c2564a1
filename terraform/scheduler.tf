# Replays recent Stripe events through ingest, so a webhook Stripe gave up on (or one lost to a
# bad deploy) still becomes a Wix record. Ingest is public; it accepts this call only with a
# Google-signed token for RECONCILE_AUDIENCE from RECONCILE_SERVICE_ACCOUNT (run.tf).
resource "google_cloud_scheduler_job" "reconcile" {
  name             = "stripe-reconcile"
  region           = var.region
  description      = "POST /tasks/reconcile on ingest: republish recent Stripe events (idempotent)."
  schedule         = var.reconcile_schedule
  time_zone        = var.reconcile_time_zone
  attempt_deadline = "320s"

  retry_config {
    retry_count          = 3
    min_backoff_duration = "30s"
    max_backoff_duration = "300s"
  }

  http_target {
    http_method = "POST"
    uri         = "${google_cloud_run_v2_service.ingest.uri}/tasks/reconcile"
    headers = {
      "Content-Type" = "application/json"
    }
    body = base64encode(jsonencode({ since = var.reconcile_since }))

    oidc_token {
      service_account_email = google_service_account.scheduler.email
      audience              = local.reconcile_audience
    }
  }

  depends_on = [google_project_service.apis]
}
