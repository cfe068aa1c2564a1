// A stand-in for Velo's wix-fetch: the browser's fetch. Not Wix.
export const fetch = (...args) => window.fetch(...args);
