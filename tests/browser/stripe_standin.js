// A small stand-in for Stripe.js v3, served in place of https://js.stripe.com/v3/ by the
// browser tests: the real Stripe.js cannot load offline (and must never be bundled or copied).
//
// It follows the documented surface the custom element uses: Stripe(pk, options),
// stripe.elements({clientSecret, appearance}), elements.create('payment', {layout, wallets}),
// element.mount(domElement), element.on('ready' | 'change' | 'loaderror'), element.destroy(),
// stripe.confirmPayment({elements, confirmParams: {return_url}, redirect: 'if_required'}) which
// resolves to {error} or {paymentIntent}. Like the real one it refuses a mount inside a shadow
// root, a key that is not pk_…, a client secret that is not pi_…_secret_…, and a confirm
// without an absolute return_url.
//
// Like Stripe.js on API 2025-09-30.clover, it refuses (loaderror) a client secret whose intent
// is succeeded, processing, requires_capture or canceled: the ones it confirmed to those states,
// and those a test lists in finishedSecrets
// (https://docs.stripe.com/changelog/clover/2025-09-30/client-secret-reuse).
//
// Tests script it through window.__stripeScript (set before the page loads):
//   {confirmResults: [{error: {...}} | {paymentIntent: {...}}, ...], confirmDelayMs: 100,
//    finishedSecrets: ['pi_…_secret_…']}
// and read what happened from window.__stripeCalls.
(function () {
  'use strict';
  var calls = (window.__stripeCalls = []);
  var script = window.__stripeScript || {};
  var finished = {};
  (script.finishedSecrets || []).forEach(function (secret) { finished[secret] = true; });
  var FINAL = ['succeeded', 'processing', 'requires_capture', 'canceled'];

  function IntegrationError(message) {
    var error = new Error(message);
    error.name = 'IntegrationError';
    return error;
  }

  function plain(value) {
    return JSON.parse(JSON.stringify(value === undefined ? null : value));
  }

  function PaymentElement(elements, options) {
    this._handlers = {};
    this._elements = elements;
    this._options = options;
    this._mounted = null;
  }
  PaymentElement.prototype.on = function (name, handler) {
    (this._handlers[name] = this._handlers[name] || []).push(handler);
    return this;
  };
  PaymentElement.prototype._fire = function (name, payload) {
    (this._handlers[name] || []).forEach(function (handler) { handler(payload); });
  };
  PaymentElement.prototype.mount = function (target) {
    var node = typeof target === 'string' ? document.querySelector(target) : target;
    if (!node || !node.isConnected) throw IntegrationError('The selector you specified does not apply to any DOM elements.');
    if (node.getRootNode() !== document) throw IntegrationError('Elements cannot be mounted in a ShadowRoot. Please mount in the Light DOM.');
    calls.push({ method: 'element.mount', insideForm: !!node.closest('stripe-payment-form') });
    // Roughly the size and look of the accordion's card form, so screenshots and overflow
    // checks see a realistic height; the real one is an iframe from js.stripe.com.
    node.innerHTML =
      '<div class="__stripe-standin" style="border:1px solid #e0e6eb;border-radius:6px;padding:12px;font:14px system-ui,sans-serif;color:#30313d;background:#fff">' +
      '<div style="font-weight:600;margin-bottom:10px">Card (Stripe.js stand-in)</div>' +
      '<div style="font-size:13px;margin-bottom:4px">Card number</div>' +
      '<div style="height:44px;border:1px solid #e0e6eb;border-radius:5px;margin-bottom:10px;padding:12px;color:#87909f">1234 1234 1234 1234</div>' +
      '<div style="display:flex;gap:10px;margin-bottom:10px">' +
      '<div style="flex:1;min-width:0"><div style="font-size:13px;margin-bottom:4px">Expiration date</div><div style="height:44px;border:1px solid #e0e6eb;border-radius:5px;padding:12px;color:#87909f">MM / YY</div></div>' +
      '<div style="flex:1;min-width:0"><div style="font-size:13px;margin-bottom:4px">Security code</div><div style="height:44px;border:1px solid #e0e6eb;border-radius:5px;padding:12px;color:#87909f">CVC</div></div>' +
      '</div>' +
      '<div style="font-size:13px;margin-bottom:4px">Country</div>' +
      '<div style="height:44px;border:1px solid #e0e6eb;border-radius:5px;padding:12px">United States</div>' +
      '</div>';
    this._mounted = node;
    var self = this;
    if (finished[this._elements._options.clientSecret]) {
      setTimeout(function () {
        self._fire('loaderror', {
          elementType: 'payment',
          error: {
            type: 'invalid_request_error',
            code: 'payment_intent_unexpected_state',
            message: 'This PaymentIntent is in a state that cannot be used to initialize Elements.',
          },
        });
      }, 50);
      return;
    }
    setTimeout(function () { self._fire('ready', { elementType: 'payment' }); }, 50);
  };
  PaymentElement.prototype.destroy = function () {
    calls.push({ method: 'element.destroy' });
    if (this._mounted) this._mounted.innerHTML = '';
    this._mounted = null;
  };

  function Elements(stripe, options) {
    this._stripe = stripe;
    this._options = options;
    this._created = null;
  }
  Elements.prototype.create = function (type, options) {
    calls.push({ method: 'elements.create', type: type, options: plain(options) });
    if (type !== 'payment') throw IntegrationError('stand-in only knows the payment element');
    this._created = new PaymentElement(this, options || {});
    return this._created;
  };

  function StripeInstance(key, options) {
    this._key = key;
    this._options = options;
  }
  StripeInstance.prototype.elements = function (options) {
    calls.push({ method: 'stripe.elements', options: plain(options) });
    if (!options || !/^pi_[A-Za-z0-9_]+_secret_[A-Za-z0-9]+$/.test(options.clientSecret || '')) {
      throw IntegrationError('Invalid value for elements(): clientSecret should be a client secret of the form ${id}_secret_${secret}.');
    }
    return new Elements(this, options);
  };
  StripeInstance.prototype.confirmPayment = function (options) {
    var returnUrl = options && options.confirmParams && options.confirmParams.return_url;
    calls.push({
      method: 'stripe.confirmPayment',
      hasElements: !!(options && options.elements instanceof Elements),
      return_url: returnUrl || null,
      redirect: options && options.redirect,
    });
    if (!(options && options.elements instanceof Elements)) {
      return Promise.reject(IntegrationError('Invalid value for confirmPayment(): elements should be an Elements group.'));
    }
    try {
      new URL(returnUrl);
    } catch (e) {
      return Promise.reject(IntegrationError('Invalid value for confirmPayment(): return_url should be an absolute URL.'));
    }
    var results = script.confirmResults || [];
    var next = results.length ? results.shift() : null;
    var secret = options.elements._options.clientSecret;
    var id = secret.slice(0, secret.indexOf('_secret_'));
    var result = next || { paymentIntent: { status: 'succeeded' } };
    if (result.paymentIntent) result = { paymentIntent: Object.assign({ id: id, object: 'payment_intent' }, result.paymentIntent) };
    var reached = result.paymentIntent || (result.error && result.error.payment_intent) || {};
    if (FINAL.indexOf(reached.status) >= 0) finished[secret] = true;
    // A test may let "Stripe's servers" record the confirmation (window.__stripeConfirmHook,
    // exposed by Playwright) before the browser hears the answer, as the real Stripe would.
    var recorded = window.__stripeConfirmHook && result.paymentIntent ? window.__stripeConfirmHook(id, result.paymentIntent.status) : Promise.resolve();
    return Promise.resolve(recorded).then(function () {
      return new Promise(function (resolve) {
        setTimeout(function () { resolve(result); }, script.confirmDelayMs == null ? 100 : script.confirmDelayMs);
      });
    });
  };

  window.Stripe = function Stripe(key, options) {
    calls.push({ method: 'Stripe', key: key, options: plain(options) });
    if (!/^pk_(test|live)_/.test(key || '')) throw IntegrationError('Invalid API Key provided: ' + key);
    return new StripeInstance(key, options);
  };
})();
