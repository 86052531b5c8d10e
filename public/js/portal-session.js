// The token of a portal link (`/#portal=<token>`, made by POST /api/v1/tenants/{id}/portal).
// It arrives in the URL fragment, which browsers never send to a server; on load it moves to
// this tab's session storage (never local storage: it must not outlive the tab) and the URL
// entry is rewritten without it, so neither the address bar nor the history holds it.
const STORAGE_KEY = "hookrelay.console.portal";

/** Moves a `portal=` token out of the URL into session storage; returns this tab's token. */
export function takePortalToken() {
  const params = new URLSearchParams(location.hash.slice(1));
  const fromUrl = params.get("portal");
  if (fromUrl !== null) {
    params.delete("portal");
    const rest = params.toString();
    // replaceState rewrites the current history entry itself: Back cannot bring the token back.
    history.replaceState(history.state, "", location.pathname + location.search + (rest ? `#${rest}` : ""));
    try {
      sessionStorage.setItem(STORAGE_KEY, fromUrl);
    } catch {
      // Storage blocked: the token lives in this page only and a reload signs out.
      return fromUrl;
    }
  }
  try {
    return sessionStorage.getItem(STORAGE_KEY) ?? fromUrl ?? undefined;
  } catch {
    return fromUrl ?? undefined;
  }
}

export function forgetPortalToken() {
  try {
    sessionStorage.removeItem(STORAGE_KEY);
  } catch {}
}
