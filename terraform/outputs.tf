output "webhook_url" {
  description = "Register this URL as the Stripe webhook endpoint (python -m ingest register-webhook --url ...)."
  value       = "${google_cloud_run_v2_service.ingest.uri}/webhooks/stripe"
}

output "ingest_url" {
  description = "Base URL of ingest: the Wix page calls its /v1/* endpoints."
  value       = google_cloud_run_v2_service.ingest.uri
}

output "image_repository" {
  description = "Where Cloud Build pushes the image (REGION-docker.pkg.dev/PROJECT/REPOSITORY)."
  value       = "${google_artifact_registry_repository.images.location}-docker.pkg.dev/${var.project_id}/${google_artifact_registry_repository.images.repository_id}"
}

output "build_service_account" {
  description = "Service account Cloud Build runs as (gcloud builds submit --service-account / trigger setting)."
  value       = google_service_account.build.id
}

output "build_source_bucket" {
  description = "Staging bucket for gcloud builds submit --gcs-source-staging-dir gs://BUCKET/source."
  value       = google_storage_bucket.build_source.name
}

output "checkout_dns_records" {
  description = "DNS records to create at the registrar for checkout_domain (empty when it is not set). Google issues the certificate once they resolve."
  value       = var.checkout_domain == "" ? [] : google_cloud_run_domain_mapping.checkout[0].status[0].resource_records
}

output "checkout_url" {
  description = "ingest's own payment page on checkout_domain, for a Wix button or link (add ?product=<id>); null when checkout_domain is not set."
  value       = var.checkout_domain == "" ? null : "https://${var.checkout_domain}/checkout"
}

output "build_trigger" {
  description = "The deploy-on-push Cloud Build trigger (empty until build_repository is set)."
  value       = one(google_cloudbuild_trigger.deploy_on_push[*].id)
}
