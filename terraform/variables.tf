variable "project_id" {
  description = "Google Cloud project that hosts everything (the project id, not its number)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a Google Cloud project id: 6-30 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "region" {
  description = "Region of Cloud Run, Artifact Registry and Cloud Scheduler, e.g. europe-west1."
  type        = string
  default     = "europe-west1"

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]$", var.region))
    error_message = "region must look like europe-west1 or us-central1."
  }
}

variable "image" {
  description = "Container image both services run, in this project's Artifact Registry repository, tagged with a build id or pinned by digest. Cloud Build replaces it on every deploy; Terraform only sets it on creation."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9-]+-docker\\.pkg\\.dev/[a-z0-9-]+/[a-z0-9-]+/[a-z0-9._/-]+(:[A-Za-z0-9._-]+|@sha256:[0-9a-f]{64})$", var.image))
    error_message = "image must be an Artifact Registry image with a tag or digest, e.g. europe-west1-docker.pkg.dev/PROJECT/stripe-wix-bridge/bridge:BUILD_ID (never an untagged or :latest reference)."
  }

  validation {
    condition     = !endswith(var.image, ":latest")
    error_message = "image must not use :latest: deploys and rollbacks need an immutable reference."
  }
}

variable "repository_id" {
  description = "Artifact Registry repository (Docker format) that holds the image."
  type        = string
  default     = "stripe-wix-bridge"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,61}[a-z0-9]$", var.repository_id))
    error_message = "repository_id must be lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "wix_site_id" {
  description = "Wix site id (a UUID; not a secret). The Wix API key itself goes into Secret Manager out of band."
  type        = string

  validation {
    condition     = can(regex("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", var.wix_site_id))
    error_message = "wix_site_id must be the site's UUID, e.g. 0d1a2b3c-4d5e-6f70-8192-a3b4c5d6e7f8."
  }
}

variable "wix_collection_id" {
  description = "Wix collection the writer records payments in."
  type        = string
  default     = "Payments"

  validation {
    condition     = can(regex("^[A-Za-z][A-Za-z0-9_-]*$", var.wix_collection_id))
    error_message = "wix_collection_id must be a Wix collection id such as Payments."
  }
}

variable "allowed_origins" {
  description = "Origins of the Wix site allowed to call ingest's /v1/* endpoints (CORS), e.g. [\"https://www.example.com\"]."
  type        = list(string)

  validation {
    condition     = length(var.allowed_origins) > 0 && alltrue([for o in var.allowed_origins : can(regex("^https://[a-z0-9.-]+(:[0-9]+)?$", o))])
    error_message = "allowed_origins must list at least one https origin (scheme and host, no path or trailing slash)."
  }
}

variable "catalog" {
  description = "Products the Wix page may sell, as JSON: {\"<product id>\": {\"name\": ..., \"amount\": <minor units>, \"currency\": \"usd\"}}."
  type        = string

  validation {
    condition     = can(keys(jsondecode(var.catalog)))
    error_message = "catalog must be a JSON object of products."
  }
}

variable "max_delivery_attempts" {
  description = "Deliveries of one message to the writer before Pub/Sub moves it to the dead-letter topic (Pub/Sub allows 5-100). 20 with the 10-600 s backoff rides out about two hours of Wix outage before anything is dead-lettered."
  type        = number
  default     = 20

  validation {
    condition     = var.max_delivery_attempts >= 5 && var.max_delivery_attempts <= 100
    error_message = "max_delivery_attempts must be between 5 and 100."
  }
}

variable "ingest_min_instances" {
  description = "Warm ingest instances; 1 keeps Stripe's webhook answers fast after idle periods, 0 is cheapest."
  type        = number
  default     = 0

  validation {
    condition     = var.ingest_min_instances >= 0 && var.ingest_min_instances <= 10
    error_message = "ingest_min_instances must be between 0 and 10."
  }
}

variable "ingest_max_instances" {
  description = "Upper bound on ingest instances (cost ceiling and protection against floods)."
  type        = number
  default     = 10

  validation {
    condition     = var.ingest_max_instances >= 1 && var.ingest_max_instances <= 100
    error_message = "ingest_max_instances must be between 1 and 100."
  }
}

variable "writer_max_instances" {
  description = "Upper bound on writer instances. Wix rate-limits per site: the site-wide Wix budget is divided by it, so more writers only make each one's share smaller; keep it small."
  type        = number
  default     = 3

  validation {
    condition     = var.writer_max_instances >= 1 && var.writer_max_instances <= 20
    error_message = "writer_max_instances must be between 1 and 20."
  }
}

variable "wix_site_reads_per_minute" {
  description = "Wix Data reads a minute all writer instances together may spend. Wix's quota (about 3,000 a minute) is per site and shared with the site's own pages; the default leaves four fifths to the site (docs/performance.md)."
  type        = number
  default     = 600

  validation {
    condition     = var.wix_site_reads_per_minute >= var.writer_max_instances && var.wix_site_reads_per_minute <= 3000
    error_message = "wix_site_reads_per_minute must be at least writer_max_instances and at most Wix's 3,000 a minute."
  }
}

variable "wix_site_writes_per_minute" {
  description = "Wix Data writes a minute all writer instances together may spend (a bulk save is one). Wix's quota (about 1,500 a minute) is per site and shared with the site's own pages; the default leaves four fifths to the site."
  type        = number
  default     = 300

  validation {
    condition     = var.wix_site_writes_per_minute >= var.writer_max_instances && var.wix_site_writes_per_minute <= 1500
    error_message = "wix_site_writes_per_minute must be at least writer_max_instances and at most Wix's 1,500 a minute."
  }
}

