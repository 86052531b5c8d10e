// Renders one answer in the Response panel: status and time, headers, and the body as
// pretty JSON (or as text when it is not JSON).
import { element } from "./dom.js";

function statusClass(status) {
  if (status >= 500) return "status-5xx";
  if (status >= 400) return "status-4xx";
  if (status >= 300) return "status-3xx";
  return "status-2xx";
}

/** @param {HTMLElement} container @param {Awaited<ReturnType<import("./api.js").send>>} result */
export function renderResponse(container, result, extraActions = []) {
  if (!("status" in result)) {
    container.replaceChildren(
      element("p", { class: "status-line" }, [element("span", { class: "status status-5xx", text: "Network error" }), element("span", { class: "timing", text: `${result.ms} ms` })]),
      element("p", { class: "error-text", text: `The request did not complete: ${result.error}` }),
    );
    return;
  }
  const status = element("span", { class: `status ${statusClass(result.status)}`, id: "response-status", text: `${result.status} ${result.statusText}`.trim() });
  const timing = element("span", { class: "timing", id: "response-time", text: `${result.ms} ms` });
  const headerRows = result.headers.map(([name, value]) => element("tr", {}, [element("th", { scope: "row", text: name }), element("td", { text: value })]));
  const headers = element("details", { class: "headers", open: "" }, [
    element("summary", { text: `Headers (${result.headers.length})` }),
    element("table", {}, [element("tbody", {}, headerRows)]),
  ]);
  const text = result.isJson ? JSON.stringify(result.json, null, 2) : result.text;
  const body = element("pre", { class: "code response-json", id: "response-json", tabindex: "0", "aria-label": "Response body" }, [
    element("code", { text: text === "" ? "(empty body)" : text }),
  ]);
  container.replaceChildren(element("p", { class: "status-line" }, [status, timing]), ...extraActions, headers, body);
}
