# Names fixed by docs/design (the services read them from their environment with these defaults).
locals {
  topic_name                    = "stripe-payments"
  dead_letter_topic_name        = "stripe-payments-dead-letter"
  dead_letter_subscription_name = "stripe-payments-dead-letter-sub"
  push_subscription_name        = "stripe-payments-writer-push"

  # Requests one instance takes at once = gunicorn workers x threads, as the Dockerfile sets them
  # (WEB_CONCURRENCY x GUNICORN_THREADS; measured in docs/deploy.md). More would queue inside gunicorn.
  container_concurrency = 1 * 32
  # The writer's pushes mostly wait on Wix, and group commit batches the pushes one process holds
  # at once: one worker with more threads (the writer's GUNICORN_THREADS, set below), Cloud Run's
  # default of 80 (measured in docs/performance.md, "Group commit and the Wix quota").
  writer_threads     = 80
  writer_concurrency = 1 * local.writer_threads

  # OIDC audiences: fixed strings rather than the services' URLs, which would make each service
  # depend on its own URL. The writer lists its audience in custom_audiences so Cloud Run's IAM
  # check accepts it; ingest (public) checks the scheduler's token in the app.
  push_audience      = "https://writer.${var.project_id}.stripe-wix-bridge/pubsub/push"
  reconcile_audience = "https://ingest.${var.project_id}.stripe-wix-bridge/tasks/reconcile"

  pubsub_service_agent = "serviceAccount:service-${data.google_project.this.number}@gcp-sa-pubsub.iam.gserviceaccount.com"
}

resource "google_artifact_registry_repository" "images" {
  #checkov:skip=CKV_GCP_84:Google-managed encryption is enough for an image holding code and no data or secrets; a customer-managed key adds a KMS key ring, grants to the Artifact Registry agent and a failure mode (disabled key = no deploys) for no gain here.
  location      = var.region
  repository_id = var.repository_id
  format        = "DOCKER"
  description   = "Images of the Stripe-Wix bridge (ingest and writer run the same image)."

  # A tag, once pushed, always names the same image: deploys and rollbacks stay reproducible.
  docker_config {
    immutable_tags = true
  }

  cleanup_policy_dry_run = false
  cleanup_policies {
    id     = "keep-recent"
    action = "KEEP"
    most_recent_versions {
      keep_count = 20
    }
  }
  cleanup_policies {
    id     = "delete-old"
    action = "DELETE"
    condition {
      older_than = "7776000s" # 90 days; the 20 most recent are kept regardless
    }
  }

  depends_on = [google_project_service.apis]
}

# Where `gcloud builds submit` uploads the source (docs/deploy.md). A build running as a
# user-managed account reads its source from here, and from nowhere else in the project.
resource "google_storage_bucket" "build_source" {
  #checkov:skip=CKV_GCP_62:Access logs of a bucket holding only source archives that are also in git would add a second bucket and no information; the Cloud Audit Logs of Cloud Build and Storage still record who submitted what.
  #checkov:skip=CKV_GCP_78:Versioning would keep copies of archives that are deleted on purpose after 30 days; each archive is uploaded once under a unique name and never overwritten.
  name                        = "${var.project_id}-build-source"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  # Only build inputs live here; `terraform destroy` may remove them with the bucket.
  force_destroy = true

  lifecycle_rule {
    condition {
      age = 30
    }
    action {
      type = "Delete"
    }
  }

  depends_on = [google_project_service.apis]
}
