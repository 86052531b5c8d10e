// The Request Preview panel: one tab per language (WAI-ARIA tabs, arrow keys move), the
// snippet of the request the console would send, and Copy.
import { LANGUAGES, snippet } from "./snippets.js";

const $ = (id) => document.getElementById(id);

export function createPreviewPanel() {
  let language = "curl";
  let request;

  function render() {
    if (request) $("snippet-code").textContent = snippet(language, request);
  }

  function selectLanguage(id) {
    language = id;
    for (const tab of $("snippet-tabs").children) {
      const selected = tab.dataset.language === id;
      tab.setAttribute("aria-selected", String(selected));
      tab.tabIndex = selected ? 0 : -1;
    }
    $("snippet-panel").setAttribute("aria-labelledby", `tab-${id}`);
    render();
  }

  function fillTabs() {
    const tablist = $("snippet-tabs");
    for (const { id, label } of LANGUAGES) {
      const tab = document.createElement("button");
      Object.assign(tab, { type: "button", id: `tab-${id}`, textContent: label });
      tab.setAttribute("role", "tab");
      tab.setAttribute("aria-controls", "snippet-panel");
      tab.dataset.language = id;
      tab.addEventListener("click", () => selectLanguage(id));
      tablist.append(tab);
    }
    // Arrow keys move between tabs (automatic activation).
    tablist.addEventListener("keydown", (event) => {
      const index = LANGUAGES.findIndex((l) => l.id === language);
      const moves = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: LANGUAGES.length - 1 };
      if (!(event.key in moves)) return;
      event.preventDefault();
      const next = LANGUAGES[(moves[event.key] + LANGUAGES.length) % LANGUAGES.length].id;
      selectLanguage(next);
      $(`tab-${next}`).focus();
    });
  }

  async function copySnippet() {
    const text = $("snippet-code").textContent;
    const status = $("copy-status");
    try {
      await navigator.clipboard.writeText(text);
      status.textContent = "Copied to the clipboard.";
    } catch {
      // No clipboard permission (e.g. plain http on another host): select it for Ctrl+C.
      const range = document.createRange();
      range.selectNodeContents($("snippet-code"));
      getSelection().removeAllRanges();
      getSelection().addRange(range);
      status.textContent = "Selected; press Ctrl+C to copy.";
    }
    $("copy-snippet").textContent = "Copied";
    setTimeout(() => ($("copy-snippet").textContent = "Copy"), 1500);
  }

  fillTabs();
  selectLanguage(language);
  $("copy-snippet").addEventListener("click", copySnippet);
  return {
    /** Shows the snippet of `next` in the selected language. */
    show(next) {
      request = next;
      render();
    },
  };
}
