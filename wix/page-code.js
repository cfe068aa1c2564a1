// Velo page code of the payment page: paste into the page's code panel (Dev Mode on).
//
// The page needs two elements (Properties & Events panel → ID):
//   #paymentForm    the Custom Element, tag name stripe-payment-form
//   #paymentStatus  a Text element that tells the customer what is happening
// Settings live in public/payment-config.js.
import wixLocationFrontend from 'wix-location-frontend';
import wixWindowFrontend from 'wix-window-frontend';
import { fetch } from 'wix-fetch';
import { PAYMENT_CONFIG } from 'public/payment-config.js';

// What Stripe appends to the return_url after a redirect-based method (bank, some wallets, 3DS),
// or to the success_url of a Checkout Session (mode 'redirect').
const STRIPE_RETURN_PARAMS = ['payment_intent', 'payment_intent_client_secret', 'redirect_status', 'checkout_session_id'];

const METHOD_LABELS = {
  card: 'card',
  apple_pay: 'Apple Pay',
  google_pay: 'Google Pay',
  link: 'Link',
  us_bank_account: 'bank account',
  sepa_debit: 'SEPA Direct Debit',
  cashapp: 'Cash App Pay',
  paypal: 'PayPal',
  klarna: 'Klarna',
  affirm: 'Affirm',
  afterpay_clearpay: 'Afterpay',
  ideal: 'iDEAL',
  bancontact: 'Bancontact',
  amazon_pay: 'Amazon Pay',
  revolut_pay: 'Revolut Pay',
};

$w.onReady(function () {
  // Wix runs onReady twice on a first visit: on its server ("backend"), then in the browser.
  // Verifying, creating payments and starting the form are effects: browser only.
  // https://dev.wix.com/docs/velo/apis/wix-window-frontend/rendering/env
  if (wixWindowFrontend.rendering.env !== 'browser') return;
  const checkoutSessionId = wixLocationFrontend.query.checkout_session_id;
  if (checkoutSessionId) {
    // Back from Stripe Checkout (mode 'redirect'): ask how the session's payment ended.
    $w('#paymentForm').collapse();
    showOutcome(null, { checkoutSessionId });
    return;
  }
  const paymentIntentId = wixLocationFrontend.query.payment_intent;
  if (paymentIntentId) {
    // Back from Stripe: the form stays closed until we know how the payment ended.
    $w('#paymentForm').collapse();
    showOutcome(paymentIntentId);
    return;
  }
  startForm();
});

let listening = false;

function startForm() {
  const form = $w('#paymentForm');
  if (!listening) listenTo(form);
  form.setAttribute('ingest-url', PAYMENT_CONFIG.ingestUrl);
  form.setAttribute('publishable-key', PAYMENT_CONFIG.publishableKey);
  form.setAttribute('quantity', String(PAYMENT_CONFIG.quantity || 1));
  // 'embedded' (default): the Payment Element here; 'redirect': a button to Stripe Checkout.
  form.setAttribute('mode', PAYMENT_CONFIG.mode || 'embedded');
  if (PAYMENT_CONFIG.appearance) form.setAttribute('appearance', JSON.stringify(PAYMENT_CONFIG.appearance));
  // A signed-in member's name could go here: form.setAttribute('first-name', name);
  form.setAttribute('product', PAYMENT_CONFIG.product); // last: it starts the form
  form.expand();
}

function listenTo(form) {
  listening = true;
  form.on('ready', () => setStatus(''));
  // While confirming, the element's button says so; a pending bank payment needs words.
  form.on('processing', (event) => setStatus(event.detail.stage === 'pending' ? event.detail.message : ''));
  form.on('succeeded', (event) => {
    setStatus('Thank you! Your payment was received.');
    showOutcome(event.detail.payment_intent_id, { paid: true });
  });
  // The element shows the message next to its button, where the customer retries: no echo here.
  form.on('failed', () => setStatus(''));
}

// Asks ingest (which asks Stripe) how the payment ended; it also records it in the collection.
async function showOutcome(paymentIntentId, { paid = false, checkoutSessionId = null } = {}) {
  if (!paid) setStatus('Checking your payment…');
  let result;
  try {
    const response = await fetch(`${PAYMENT_CONFIG.ingestUrl}/v1/payments/verify`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(checkoutSessionId ? { checkout_session_id: checkoutSessionId } : { payment_intent_id: paymentIntentId }),
    });
    if (!response.ok) throw new Error(`verify answered ${response.status}`);
    result = await response.json();
  } catch (error) {
    console.error('payment verification failed', error);
    if (paid) return; // Stripe.js already said so: the thank-you stays.
    // Not "failed": the money may well have moved. Never invite a second payment here.
    setStatus('We could not check your payment just now. Please reload this page in a minute; you will not be charged twice.');
    return;
  }
  if (paid && result.status !== 'succeeded') return; // Stripe.js said paid; keep the thank-you.
  wixLocationFrontend.queryParams.remove(STRIPE_RETURN_PARAMS);
  const amount = formatAmount(result.amount, result.currency);
  const method = METHOD_LABELS[result.paid_with] || (result.paid_with || '').replace(/_/g, ' ');
  if (result.status === 'succeeded') {
    setStatus(`Thank you! We received ${amount}${method ? ` paid with ${method}` : ''}.`);
  } else if (result.status === 'processing') {
    setStatus(`Your payment of ${amount} is processing. It can take a few days for bank payments to complete.`);
  } else if (result.status === 'refunded' || result.status === 'partially_refunded') {
    setStatus(`This payment of ${amount} was refunded.`);
  } else {
    setStatus('Your payment did not go through and you have not been charged. You can try again below.');
    startForm();
  }
}

function setStatus(text) {
  const status = $w('#paymentStatus');
  status.text = text || '';
  if (text) status.expand();
  else status.collapse();
}

function formatAmount(amount, currency) {
  if (typeof amount !== 'number' || !currency) return 'your payment';
  const format = new Intl.NumberFormat(undefined, { style: 'currency', currency: currency.toUpperCase() });
  const digits = format.resolvedOptions().maximumFractionDigits;
  return format.format(amount / 10 ** digits);
}
