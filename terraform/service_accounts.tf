# One identity per job, each with only the grants below (all on single resources, none project-wide
# except the build's log writing). docs/deploy.md lists who holds what.

resource "google_service_account" "ingest" {
  account_id   = "bridge-ingest"
  display_name = "ingest (Cloud Run): publishes payment updates, reads the Stripe secrets"
  depends_on   = [google_project_service.apis]
}

resource "google_service_account" "writer" {
  account_id   = "bridge-writer"
  display_name = "writer (Cloud Run): writes to Wix, publishes dead letters, reads the Wix key"
  depends_on   = [google_project_service.apis]
}

resource "google_service_account" "push" {
  account_id   = "bridge-push"
  display_name = "Pub/Sub push identity: the only caller allowed to invoke writer"
  depends_on   = [google_project_service.apis]
}

resource "google_service_account" "scheduler" {
  account_id   = "bridge-scheduler"
  display_name = "Cloud Scheduler identity: signs the reconcile call to ingest"
  depends_on   = [google_project_service.apis]
}

resource "google_service_account" "build" {
  account_id   = "bridge-build"
  display_name = "Cloud Build: pushes the image and deploys ingest and writer"
  depends_on   = [google_project_service.apis]
}

# --- ingest -------------------------------------------------------------------------------------

resource "google_pubsub_topic_iam_member" "ingest_publishes_payments" {
  topic  = google_pubsub_topic.payments.id
  role   = "roles/pubsub.publisher"
  member = google_service_account.ingest.member
}

# --- writer -------------------------------------------------------------------------------------

# The writer dead-letters poison messages itself (design: malformed envelope, Wix validation).
resource "google_pubsub_topic_iam_member" "writer_publishes_dead_letters" {
  topic  = google_pubsub_topic.dead_letter.id
  role   = "roles/pubsub.publisher"
  member = google_service_account.writer.member
}

# --- push ---------------------------------------------------------------------------------------

resource "google_cloud_run_v2_service_iam_member" "push_invokes_writer" {
  name     = google_cloud_run_v2_service.writer.name
  location = google_cloud_run_v2_service.writer.location
  role     = "roles/run.invoker"
  member   = google_service_account.push.member
}

# Pub/Sub's service agent mints the push OIDC tokens as the push account. Projects created after
# April 2021 have this implicitly; older ones need it, and it is scoped to this one account.
resource "google_service_account_iam_member" "pubsub_agent_mints_push_tokens" {
  service_account_id = google_service_account.push.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = local.pubsub_service_agent
}

# --- Pub/Sub service agent: dead-lettering ------------------------------------------------------

# To forward a message after max_delivery_attempts, the agent publishes to the dead-letter topic
# and acknowledges on the source subscription. Without both, messages are never dead-lettered.
resource "google_pubsub_topic_iam_member" "pubsub_agent_publishes_dead_letters" {
  topic  = google_pubsub_topic.dead_letter.id
  role   = "roles/pubsub.publisher"
  member = local.pubsub_service_agent
}

resource "google_pubsub_subscription_iam_member" "pubsub_agent_acks_push_subscription" {
  subscription = google_pubsub_subscription.writer_push.id
  role         = "roles/pubsub.subscriber"
  member       = local.pubsub_service_agent
}

# --- build --------------------------------------------------------------------------------------

resource "google_artifact_registry_repository_iam_member" "build_pushes_images" {
  location   = google_artifact_registry_repository.images.location
  repository = google_artifact_registry_repository.images.name
  role       = "roles/artifactregistry.writer"
  member     = google_service_account.build.member
}

resource "google_storage_bucket_iam_member" "build_reads_source" {
  bucket = google_storage_bucket.build_source.name
  role   = "roles/storage.objectViewer"
  member = google_service_account.build.member
}

resource "google_cloud_run_v2_service_iam_member" "build_deploys_ingest" {
  name     = google_cloud_run_v2_service.ingest.name
  location = google_cloud_run_v2_service.ingest.location
  role     = "roles/run.developer"
  member   = google_service_account.build.member
}

resource "google_cloud_run_v2_service_iam_member" "build_deploys_writer" {
  name     = google_cloud_run_v2_service.writer.name
  location = google_cloud_run_v2_service.writer.location
  role     = "roles/run.developer"
  member   = google_service_account.build.member
}

# Deploying a revision that runs as a service account requires actAs on that account.
resource "google_service_account_iam_member" "build_acts_as_ingest" {
  service_account_id = google_service_account.ingest.name
  role               = "roles/iam.serviceAccountUser"
  member             = google_service_account.build.member
}

resource "google_service_account_iam_member" "build_acts_as_writer" {
  service_account_id = google_service_account.writer.name
  role               = "roles/iam.serviceAccountUser"
  member             = google_service_account.build.member
}

# A build running as a user-managed account must write its own logs (cloudbuild.yaml sends them
# to Cloud Logging only). This role has no resource-level form.
resource "google_project_iam_member" "build_writes_logs" {
  project = var.project_id
  role    = "roles/logging.logWriter"
  member  = google_service_account.build.member
}
