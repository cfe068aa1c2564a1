terraform {
  required_version = ">= 1.6.0"

  required_providers {
    google = {
      source = "hashicorp/google"
      # 6.x: invoker_iam_disabled and deletion_protection on Cloud Run v2 services.
      version = ">= 6.10.0, < 8.0.0"
    }
  }

  # Remote state in a GCS bucket (versioned, created once by hand: see docs/deploy.md). Partial
  # configuration: `terraform init -backend-config=backend.hcl`, so no bucket name is committed.
  backend "gcs" {}
}

provider "google" {
  project = var.project_id
  region  = var.region

  default_labels = {
    app        = "stripe-wix-bridge"
    managed-by = "terraform"
  }
}

data "google_project" "this" {
  project_id = var.project_id
}
