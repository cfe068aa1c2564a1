// LOCAL TEST ONLY: a stand-in for Stripe.js v3 on the local checkout page when the stack runs
// with no Stripe account. No real payment: the card form below sends test card numbers to the
// local Stripe API stand-in (devstack/stripe_confirm.py), never to Stripe.
//
// It offers the part of Stripe.js the custom element uses, as documented
// (https://docs.stripe.com/js): Stripe(pk), stripe.elements({clientSecret, appearance}),
// elements.create('payment', options), element.mount/on/destroy, and
// stripe.confirmPayment({elements, confirmParams: {return_url}, redirect: 'if_required'}),
// which resolves to {paymentIntent} or {error}. Like Stripe.js, confirmPayment posts the card
// to POST /v1/payment_intents/{id}/confirm with the publishable key and the client secret; the
// stand-in API then records charge.* and payment_intent.* events and sends them to ingest's
// webhook, signed, as Stripe would.
//
// The page sets window.__localStripe = {apiBase: 'http://127.0.0.1:8088'} before loading it.
// (tests/browser/stripe_standin.js is the scripted one the browser tests use instead.)
(function () {
  'use strict';
  var settings = window.__localStripe || {};
  var apiBase = (settings.apiBase || '').replace(/\/+$/, '');

  function IntegrationError(message) {
    var error = new Error(message);
    error.name = 'IntegrationError';
    return error;
  }

  function digits(value) { return String(value || '').replace(/\D/g, ''); }

  // The card form: plain inputs in the page (the real one is an iframe from js.stripe.com).
  var FORM =
    '<div class="lsj" style="border:1px solid #e0e6eb;border-radius:6px;padding:12px;font:14px system-ui,sans-serif;color:#30313d;background:#fff">' +
    '<p class="lsj-banner" style="margin:0 0 12px;padding:8px 10px;border-radius:5px;background:#fff4e5;border:1px solid #f5c26b;font-size:13px;line-height:1.4">' +
    '<strong>Local test — no real payment.</strong> Stand-in for Stripe\'s form: use 4242 4242 4242 4242, any future date, any CVC.</p>' +
    '<label style="display:block;font-size:13px;margin-bottom:4px" for="lsj-number">Card number</label>' +
    '<input id="lsj-number" class="lsj-input" inputmode="numeric" autocomplete="cc-number" placeholder="1234 1234 1234 1234" maxlength="23">' +
    '<div style="display:flex;gap:10px;margin-top:10px">' +
    '<div style="flex:1;min-width:0"><label style="display:block;font-size:13px;margin-bottom:4px" for="lsj-expiry">Expiration date</label>' +
    '<input id="lsj-expiry" class="lsj-input" inputmode="numeric" autocomplete="cc-exp" placeholder="MM / YY" maxlength="7"></div>' +
    '<div style="flex:1;min-width:0"><label style="display:block;font-size:13px;margin-bottom:4px" for="lsj-cvc">Security code</label>' +
    '<input id="lsj-cvc" class="lsj-input" inputmode="numeric" autocomplete="cc-csc" placeholder="CVC" maxlength="4"></div>' +
    '</div></div>';
  var INPUT_STYLE = 'width:100%;box-sizing:border-box;height:44px;border:1px solid #e0e6eb;border-radius:5px;padding:0 12px;font:16px system-ui,sans-serif;color:#30313d';

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
    node.innerHTML = FORM;
    Array.prototype.forEach.call(node.querySelectorAll('.lsj-input'), function (input) {
      input.setAttribute('style', INPUT_STYLE);
    });
    var self = this;
    var number = node.querySelector('#lsj-number');
    var expiry = node.querySelector('#lsj-expiry');
    number.addEventListener('input', function () {
      number.value = digits(number.value).slice(0, 19).replace(/(\d{4})(?=\d)/g, '$1 ');
    });
    expiry.addEventListener('input', function () {
      var d = digits(expiry.value).slice(0, 4);
      expiry.value = d.length > 2 ? d.slice(0, 2) + ' / ' + d.slice(2) : d;
    });
    node.addEventListener('input', function () {
      self._fire('change', { elementType: 'payment', empty: !digits(number.value), complete: !self._incomplete() });
    });
    this._mounted = node;
    setTimeout(function () { self._fire('ready', { elementType: 'payment' }); }, 0);
  };
  PaymentElement.prototype._card = function () {
    var node = this._mounted;
    var expiry = digits(node.querySelector('#lsj-expiry').value);
    return {
      number: digits(node.querySelector('#lsj-number').value),
      exp_month: expiry.slice(0, 2),
      exp_year: expiry.slice(2),
      cvc: digits(node.querySelector('#lsj-cvc').value),
    };
  };
  // Stripe.js checks completeness before any request: {type: 'validation_error', code, message}.
  PaymentElement.prototype._incomplete = function () {
    var card = this._card();
    if (card.number.length < 12) return { code: 'incomplete_number', message: 'Your card number is incomplete.' };
    if (card.exp_month.length !== 2 || card.exp_year.length !== 2) return { code: 'incomplete_expiry', message: "Your card's expiration date is incomplete." };
    if (card.cvc.length < 3) return { code: 'incomplete_cvc', message: "Your card's security code is incomplete." };
    return null;
  };
  PaymentElement.prototype.destroy = function () {
    if (this._mounted) this._mounted.innerHTML = '';
    this._mounted = null;
  };

  function Elements(stripe, options) {
    this._stripe = stripe;
    this._options = options;
    this._created = null;
  }
  Elements.prototype.create = function (type, options) {
    if (type !== 'payment') throw IntegrationError('the local stand-in only offers the payment element');
    this._created = new PaymentElement(this, options || {});
    return this._created;
  };

  function StripeInstance(key) { this._key = key; }
  StripeInstance.prototype.elements = function (options) {
    if (!options || !/^pi_[A-Za-z0-9_]+_secret_[A-Za-z0-9]+$/.test(options.clientSecret || '')) {
      throw IntegrationError('Invalid value for elements(): clientSecret should be a client secret of the form ${id}_secret_${secret}.');
    }
    return new Elements(this, options);
  };
  StripeInstance.prototype.confirmPayment = function (options) {
    var elements = options && options.elements;
    if (!(elements instanceof Elements) || !elements._created || !elements._created._mounted) {
      return Promise.reject(IntegrationError('Invalid value for confirmPayment(): elements should be an Elements group with a mounted payment element.'));
    }
    var returnUrl = options.confirmParams && options.confirmParams.return_url;
    try { new URL(returnUrl); } catch (e) {
      return Promise.reject(IntegrationError('Invalid value for confirmPayment(): return_url should be an absolute URL.'));
    }
    var element = elements._created;
    var incomplete = element._incomplete();
    if (incomplete) {
      return Promise.resolve({ error: { type: 'validation_error', code: incomplete.code, message: incomplete.message } });
    }
    var secret = elements._options.clientSecret;
    var id = secret.slice(0, secret.indexOf('_secret_'));
    var card = element._card();
    var body = new URLSearchParams({
      key: this._key,
      client_secret: secret,
      return_url: returnUrl,
      'payment_method_data[type]': 'card',
      'payment_method_data[card][number]': card.number,
      'payment_method_data[card][exp_month]': card.exp_month,
      'payment_method_data[card][exp_year]': card.exp_year,
      'payment_method_data[card][cvc]': card.cvc,
    });
    return fetch(apiBase + '/v1/payment_intents/' + encodeURIComponent(id) + '/confirm', { method: 'POST', body: body })
      .then(function (response) {
        return response.json().then(function (data) {
          return response.ok ? { paymentIntent: data } : { error: data.error || { type: 'api_error', message: 'Unexpected answer' } };
        });
      })
      .catch(function () {
        return { error: { type: 'api_connection_error', message: 'The local Stripe stand-in did not answer (is `make run` still running?).' } };
      });
  };

  window.Stripe = function Stripe(key) {
    if (!/^pk_(test|live)_/.test(key || '')) throw IntegrationError('Invalid API Key provided: ' + key);
    if (!apiBase) throw IntegrationError('window.__localStripe.apiBase is not set: the local page sets it');
    return new StripeInstance(key);
  };
})();
