// A stand-in for Velo's wix-location-frontend, only as much as wix/page-code.js uses. Not Wix.
const wixLocationFrontend = {
  get url() { return window.location.href; },
  get query() { return Object.fromEntries(new URL(window.location.href).searchParams); },
  queryParams: {
    add(params) {
      const url = new URL(window.location.href);
      Object.entries(params).forEach(([key, value]) => url.searchParams.set(key, value));
      window.history.replaceState(null, '', url);
    },
    remove(keys) {
      const url = new URL(window.location.href);
      keys.forEach((key) => url.searchParams.delete(key));
      window.history.replaceState(null, '', url);
    },
  },
};

export default wixLocationFrontend;