variable "reconcile_schedule" {
  description = "Cron schedule (in reconcile_time_zone) of the job that replays recent Stripe events through ingest's /tasks/reconcile."
  type        = string
  default     = "17 * * * *"

  validation {
    condition     = length(split(" ", trimspace(var.reconcile_schedule))) == 5
    error_message = "reconcile_schedule must be a five-field cron expression."
  }
}

variable "reconcile_time_zone" {
  description = "IANA time zone of reconcile_schedule."
  type        = string
  default     = "Etc/UTC"

  validation {
    condition     = can(regex("^[A-Za-z_]+(/[A-Za-z0-9_+-]+)*$", var.reconcile_time_zone))
    error_message = "reconcile_time_zone must be an IANA time zone such as Etc/UTC or Europe/Berlin."
  }
}

variable "reconcile_since" {
  description = "How far back each scheduled reconcile looks (more than the schedule's interval, so runs overlap)."
  type        = string
  default     = "3h"

  validation {
    condition     = can(regex("^[1-9][0-9]*[mhd]$", var.reconcile_since))
    error_message = "reconcile_since must be a number and a unit (m, h or d), e.g. 3h."
  }
}

variable "notification_channels" {
  description = "Cloud Monitoring notification channel ids (projects/P/notificationChannels/N) the alerts go to. Empty: alerts only show in the console."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.notification_channels : can(regex("^projects/[^/]+/notificationChannels/[0-9]+$", c))])
    error_message = "notification_channels must be full ids: projects/PROJECT/notificationChannels/NUMBER."
  }
}

variable "oldest_unacked_alert_seconds" {
  description = "Alert when the oldest message waiting for the writer is older than this many seconds."
  type        = number
  default     = 900

  validation {
    condition     = var.oldest_unacked_alert_seconds >= 60
    error_message = "oldest_unacked_alert_seconds must be at least 60."
  }
}

variable "webhook_error_ratio" {
  description = "Alert when this share of Stripe webhook requests (0-1) fails (4xx or 5xx) for 10 minutes."
  type        = number
  default     = 0.05

  validation {
    condition     = var.webhook_error_ratio > 0 && var.webhook_error_ratio < 1
    error_message = "webhook_error_ratio must be between 0 and 1 (exclusive)."
  }
}

variable "deletion_protection" {
  description = "Refuse to destroy the Cloud Run services. Set false only to tear the stack down."
  type        = bool
  default     = true
}

variable "failed_payments_alert_threshold" {
  description = "Alert when the writer records more failed payment updates than this within 10 minutes (a decline usually counts twice: charge.failed and payment_intent.payment_failed)."
  type        = number
  default     = 20

  validation {
    condition     = var.failed_payments_alert_threshold >= 1
    error_message = "failed_payments_alert_threshold must be at least 1."
  }
}

variable "checkout_domain" {
  description = "Optional subdomain the merchant controls (e.g. pay.example.com) mapped to ingest, which serves its own payment page there (GET /checkout) and Apple Pay's domain association file: the way to offer Apple Pay with the embedded element (docs/wallets.md). Empty: no mapping. The domain must first be verified in Google Search Console by the identity that applies, and its origin (https://<domain>) must be in allowed_origins."
  type        = string
  default     = ""

  validation {
    condition     = var.checkout_domain == "" || can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.checkout_domain))
    error_message = "checkout_domain must be a lowercase host name such as pay.example.com (no scheme, path or port), or empty."
  }
}

variable "stripe_publishable_key" {
  description = "Publishable key (pk_live_… or pk_test_…, not a secret) for ingest's own payment page GET /checkout. Empty: no such page."
  type        = string
  default     = ""

  validation {
    condition     = var.stripe_publishable_key == "" || can(regex("^pk_(live|test)_[A-Za-z0-9]+$", var.stripe_publishable_key))
    error_message = "stripe_publishable_key must be a publishable key (pk_live_… or pk_test_…), never a secret key, or empty."
  }
}

variable "apple_pay_domain_association" {
  description = "Content of the apple-developer-merchantid-domain-association file from the Stripe Dashboard (Settings → Payment method domains), served by ingest at /.well-known/apple-developer-merchantid-domain-association on checkout_domain. Not a secret. Empty: that path answers 404."
  type        = string
  default     = ""

  validation {
    condition     = length(var.apple_pay_domain_association) <= 32768 && !startswith(var.apple_pay_domain_association, "/")
    error_message = "apple_pay_domain_association must be the file's content (at most 32 KiB, Cloud Run's limit for one variable), not a path."
  }
}

variable "build_repository" {
  description = "Resource name of the repository linked to Cloud Build (2nd gen), made once in the console: projects/P/locations/REGION/connections/C/repositories/R. Empty: no deploy-on-push trigger."
  type        = string
  default     = ""

  validation {
    condition     = var.build_repository == "" || can(regex("^projects/[^/]+/locations/[^/]+/connections/[^/]+/repositories/[^/]+$", var.build_repository))
    error_message = "build_repository must be empty or projects/PROJECT/locations/REGION/connections/CONNECTION/repositories/REPOSITORY."
  }
}

variable "build_branch" {
  description = "The branch whose pushes deploy (a branch name, matched exactly by the trigger)."
  type        = string
  default     = "main"

  validation {
    condition     = can(regex("^[A-Za-z0-9._/-]+$", var.build_branch))
    error_message = "build_branch must be a plain branch name."
  }
}
