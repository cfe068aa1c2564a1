// A stand-in for Velo's $w, only as much as wix/page-code.js uses. Not Wix.
//
// Like Velo, page code never touches the DOM: attributes reach the custom element a moment
// later (Velo runs page code in a worker) and event details arrive as copies of plain data.
function wrap(element) {
  return {
    get text() { return element.textContent; },
    set text(value) { element.textContent = value; },
    setAttribute(name, value) {
      setTimeout(() => element.setAttribute(name, String(value)), 0);
    },
    on(name, callback) {
      element.addEventListener(name, (event) => {
        callback({ type: name, detail: JSON.parse(JSON.stringify(event.detail ?? null)) });
      });
    },
    show() { element.hidden = false; },
    hide() { element.hidden = true; },
    expand() { element.hidden = false; },
    collapse() { element.hidden = true; },
    get hidden() { return element.hidden; },
  };
}

function $w(selector) {
  const element = document.querySelector(selector);
  if (!element) throw new Error(`$w: no element ${selector} on this page`);
  return wrap(element);
}

$w.onReady = (callback) => {
  // Module scripts run after the document is parsed: the page is as ready as Velo's.
  // __veloOnReadyDone lets a test wait until the page code's onReady has returned.
  Promise.resolve().then(callback).finally(() => { globalThis.__veloOnReadyDone = true; });
};

globalThis.$w = $w;
