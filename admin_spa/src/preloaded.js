// The modules app.js loads before its first screen that lazily loaded screens import too.
// Every lazily loaded screen imports this file, so that esbuild puts these modules in the one
// chunk app.js shares with all of them rather than in a small chunk per set of screens that
// share one: each small chunk was one more request before the first screen could show, and on
// a server that gives a page six connections (HTTP/1.1, as the local CDN) the first screen's
// API reads queued behind them. build.mjs fails if app.js loads more than one chunk.
import "./router.js";
import "./referrals.js";
import "./screens/campaigns.js";
