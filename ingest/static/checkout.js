// ingest's own payment page (GET /checkout): what wix/page-code.js does on the Wix page, for the
// same <stripe-payment-form> on a domain the merchant controls (where Apple Pay can show).
// A file, not an inline script: the page's Content-Security-Policy allows no inline script.
(function () {
  'use strict';

  var form = document.getElementById('paymentForm');
  var status = document.getElementById('paymentStatus');
  // What Stripe appends to the return_url after a redirect-based method (bank, some wallets, 3DS).
  var RETURN_PARAMS = ['payment_intent', 'payment_intent_client_secret', 'redirect_status'];

  function setStatus(text) {
    status.textContent = text || '';
    status.hidden = !text;
  }

  function formatAmount(amount, currency) {
    if (typeof amount !== 'number' || !currency) return 'your payment';
    var format = new Intl.NumberFormat(undefined, { style: 'currency', currency: currency.toUpperCase() });
    return format.format(amount / Math.pow(10, format.resolvedOptions().maximumFractionDigits));
  }

  function start() {
    form.hidden = false;
    form.setAttribute('ingest-url', window.location.origin);
    form.setAttribute('publishable-key', form.dataset.publishableKey);
    form.setAttribute('quantity', form.dataset.quantity || '1');
    form.setAttribute('product', form.dataset.product); // last: it starts the form
  }

  // Back from a redirect: ingest asks Stripe how the payment ended (and records it).
  function verify(paymentIntentId) {
    setStatus('Checking your payment…');
    fetch('/v1/payments/verify', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ payment_intent_id: paymentIntentId }),
      credentials: 'omit',
    })
      .then(function (response) {
        if (!response.ok) throw new Error('verify answered ' + response.status);
        return response.json();
      })
      .then(function (result) {
        var url = new URL(window.location.href);
        RETURN_PARAMS.forEach(function (name) { url.searchParams.delete(name); });
        window.history.replaceState(null, '', url.toString());
        var amount = formatAmount(result.amount, result.currency);
        if (result.status === 'succeeded') setStatus('Thank you! We received ' + amount + '.');
        else if (result.status === 'processing') setStatus('Your payment of ' + amount + ' is processing.');
        else if (result.status === 'refunded' || result.status === 'partially_refunded') setStatus('This payment was refunded.');
        else {
          setStatus('Your payment did not go through and you have not been charged. You can try again below.');
          start();
        }
      })
      .catch(function () {
        // Not "failed": the money may well have moved. Never invite a second payment here.
        setStatus('We could not check your payment just now. Please reload this page in a minute; you will not be charged twice.');
      });
  }

  form.addEventListener('ready', function () { setStatus(''); });
  form.addEventListener('succeeded', function () { setStatus('Thank you! Your payment was received.'); });
  form.addEventListener('processing', function (event) {
    if (event.detail && event.detail.stage === 'pending') setStatus(event.detail.message);
  });

  var returned = new URLSearchParams(window.location.search).get('payment_intent');
  if (returned && /^pi_[A-Za-z0-9]+$/.test(returned)) {
    form.hidden = true;
    verify(returned);
  } else {
    start();
  }
})();
