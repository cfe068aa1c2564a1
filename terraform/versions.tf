terraform {
  required_version = ">= 1.6.0"

  required_providers {
    google = {
      source = "hashicorp/google"
      # tests/infra/test_provider_schema.py checks every block against 6.50.0's schema; 7.x is a
      # deliberate move (docs/deploy.md, "Provider version").
      version = "~> 6.50"
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
