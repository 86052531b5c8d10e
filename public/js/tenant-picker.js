// The tenant picker a platform key gets: filled from GET /api/v1/tenants (every page, up to
// a bound), the default tenant first and preselected. The picked tenant scopes the Webhooks
// list and goes into create/publish bodies and list queries as tenant_id (operations.js).
import { errorMessage } from "./api.js";
import { DEFAULT_TENANT } from "./operations.js";

const PAGE_SIZE = 100;
const MAX_PAGES = 20;

const label = (tenant) => (tenant.name ? `${tenant.name} (${tenant.id})` : tenant.id);

/**
 * @param {{select: HTMLSelectElement, status: HTMLElement}} dom
 * @param {(operationId: string, values: object) => Promise<any>} call
 */
export function createTenantPicker(dom, call) {
  let generation = 0;

  async function fetchAll() {
    const tenants = [];
    let cursor = "";
    for (let page = 0; page < MAX_PAGES; page++) {
      const result = await call("list-tenants", { limit: String(PAGE_SIZE), cursor });
      if (!("status" in result) || result.status !== 200 || !Array.isArray(result.json?.data)) return { error: errorMessage(result) };
      tenants.push(...result.json.data);
      if (!result.json.pagination?.has_more) return { tenants };
      cursor = result.json.pagination.next_cursor;
    }
    return { tenants, truncated: true };
  }

  /** Refills the options, keeping the picked tenant while it still exists. */
  async function load() {
    const mine = ++generation;
    const keep = dom.select.value || DEFAULT_TENANT;
    dom.status.textContent = "Loading tenants…";
    const { tenants, error, truncated } = await fetchAll();
    if (mine !== generation) return;
    if (error) {
      dom.status.textContent = `Could not list tenants: ${error}`;
      return;
    }
    const sorted = [...tenants].sort((a, b) => (a.id === DEFAULT_TENANT ? -1 : b.id === DEFAULT_TENANT ? 1 : a.id.localeCompare(b.id)));
    dom.select.replaceChildren(...sorted.map((t) => new Option(label(t), t.id)));
    dom.select.value = sorted.some((t) => t.id === keep) ? keep : DEFAULT_TENANT;
    dom.status.textContent = truncated ? `The first ${PAGE_SIZE * MAX_PAGES} tenants are listed.` : "";
  }

  return {
    load,
    /** The picked tenant's id; the default tenant until the list has loaded. */
    value: () => dom.select.value || DEFAULT_TENANT,
  };
}
