// Builds the Discord message for a traffic-source alert: one embed coloured by level, cut to
// Discord's embed limits, with mentions disabled so alert text can never ping @everyone.
// The result is stored as the event body and sent as-is on every attempt.

export type AlertLevel = "fatal" | "warning" | "info";

export const LEVEL_COLOURS: Record<AlertLevel, number> = {
  fatal: 0xe74c3c, // red
  warning: 0xf39c12, // amber
  info: 0x3498db, // blue
};

/** https://discord.com/developers/docs/resources/message#embed-object-embed-limits */
export const EMBED_LIMITS = {
  title: 256,
  description: 4096,
  fields: 25,
  fieldName: 256,
  fieldValue: 1024,
  footer: 2048,
  total: 6000,
} as const;

export interface AlertField {
  name: string;
  value: string;
  inline?: boolean;
}

export interface AlertContent {
  level: AlertLevel;
  title: string;
  message: string;
  fields?: AlertField[];
  /** Shown in the footer, so a channel shared by several sources says which one spoke. */
  sourceName: string;
  createdAt: number;
}

/** Cuts to at most `max` UTF-16 units, ending with "…" when cut, never splitting a surrogate pair. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= 0) return "";
  let end = max - 1;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  return text.slice(0, end) + "…";
}

export function buildDiscordMessage(alert: AlertContent) {
  const title = truncate(alert.title, EMBED_LIMITS.title);
  const footer = truncate(`${alert.level.toUpperCase()} · ${alert.sourceName}`, EMBED_LIMITS.footer);
  // The 6000-character budget covers title, description, field names and values, and footer.
  let budget = EMBED_LIMITS.total - title.length - footer.length;
  const description = truncate(alert.message, Math.min(EMBED_LIMITS.description, budget));
  budget -= description.length;
  const fields: AlertField[] = [];
  for (const field of (alert.fields ?? []).slice(0, EMBED_LIMITS.fields)) {
    const name = truncate(field.name, EMBED_LIMITS.fieldName);
    const value = truncate(field.value, Math.min(EMBED_LIMITS.fieldValue, budget - name.length));
    if (name.length === 0 || value.length === 0) break; // out of budget: later fields are dropped
    fields.push(field.inline === undefined ? { name, value } : { name, value, inline: field.inline });
    budget -= name.length + value.length;
  }
  const embed = {
    title,
    description,
    color: LEVEL_COLOURS[alert.level],
    ...(fields.length > 0 ? { fields } : {}),
    footer: { text: footer },
    timestamp: new Date(alert.createdAt).toISOString(),
  };
  return { embeds: [embed], allowed_mentions: { parse: [] as string[] } };
}
