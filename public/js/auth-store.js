// The keys typed into Authentication live in memory only, unless the user ticks "remember":
// then, and only then, they are written to this browser's local storage.
const STORAGE_KEY = "hookrelay.console.auth";

/** @returns {{bearer: string, apiKey: string, userToken: string} | undefined} */
export function loadRememberedAuth() {
  try {
    const stored = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? "null");
    if (stored && typeof stored === "object") {
      return { bearer: String(stored.bearer ?? ""), apiKey: String(stored.apiKey ?? ""), userToken: String(stored.userToken ?? "") };
    }
  } catch {
    // Unreadable or blocked storage: behave as if nothing was remembered.
  }
  return undefined;
}

export function rememberAuth(auth) {
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify({ bearer: auth.bearer, apiKey: auth.apiKey, userToken: auth.userToken ?? "" }));
  } catch {
    // Storage disabled (private mode, quota): the keys simply stay in memory.
  }
}

export function forgetAuth() {
  try {
    localStorage.removeItem(STORAGE_KEY);
  } catch {}
}
