// How the views write times and results.

export function formatTime(iso) {
  if (typeof iso !== "string") return "—";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

/** "in 4 s", "3 min ago": beside a time that is near. */
export function relativeTime(iso, now = Date.now()) {
  const date = new Date(iso);
  if (typeof iso !== "string" || Number.isNaN(date.getTime())) return "";
  const seconds = Math.round((date.getTime() - now) / 1000);
  const size = Math.abs(seconds);
  const [amount, unit] = size < 90 ? [size, "s"] : size < 5400 ? [Math.round(size / 60), "min"] : size < 129600 ? [Math.round(size / 3600), "h"] : [Math.round(size / 86400), "d"];
  if (amount === 0) return "now";
  return seconds > 0 ? `in ${amount} ${unit}` : `${amount} ${unit} ago`;
}

/** The last attempt's HTTP status, else its error, shortened for a table cell. */
export function lastResult(delivery) {
  if (typeof delivery.last_status_code === "number") return `HTTP ${delivery.last_status_code}`;
  if (typeof delivery.last_error === "string" && delivery.last_error !== "") {
    return delivery.last_error.length > 40 ? `${delivery.last_error.slice(0, 39)}…` : delivery.last_error;
  }
  return "—";
}

/** A JSON value as the code blocks show it. */
export const prettyJson = (value) => JSON.stringify(value, null, 2);
