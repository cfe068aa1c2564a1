# Every push to the deploy branch runs cloudbuild.yaml as bridge-build: lint, types, tests,
# image, push, then deploy (writer first, then ingest), exactly as `gcloud builds submit` does.
#
# The trigger needs a repository connection (Cloud Build repositories, 2nd gen: a host
# connection to GitHub, GitLab or Bitbucket, and the repository linked to it). Making the
# connection authorizes Cloud Build's app on the code host in a browser, so the team makes it
# once in the console (Cloud Build -> Repositories -> 2nd gen; docs/deploy.md, "Deploy on every
# push") and gives its repository's resource name here. Until then no trigger is created.
# https://cloud.google.com/build/docs/automating-builds/create-manage-triggers
resource "google_cloudbuild_trigger" "deploy_on_push" {
  count = var.build_repository == "" ? 0 : 1

  name            = "stripe-wix-bridge-deploy"
  description     = "Test, build and deploy ingest and writer on every push to ${var.build_branch}"
  location        = var.region
  service_account = google_service_account.build.id
  filename        = "cloudbuild.yaml"

  repository_event_config {
    repository = var.build_repository
    push {
      branch = "^${var.build_branch}$"
    }
  }

  substitutions = {
    _REGION = var.region
  }

  depends_on = [google_project_service.apis]
}
