// The side drawer the Deliveries and Events views open: a modal <dialog>, so the browser keeps
// focus inside it and makes the page behind inert. Opening moves focus to its heading; Escape
// or Close shuts it and focus goes back to the button that opened it.
import { element } from "./dom.js";

/**
 * @param {HTMLDialogElement} dialog the page's one drawer
 * @returns {{ open: (title: string, content: HTMLElement[], opener?: HTMLElement) => void,
 *   replace: (content: HTMLElement[]) => void, close: () => void, isOpen: () => boolean,
 *   onClose: (listener: () => void) => void }}
 */
export function createDrawer(dialog) {
  const heading = element("h2", { id: "drawer-title", tabindex: "-1" });
  const closeButton = element("button", { type: "button", class: "secondary small", text: "Close", "aria-label": "Close the details" });
  const body = element("div", { class: "drawer-body" });
  dialog.setAttribute("aria-labelledby", "drawer-title");
  dialog.replaceChildren(element("div", { class: "drawer-head" }, [heading, closeButton]), body);
  let opener;
  /** True from an open until the close has been handled (once, whichever way it closed). */
  let closing = false;
  const listeners = [];

  /** What follows a close, however it came: listeners, then focus back where it came from. */
  function afterClose() {
    if (!closing) return;
    closing = false;
    for (const listener of listeners) listener();
    // A refresh may have redrawn the list meanwhile: then the same button, found by its name.
    const label = opener?.getAttribute("aria-label");
    const target = opener?.isConnected ? opener : label ? [...document.querySelectorAll("button[aria-label]")].find((b) => b.getAttribute("aria-label") === label) : undefined;
    target?.focus();
    opener = undefined;
  }
  // Focus moves back at once, not when the close event comes a task later.
  const close = () => {
    if (!dialog.open) return;
    dialog.close();
    afterClose();
  };
  closeButton.addEventListener("click", close);
  dialog.addEventListener("cancel", (event) => {
    // Escape: closed here, so that focus moves back at once too.
    event.preventDefault();
    close();
  });
  // A click on the backdrop (outside the panel) closes it too.
  dialog.addEventListener("click", (event) => {
    if (event.target === dialog) close();
  });
  dialog.addEventListener("close", afterClose);

  return {
    open(title, content, from = document.activeElement) {
      opener = from instanceof HTMLElement ? from : undefined;
      heading.textContent = title;
      body.replaceChildren(...content);
      if (!dialog.open) dialog.showModal();
      closing = true;
      body.scrollTop = 0;
      heading.focus();
    },
    replace(content) {
      body.replaceChildren(...content);
    },
    close,
    isOpen: () => dialog.open,
    onClose: (listener) => listeners.push(listener),
  };
}
