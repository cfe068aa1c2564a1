/*
 * <stripe-payment-form>: Stripe's Payment Element as a custom element for a Wix page.
 *
 * Plain JavaScript, no build step: in Wix, put this file in public/custom-elements/ and add a
 * Custom Element with the tag name `stripe-payment-form` (see wix/README.md).
 *
 * Attributes (Velo: $w('#paymentForm').setAttribute(name, value)):
 *   ingest-url       where ingest runs, e.g. https://ingest-abc-uc.a.run.app          (required)
 *   publishable-key  pk_live_… or pk_test_…                                          (required)
 *   product          a product id of ingest's CATALOG; set it last, it starts the form (required)
 *   first-name       the customer's first name; without it the form asks for it
 *   email            optional; Stripe sends the receipt there and pre-fills Link
 *   quantity         optional, default 1
 *   appearance       optional JSON: Stripe's Elements Appearance object
 *   layout           optional: accordion (default, fits a phone) or tabs
 *   return-url       optional: where redirect-based methods come back; default this page
 *   locale           optional: Stripe.js locale, default auto
 *   mode             optional: embedded (default) is Stripe's Payment Element on this page;
 *                    redirect shows a pay button that sends the customer to Stripe Checkout,
 *                    where Apple Pay and Google Pay show without any domain registration, and
 *                    back to this page (return-url) with ?checkout_session_id=cs_…
 *   bot-check        optional: turnstile or recaptcha (v3), when ingest has BOT_CHECK on
 *   bot-site-key     the Turnstile / reCAPTCHA site key (public) that goes with bot-check
 *   previous-client-secret  optional: the client secret of this buyer's earlier, unfinished
 *                    attempt (e.g. from a failed redirect's return URL); ingest then reuses it
 *
 * Events (Velo: $w('#paymentForm').on(name, (event) => event.detail)):
 *   ready       {payment_intent_id, amount, currency}   the form can be paid
 *   processing  {payment_intent_id, stage, message}     stage 'confirming' (button shows it) or
 *                                                       'pending' (bank payments: days, not seconds)
 *   succeeded   {payment_intent_id, client_secret, amount, currency}   paid; the page asks
 *               ingest's /v1/payments/verify with the id and client_secret (the capability that
 *               proves the page started this payment; keep it out of logs and URLs you share)
 *   failed      {message, code, retryable, payment_intent_id}  message is for the customer
 *   redirecting {checkout_session_id, url}              mode=redirect: leaving for Stripe Checkout
 *
 * The element renders into the light DOM on purpose: Stripe Elements refuse to mount inside a
 * shadow root (their iframes must be reachable from the page), and wallets (Apple Pay, Google
 * Pay) only appear on the top-level page, never inside Wix's HTML iframe.
 */
