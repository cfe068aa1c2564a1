// A stand-in for Velo's wix-window-frontend, only as much as wix/page-code.js uses. Not Wix.
//
// rendering.env is "browser" here, as in Wix's browser pass. Wix also runs page code once on
// its server ("backend") on a first visit; a test sets window.__veloRenderingEnv = 'backend'
// before the page loads to play that pass.
const wixWindowFrontend = {
  rendering: {
    get env() { return globalThis.__veloRenderingEnv || 'browser'; },
  },
};

export default wixWindowFrontend;
