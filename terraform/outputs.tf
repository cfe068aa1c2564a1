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

output "build_trigger" {
  description = "The deploy-on-push Cloud Build trigger (empty until build_repository is set)."
  value       = one(google_cloudbuild_trigger.deploy_on_push[*].id)
}