(function () {
  'use strict';

  var TAG = 'stripe-payment-form';
  var STRIPE_JS_URL = 'https://js.stripe.com/v3/';
  var STRIPE_LOAD_TIMEOUT_MS = 20000;
  var INGEST_TIMEOUT_MS = 20000;

  // Everything a customer reads, in one place (translate here).
  var TEXT = {
    firstName: 'First name',
    continue: 'Continue to payment',
    preparing: 'Preparing…',
    loading: 'Loading secure payment form…',
    pay: 'Pay',
    processing: 'Processing…',
    paid: 'Paid',
    tryAgain: 'Try again',
    secured: 'Payments are processed securely by Stripe.',
    needFirstName: 'Please enter your first name.',
    badFirstName: 'Please enter your first name using letters only (spaces, hyphens and apostrophes are fine).',
    refused: 'Payments are not available on this page right now. Please contact us.',
    offline: 'We could not reach the payment service. Check your connection and try again.',
    unavailable: 'Payments are unavailable right now. Please try again in a minute.',
    tooMany: 'Too many attempts. Please wait a minute and try again.',
    botCheck: 'We could not confirm this request came from a person. Please try again.',
    cannotSell: 'This item cannot be bought right now. Please contact us.',
    stripeMissing:
      'The payment form could not load. Check your connection, allow js.stripe.com if you use a content blocker, and reload the page.',
    unexpected: 'Something went wrong with your payment. You have not been charged; please try again.',
    pending: 'Your payment is processing. We will confirm it as soon as your bank does.',
    checkout: 'Continue to secure checkout',
    redirecting: 'Taking you to Stripe Checkout…',
  };

  // PaymentIntent states Stripe.js refuses to initialize Elements with (API 2025-09-30.clover:
  // https://docs.stripe.com/changelog/clover/2025-09-30/client-secret-reuse). An intent seen in
  // one of them is never mounted again, by any form on the page: a new one is asked for.
  var FINAL_STATUSES = ['succeeded', 'processing', 'requires_capture', 'canceled'];
  var finishedIntents = {};

  // Query parameters Stripe adds on the way back; the return URL of a new attempt drops them.
  var RETURN_PARAMS = ['payment_intent', 'payment_intent_client_secret', 'redirect_status', 'checkout_session_id'];

  // One JSON POST to ingest with an Idempotency-Key and a timeout: {status, ok, data}.
  function postToIngest(url, body, key) {
    var controller = typeof AbortController === 'function' ? new AbortController() : null;
    var timer = setTimeout(function () { if (controller) controller.abort(); }, INGEST_TIMEOUT_MS);
    return fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Idempotency-Key': key },
      body: JSON.stringify(body),
      credentials: 'omit',
      signal: controller ? controller.signal : undefined,
    })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (data) {
          return { status: response.status, ok: response.ok, data: data };
        });
      })
      .finally(function () { clearTimeout(timer); });
  }

  var stripeJsPromise = null;
  var stripeInstances = {};
  var instanceCount = 0;

  function loadStripeJs() {
    if (window.Stripe) return Promise.resolve(window.Stripe);
    if (stripeJsPromise) return stripeJsPromise;
    stripeJsPromise = new Promise(function (resolve, reject) {
      var script = document.querySelector('script[src^="' + STRIPE_JS_URL + '"]');
      if (!script) {
        script = document.createElement('script');
        script.src = STRIPE_JS_URL;
        script.async = true;
        document.head.appendChild(script);
      }
      var timer = setTimeout(function () { reject(new Error('Stripe.js load timed out')); }, STRIPE_LOAD_TIMEOUT_MS);
      script.addEventListener('load', function () {
        clearTimeout(timer);
        if (window.Stripe) resolve(window.Stripe);
        else reject(new Error('Stripe.js loaded without window.Stripe'));
      });
      script.addEventListener('error', function () {
        clearTimeout(timer);
        reject(new Error('Stripe.js failed to load'));
      });
    });
    // A failed load may succeed later (the customer's network came back): the next attempt
    // needs a new <script>, since a failed one never fires again.
    stripeJsPromise.catch(function () {
      stripeJsPromise = null;
      var failed = document.querySelector('script[src^="' + STRIPE_JS_URL + '"]');
      if (failed && !window.Stripe) failed.remove();
    });
    return stripeJsPromise;
  }

  // The bot check's widget script, loaded once; then a fresh token for every creation (a token
  // is good once, for minutes). Turnstile renders a managed widget that only asks when in doubt;
  // reCAPTCHA v3 never asks.
  var BOT_SCRIPTS = {
    turnstile: 'https://challenges.cloudflare.com/turnstile/v0/api.js?render=explicit',
    recaptcha: 'https://www.google.com/recaptcha/api.js?render=',
  };
  var botScripts = {};

  function loadBotScript(kind, siteKey) {
    var url = BOT_SCRIPTS[kind] + (kind === 'recaptcha' ? encodeURIComponent(siteKey) : '');
    if (!botScripts[url]) {
      botScripts[url] = new Promise(function (resolve, reject) {
        var script = document.createElement('script');
        script.src = url;
        script.async = true;
        script.addEventListener('load', resolve);
        script.addEventListener('error', function () { delete botScripts[url]; reject(new Error('bot check script failed')); });
        document.head.appendChild(script);
      });
    }
    return botScripts[url];
  }

  function botToken(kind, siteKey, container) {
    return loadBotScript(kind, siteKey).then(function () {
      if (kind === 'recaptcha') {
        return new Promise(function (resolve, reject) {
          window.grecaptcha.ready(function () {
            window.grecaptcha.execute(siteKey, { action: 'payment' }).then(resolve, reject);
          });
        });
      }
      return new Promise(function (resolve, reject) {
        // A widget's token is spent: the next creation renders a new one.
        if (container.widgetId !== undefined) {
          try { window.turnstile.remove(container.widgetId); } catch (e) { /* already gone */ }
        }
        container.hidden = false;
        container.textContent = '';
        container.widgetId = window.turnstile.render(container, {
          sitekey: siteKey,
          action: 'payment',
          callback: function (token) { container.hidden = true; resolve(token); },
          'error-callback': function () { reject(new Error('turnstile error')); },
        });
      });
    });
  }

  function idempotencyKey() {
    if (window.crypto && typeof window.crypto.randomUUID === 'function') return window.crypto.randomUUID();
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join('');
  }

  // Amounts arrive in minor units; Intl knows how many decimals each currency has (JPY: none).
  function formatAmount(amount, currency, locale) {
    try {
      var format = new Intl.NumberFormat(locale || undefined, { style: 'currency', currency: currency.toUpperCase() });
      var digits = format.resolvedOptions().maximumFractionDigits;
      return format.format(amount / Math.pow(10, digits));
    } catch (e) {
      return (amount / 100).toFixed(2) + ' ' + String(currency).toUpperCase();
    }
  }

  // Stripe's own messages are written for customers only for these two types; everything else
  // (api_error, invalid_request_error, …) is our problem, not theirs, and gets a plain sentence.
  function customerMessage(error) {
    if (error && (error.type === 'card_error' || error.type === 'validation_error') && error.message) {
      return error.message;
    }
    return TEXT.unexpected;
  }

  var STYLE = [
    TAG + '{display:block;width:100%;max-width:100%;box-sizing:border-box;font-family:var(--spf-font,system-ui,-apple-system,"Segoe UI",Roboto,sans-serif);color:var(--spf-text,#1a1f36);}',
    TAG + '[hidden]{display:none;}',
    TAG + ' *,' + TAG + ' *::before,' + TAG + ' *::after{box-sizing:border-box;}',
    TAG + ' .spf-form{display:flex;flex-direction:column;gap:16px;width:100%;max-width:560px;margin:0 auto;padding:0;}',
    TAG + ' [hidden]{display:none !important;}',
    TAG + ' .spf-label{display:block;font-size:14px;font-weight:500;margin:0 0 6px;}',
    // 16px text: iOS Safari zooms into any input whose font is smaller.
    TAG + ' .spf-input{display:block;width:100%;min-height:48px;padding:12px;font:inherit;font-size:16px;color:inherit;background:#fff;border:1px solid #d5dbe1;border-radius:var(--spf-radius,6px);}',
    TAG + ' .spf-input:focus{outline:2px solid var(--spf-primary,#635bff);outline-offset:1px;border-color:transparent;}',
    TAG + ' .spf-skeleton{min-height:180px;display:flex;align-items:center;justify-content:center;font-size:14px;color:#6b7280;border:1px dashed #d5dbe1;border-radius:var(--spf-radius,6px);}',
    TAG + ' .spf-element{min-height:1px;width:100%;}',
    TAG + ' .spf-message{margin:0;padding:12px;font-size:15px;line-height:1.4;border-radius:var(--spf-radius,6px);overflow-wrap:anywhere;}',
    TAG + ' .spf-message[data-kind=error]{color:#8a1c1c;background:#fdecec;border:1px solid #f5c2c2;}',
    TAG + ' .spf-message[data-kind=info]{color:#1a3d6b;background:#eef4fd;border:1px solid #c9dcf5;}',
    TAG + ' .spf-message[data-kind=success]{color:#14532d;background:#eafaf0;border:1px solid #b7e4c7;}',
    TAG + ' .spf-button{display:flex;align-items:center;justify-content:center;gap:10px;width:100%;min-height:52px;padding:12px 16px;font:inherit;font-size:17px;font-weight:600;color:#fff;background:var(--spf-primary,#635bff);border:0;border-radius:var(--spf-radius,6px);cursor:pointer;touch-action:manipulation;}',
    TAG + ' .spf-button:focus-visible{outline:3px solid var(--spf-primary,#635bff);outline-offset:2px;}',
    TAG + ' .spf-button[disabled]{opacity:.65;cursor:default;}',
    TAG + ' .spf-spinner{width:18px;height:18px;border:2px solid rgba(255,255,255,.5);border-top-color:#fff;border-radius:50%;animation:spf-spin .8s linear infinite;}',
    '@keyframes spf-spin{to{transform:rotate(360deg);}}',
    '@media (prefers-reduced-motion:reduce){' + TAG + ' .spf-spinner{animation:none;}}',
    TAG + ' .spf-note{margin:0;font-size:13px;color:#6b7280;text-align:center;}',
  ].join('\n');

  var OBSERVED = ['ingest-url', 'publishable-key', 'product', 'first-name', 'email', 'quantity', 'appearance', 'layout', 'return-url', 'locale', 'mode', 'bot-check', 'bot-site-key'];

  class StripePaymentForm extends HTMLElement {
    static get observedAttributes() {
      return OBSERVED;
    }

    constructor() {
      super();
      this._state = 'idle';
      this._busy = false;
      this._intent = null;
      this._stripe = null;
      this._elements = null;
      this._paymentElement = null;
      this._startTimer = null;
      this._id = 'spf' + (++instanceCount);
    }

    connectedCallback() {
      if (!this._form) this._render();
      this._scheduleStart();
    }

    disconnectedCallback() {
      clearTimeout(this._startTimer);
    }

    attributeChangedCallback(name, oldValue, newValue) {
      if (oldValue === newValue || !this._form) return;
      if (name === 'appearance') this._applyAppearanceToChrome();
      // A different product or quantity means a different amount: the old intent is useless.
      if ((name === 'product' || name === 'quantity') && this._intent && this._state !== 'succeeded' && !this._busy) {
        this._resetIntent();
      }
      if (name === 'first-name' && newValue && this._nameInput && !this._nameInput.value) {
        this._nameInput.value = newValue;
      }
      this._scheduleStart();
    }

    _render() {
      if (!document.getElementById('spf-style')) {
        var style = document.createElement('style');
        style.id = 'spf-style';
        style.textContent = STYLE;
        document.head.appendChild(style);
      }
      var id = this._id;
      this.innerHTML =
        '<form class="spf-form" novalidate>' +
        '  <div class="spf-name" hidden>' +
        '    <label class="spf-label" for="' + id + '-first-name"></label>' +
        '    <input class="spf-input" id="' + id + '-first-name" name="first_name" type="text" maxlength="50"' +
        '           autocomplete="given-name" autocapitalize="words" enterkeyhint="next" spellcheck="false" required>' +
        '  </div>' +
        '  <div class="spf-skeleton" hidden></div>' +
        '  <div class="spf-bot" hidden></div>' +
        '  <div class="spf-element" hidden></div>' +
        '  <p class="spf-message" role="status" aria-live="polite" hidden></p>' +
        '  <button class="spf-button" type="submit" hidden><span class="spf-spinner" hidden></span><span class="spf-button-text"></span></button>' +
        '  <p class="spf-note"></p>' +
        '</form>';
      this._form = this.querySelector('.spf-form');
      this._nameBlock = this.querySelector('.spf-name');
      this._nameInput = this.querySelector('.spf-input');
      this._skeleton = this.querySelector('.spf-skeleton');
      this._mountPoint = this.querySelector('.spf-element');
      this._botBox = this.querySelector('.spf-bot');
      this._message = this.querySelector('.spf-message');
      this._button = this.querySelector('.spf-button');
      this._spinner = this.querySelector('.spf-spinner');
      this._buttonText = this.querySelector('.spf-button-text');
      this.querySelector('.spf-label').textContent = TEXT.firstName;
      this.querySelector('.spf-note').textContent = TEXT.secured;
      this._skeleton.textContent = TEXT.loading;
      var self = this;
      this._form.addEventListener('submit', function (event) {
        event.preventDefault();
        self._onSubmit();
      });
      this._nameInput.addEventListener('input', function () {
        if (self._state === 'details') self._clearMessage();
      });
      this._applyAppearanceToChrome();
      this._setState('idle');
    }

    _config() {
      var quantity = parseInt(this.getAttribute('quantity') || '1', 10);
      return {
        ingestUrl: (this.getAttribute('ingest-url') || '').replace(/\/+$/, ''),
        publishableKey: (this.getAttribute('publishable-key') || '').trim(),
        product: (this.getAttribute('product') || '').trim(),
        firstName: (this.getAttribute('first-name') || '').trim(),
        email: (this.getAttribute('email') || '').trim(),
        quantity: quantity > 0 ? quantity : 1,
        layout: this.getAttribute('layout') === 'tabs' ? 'tabs' : 'accordion',
        locale: this.getAttribute('locale') || 'auto',
        redirect: this.getAttribute('mode') === 'redirect',
        botCheck: this.getAttribute('bot-check') || '',
        botSiteKey: (this.getAttribute('bot-site-key') || '').trim(),
      };
    }

    _appearance() {
      var raw = this.getAttribute('appearance');
      if (!raw) return undefined;
      try {
        var parsed = JSON.parse(raw);
        return parsed && typeof parsed === 'object' ? parsed : undefined;
      } catch (e) {
        console.warn('[stripe-payment-form] appearance is not valid JSON; using Stripe defaults');
        return undefined;
      }
    }

    // Our own button and field follow the same colours, font and corners as the Payment Element.
    _applyAppearanceToChrome() {
      var variables = (this._appearance() || {}).variables || {};
      var map = { colorPrimary: '--spf-primary', colorText: '--spf-text', fontFamily: '--spf-font', borderRadius: '--spf-radius' };
      for (var key in map) {
        if (variables[key]) this.style.setProperty(map[key], variables[key]);
        else this.style.removeProperty(map[key]);
      }
    }

    // Velo sets attributes one by one from its worker; wait a moment so they arrive together.
    _scheduleStart() {
      var self = this;
      clearTimeout(this._startTimer);
      this._startTimer = setTimeout(function () { self._start(); }, 30);
    }

    _start() {
      if (this._busy || this._state === 'succeeded') return;
      var config = this._config();
      if (config.redirect) {
        // Stripe Checkout takes the payment on its own page: no Stripe.js, no key needed here.
        if (!config.ingestUrl || !config.product) this._setState('idle');
        else if (this._state === 'idle') {
          if (config.firstName) this._nameInput.value = config.firstName;
          this._setState('details');
        }
        return;
      }
      if (!config.ingestUrl || !config.publishableKey || !config.product) {
        this._setState('idle');
        return;
      }
      loadStripeJs().catch(function () {}); // warm up while the customer types their name
      if (this._intent) return;
      if (config.firstName) {
        this._nameInput.value = config.firstName;
        this._createIntent();
      } else if (this._state === 'idle') {
        this._setState('details');
      }
    }

    _setState(state) {
      this._state = state;
      var button = this._button;
      var label = '';
      var spinning = false;
      var disabled = false;
      this._nameBlock.hidden = !(state === 'details' || (state === 'creating' && !this._config().firstName));
      // Until Velo has set the attributes (or the intent is on its way) the form looks like it loads.
      this._skeleton.hidden = !(state === 'idle' || (state === 'creating' && this._nameBlock.hidden));
      this._mountPoint.hidden = !(state === 'mounting' || state === 'ready' || state === 'confirming' || state === 'succeeded');
      button.hidden = state === 'idle';
      if (state === 'details') label = this._config().redirect ? TEXT.checkout : TEXT.continue;
      else if (state === 'redirecting') { label = TEXT.redirecting; spinning = true; disabled = true; }
      else if (state === 'creating') { label = TEXT.preparing; spinning = true; disabled = true; }
      else if (state === 'mounting') { label = this._payLabel(); disabled = true; }
      else if (state === 'ready') label = this._payLabel();
      else if (state === 'confirming') { label = TEXT.processing; spinning = true; disabled = true; }
      else if (state === 'succeeded') { label = TEXT.paid + ' ✓'; disabled = true; }
      else if (state === 'error') label = TEXT.tryAgain;
      this._buttonText.textContent = label;
      this._spinner.hidden = !spinning;
      button.disabled = disabled;
      button.setAttribute('aria-busy', spinning ? 'true' : 'false');
      this.setAttribute('data-state', state);
    }

    _payLabel() {
      if (!this._intent) return TEXT.pay;
      return TEXT.pay + ' ' + formatAmount(this._intent.amount, this._intent.currency, this._config().locale === 'auto' ? undefined : this._config().locale);
    }

    _showMessage(kind, text) {
      this._message.hidden = false;
      this._message.setAttribute('data-kind', kind);
      this._message.setAttribute('role', kind === 'error' ? 'alert' : 'status');
      this._message.textContent = text;
    }

    _clearMessage() {
      this._message.hidden = true;
      this._message.textContent = '';
    }

    _emit(name, detail) {
      this.dispatchEvent(new CustomEvent(name, { detail: detail, bubbles: true, composed: true }));
    }

    _fail(message, code, retryable) {
      this._showMessage('error', message);
      this._emit('failed', {
        message: message,
        code: code || null,
        retryable: retryable !== false,
        payment_intent_id: this._intent ? this._intent.payment_intent_id : null,
      });
    }

    _onSubmit() {
      // One click, one action: a second click (or Enter) while something runs does nothing.
      if (this._busy) return;
      if (this._config().redirect && (this._state === 'details' || this._state === 'error')) this._redirect();
      else if (this._state === 'details' || (this._state === 'error' && !this._intent)) this._createIntent();
      else if (this._state === 'error' && this._intent) this._mount();
      else if (this._state === 'ready') this._confirm();
    }

    // Both ways to pay need the buyer's first name: without one, ask for it and answer ''.
    _firstName(config) {
      var firstName = (this._nameInput.value || config.firstName).trim();
      if (!firstName) {
        this._setState('details');
        this._showMessage('error', TEXT.needFirstName);
        this._nameInput.focus();
      }
      return firstName;
    }

    _createIntent() {
      var config = this._config();
      var firstName = this._firstName(config);
      if (!firstName) return;
      this._busy = true;
      this._clearMessage();
      this._setState('creating');
      var body = { first_name: firstName, product: config.product, quantity: config.quantity };
      if (config.email) body.email = config.email;
      // The buyer's unfinished attempt: ingest answers it again (or makes a new intent for the
      // same Customer) instead of a new Customer per try.
      var previous = this._previous || this.getAttribute('previous-client-secret') || '';
      if (previous.indexOf('_secret_') > 0) {
        body.payment_intent_id = previous.split('_secret_')[0];
        body.client_secret = previous;
      }
      var self = this;
      this._withBotToken(config, body, function () { self._postIntent(config, body); });
    }

    // With the bot check on, every creation carries a fresh token (a token is good once).
    _withBotToken(config, body, send) {
      if (!(BOT_SCRIPTS[config.botCheck] && config.botSiteKey)) {
        send();
        return;
      }
      var self = this;
      botToken(config.botCheck, config.botSiteKey, this._botBox).then(
        function (token) { body.bot_token = token; send(); },
        function () {
          self._busy = false;
          self._setState('error');
          self._fail(TEXT.offline, 'bot_check_unavailable', true);
        }
      );
    }

    _postIntent(config, body) {
      var self = this;
      // A fresh key for every attempt (every click): ingest and Stripe collapse a request that the
      // network duplicated, yet a deliberate retry after a failure is a new attempt.
      postToIngest(config.ingestUrl + '/v1/payment-intents', body, idempotencyKey())
        .then(function (result) {
          self._busy = false;
          if (!result.ok) {
            self._setState(result.status === 400 && result.data.field === 'first_name' ? 'details' : 'error');
            self._fail(self._ingestMessage(result), 'ingest_' + result.status, result.status !== 400 || result.data.field === 'first_name');
            return;
          }
          var data = result.data;
          if (!data.client_secret || !data.payment_intent_id) {
            self._setState('error');
            self._fail(TEXT.unavailable, 'ingest_bad_response', true);
            return;
          }
          self._previous = null;
          self._intent = {
            client_secret: data.client_secret,
            payment_intent_id: data.payment_intent_id,
            amount: data.amount,
            currency: data.currency,
          };
          self._mount();
        })
        .catch(function () {
          self._busy = false;
          self._setState('error');
          self._fail(TEXT.offline, 'network', true);
        });
    }

    // mode=redirect: ingest makes a Checkout Session (amount from its catalog) and the customer
    // goes to Stripe's page; Stripe sends them back to return_url with checkout_session_id.
    _redirect() {
      var config = this._config();
      var firstName = this._firstName(config);
      if (!firstName) return;
      this._busy = true;
      this._clearMessage();
      this._setState('redirecting');
      var body = { first_name: firstName, product: config.product, quantity: config.quantity, return_url: this._returnUrl() };
      if (config.email) body.email = config.email;
      var self = this;
      this._withBotToken(config, body, function () { self._postSession(config, body); });
    }

    _postSession(config, body) {
      var self = this;
      postToIngest(config.ingestUrl + '/v1/checkout-sessions', body, idempotencyKey())
        .then(function (result) {
          var data = result.data || {};
          if (result.ok && data.url && data.checkout_session_id) {
            self._emit('redirecting', { checkout_session_id: data.checkout_session_id, url: data.url });
            window.location.assign(data.url);
            return; // busy until the page goes: a second click must not make a second session
          }
          self._busy = false;
          self._setState(result.ok ? 'error' : result.status === 400 && data.field === 'first_name' ? 'details' : 'error');
          self._fail(result.ok ? TEXT.unavailable : self._ingestMessage(result), result.ok ? 'ingest_bad_response' : 'ingest_' + result.status, result.status !== 400 || data.field === 'first_name');
        })
        .catch(function () {
          self._busy = false;
          self._setState('error');
          self._fail(TEXT.offline, 'network', true);
        });
    }

    // Records an intent Stripe says is final; true when it is (the caller drops it).
    _finish(intentId, status) {
      if (!intentId || FINAL_STATUSES.indexOf(status) < 0) return false;
      finishedIntents[intentId] = true;
      return true;
    }

    _ingestMessage(result) {
      var status = result.status;
      var data = result.data || {};
      // ingest's 400s name the field; their wording is for developers, this one for customers.
      if (status === 400 && data.field === 'first_name') return TEXT.badFirstName;
      if (status === 400) return TEXT.cannotSell;
      if (status === 402 && data.type === 'card_error' && data.error) return data.error;
      if (status === 403 && data.field === 'bot_token') return TEXT.botCheck;
      if (status === 403) return TEXT.refused;
      if (status === 429) return TEXT.tooMany;
      return TEXT.unavailable;
    }

    _mount() {
      var self = this;
      var config = this._config();
      if (finishedIntents[this._intent.payment_intent_id]) {
        // Stripe.js would refuse it (and it is paid or closed): ask ingest for a new one.
        this._resetIntent();
        this._createIntent();
        return;
      }
      this._busy = true;
      this._setState('mounting');
      loadStripeJs()
        .then(function (Stripe) {
          var cacheKey = config.publishableKey + '|' + config.locale;
          self._stripe = stripeInstances[cacheKey] || (stripeInstances[cacheKey] = Stripe(config.publishableKey, { locale: config.locale }));
          var elementsOptions = { clientSecret: self._intent.client_secret };
          var appearance = self._appearance();
          if (appearance) elementsOptions.appearance = appearance;
          self._elements = self._stripe.elements(elementsOptions);
          var options = {
            layout: { type: config.layout, defaultCollapsed: false },
            // 'auto': Apple Pay / Google Pay show where the browser, device and domain allow.
            wallets: { applePay: 'auto', googlePay: 'auto' },
          };
          if (config.email) options.defaultValues = { billingDetails: { email: config.email } };
          self._paymentElement = self._elements.create('payment', options);
          self._paymentElement.on('ready', function () {
            self._busy = false;
            self._setState('ready');
            self._emit('ready', {
              payment_intent_id: self._intent.payment_intent_id,
              amount: self._intent.amount,
              currency: self._intent.currency,
            });
          });
          self._paymentElement.on('change', function () {
            if (self._state === 'ready' && self._message.getAttribute('data-kind') === 'error') self._clearMessage();
          });
          self._paymentElement.on('loaderror', function (event) {
            var error = (event && event.error) || {};
            // Stripe.js refused this intent's client secret for its state: the next try gets a new one.
            if (error.code === 'payment_intent_unexpected_state') {
              self._finish(self._intent.payment_intent_id, 'canceled');
              self._resetIntent();
            }
            self._busy = false;
            self._setState('error');
            self._fail(customerMessage(event && event.error), 'loaderror', true);
          });
          self._paymentElement.mount(self._mountPoint);
        })
        .catch(function () {
          self._busy = false;
          self._setState('error');
          self._fail(TEXT.stripeMissing, 'stripe_js_unavailable', true);
        });
    }

    _confirm() {
      var self = this;
      var intent = this._intent;
      this._busy = true;
      this._clearMessage();
      this._setState('confirming');
      this._emit('processing', { payment_intent_id: intent.payment_intent_id, stage: 'confirming', message: TEXT.processing });
      // The first await of the click: wallets (Apple Pay's sheet) must open inside the user's gesture.
      this._stripe
        .confirmPayment({
          elements: this._elements,
          confirmParams: { return_url: this._returnUrl() },
          redirect: 'if_required',
        })
        .then(function (result) {
          self._busy = false;
          if (result.error) {
            var error = result.error;
            // The intent already left the payable states (paid elsewhere, canceled): start over.
            var errorIntent = error.payment_intent || {};
            if (self._finish(intent.payment_intent_id, errorIntent.status) || error.code === 'payment_intent_unexpected_state') self._resetIntent();
            self._setState(self._intent ? 'ready' : 'error');
            self._fail(customerMessage(error), error.decline_code || error.code || error.type, true);
            return;
          }
          var pi = result.paymentIntent || {};
          self._finish(intent.payment_intent_id, pi.status);
          if (pi.status === 'succeeded' || pi.status === 'requires_capture') {
            self._setState('succeeded');
            self._clearMessage();
            self._emit('succeeded', {
              payment_intent_id: intent.payment_intent_id,
              client_secret: intent.client_secret,
              amount: intent.amount,
              currency: intent.currency,
            });
          } else if (pi.status === 'processing') {
            self._setState('succeeded');
            self._showMessage('info', TEXT.pending);
            self._emit('processing', { payment_intent_id: intent.payment_intent_id, stage: 'pending', message: TEXT.pending });
          } else {
            self._setState('ready');
            var message = pi.last_payment_error ? customerMessage(pi.last_payment_error) : TEXT.unexpected;
            self._fail(message, pi.status || 'unknown', true);
          }
        })
        .catch(function () {
          self._busy = false;
          self._setState('ready');
          self._fail(TEXT.unexpected, 'confirm_exception', true);
        });
    }

    _returnUrl() {
      var configured = this.getAttribute('return-url');
      if (configured) return configured;
      // This page, without the query Stripe adds on a previous return.
      var url = new URL(window.location.href);
      RETURN_PARAMS.forEach(function (name) {
        url.searchParams.delete(name);
      });
      url.hash = '';
      return url.toString();
    }

    _resetIntent() {
      if (this._paymentElement) {
        try { this._paymentElement.destroy(); } catch (e) { /* already gone */ }
      }
      this._paymentElement = null;
      this._elements = null;
      if (this._intent) this._previous = this._intent.client_secret;
      this._intent = null;
      this._state = 'idle';
    }
  }

  if (!window.customElements.get(TAG)) window.customElements.define(TAG, StripePaymentForm);
})();
