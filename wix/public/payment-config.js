// Settings of the payment page. In Wix: Public & Backend → Public → payment-config.js.
// Change these values; the page code (page-code.js) stays as it is.
export const PAYMENT_CONFIG = {
  // ingest's public URL (Cloud Run), no trailing slash. This site's origins must be in ingest's
  // ALLOWED_ORIGINS, e.g. https://www.example.com,https://example.com
  ingestUrl: 'https://ingest-REPLACE-ME.a.run.app',
  // Stripe Dashboard → Developers → API keys. pk_test_… while testing, pk_live_… when live.
  publishableKey: 'pk_test_REPLACE_ME',
  // A product id of ingest's CATALOG: the price lives on the server, never on the page.
  product: 'tee',
  quantity: 1,
  // 'embedded': Stripe's Payment Element on this page (card, Google Pay, Link; Apple Pay only
  // on a domain registered with Stripe, which a Wix-hosted domain cannot be: docs/wallets.md).
  // 'redirect': a button to Stripe Checkout, where Apple Pay and Google Pay always show.
  mode: 'embedded',
  // Stripe's Appearance API: https://docs.stripe.com/elements/appearance-api
  appearance: {
    theme: 'stripe',
    variables: { colorPrimary: '#635bff', borderRadius: '6px' },
  },
};
