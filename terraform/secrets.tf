# The secrets exist here; their values never do. Each value is added out of band as a secret
# version (`gcloud secrets versions add ... --data-file=-`, docs/deploy.md), so it is in neither
# this code nor the Terraform state. Each secret is readable by the one service that uses it.

resource "google_secret_manager_secret" "stripe_secret_key" {
  secret_id = "stripe-secret-key"
  labels    = { service = "ingest" }

  replication {
    auto {}
  }

  depends_on = [google_project_service.apis]
}

resource "google_secret_manager_secret" "stripe_webhook_secret" {
  secret_id = "stripe-webhook-secret"
  labels    = { service = "ingest" }

  replication {
    auto {}
  }

  depends_on = [google_project_service.apis]
}

resource "google_secret_manager_secret" "wix_api_key" {
  secret_id = "wix-api-key"
  labels    = { service = "writer" }

  replication {
    auto {}
  }

  depends_on = [google_project_service.apis]
}

resource "google_secret_manager_secret_iam_member" "ingest_reads_stripe_secret_key" {
  secret_id = google_secret_manager_secret.stripe_secret_key.id
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.ingest.member
}

resource "google_secret_manager_secret_iam_member" "ingest_reads_stripe_webhook_secret" {
  secret_id = google_secret_manager_secret.stripe_webhook_secret.id
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.ingest.member
}

# ingest lists the signing secret's enabled versions (rotation without redeploy); listing is in
# the viewer role (metadata only; payloads need the accessor role above), granted on this secret.
resource "google_secret_manager_secret_iam_member" "ingest_lists_stripe_webhook_secret_versions" {
  secret_id = google_secret_manager_secret.stripe_webhook_secret.id
  role      = "roles/secretmanager.viewer"
  member    = google_service_account.ingest.member
}

resource "google_secret_manager_secret_iam_member" "writer_reads_wix_api_key" {
  secret_id = google_secret_manager_secret.wix_api_key.id
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.writer.member
}
