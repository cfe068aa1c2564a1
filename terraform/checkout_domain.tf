# Optional: a subdomain the merchant controls (checkout_domain, e.g. pay.example.com) served by
# ingest, so that the embedded element can offer Apple Pay there (Apple requires the association
# file on the domain itself; a Wix-hosted domain cannot serve it). docs/wallets.md says what each
# route costs. Cloud Run domain mapping (v1 API, Preview; only in some regions) per Google's
# sample: https://cloud.google.com/run/docs/samples/cloudrun-custom-domain-mapping-parent-tag,
# https://cloud.google.com/run/docs/mapping-custom-domains.
resource "google_cloud_run_domain_mapping" "checkout" {
  count    = var.checkout_domain == "" ? 0 : 1
  name     = var.checkout_domain
  location = google_cloud_run_v2_service.ingest.location

  metadata {
    namespace = var.project_id
  }

  spec {
    route_name = google_cloud_run_v2_service.ingest.name
  }

  lifecycle {
    precondition {
      # The page on this domain calls ingest's /v1/*: CORS must allow its origin.
      condition     = contains(var.allowed_origins, "https://${var.checkout_domain}")
      error_message = "checkout_domain is set: add \"https://${var.checkout_domain}\" to allowed_origins."
    }
    precondition {
      condition     = var.stripe_publishable_key != ""
      error_message = "checkout_domain is set: set stripe_publishable_key too, or ingest serves no /checkout page there."
    }
  }
}
