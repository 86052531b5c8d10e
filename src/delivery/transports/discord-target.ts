// Where a traffic-source webhook's `value` sends to. Two forms are accepted:
//  - a Discord webhook URL, https://discord.com/api/webhooks/{id}/{token} (also the
//    discordapp.com, canary. and ptb. hosts and a versioned /api/vN path, which Discord hands
//    out too). Only its id and token are used: the request goes to DISCORD_API_BASE, never to
//    the stored host, so a stored value cannot point requests anywhere else;
//  - a channel id (a snowflake: digits), sent through the bot API with DISCORD_BOT_TOKEN.
//    Any 1–20 digits are accepted: clients send short example ids such as "123456789", not
//    only real 17–20 digit snowflakes (docs/api-guide.md, surface B).

export type DiscordTarget = { kind: "webhook"; webhookId: string; token: string } | { kind: "channel"; channelId: string };

const WEBHOOK_URL = /^https:\/\/(?:(?:canary|ptb)\.)?discord(?:app)?\.com\/api(?:\/v\d{1,2})?\/webhooks\/(\d{1,20})\/([A-Za-z0-9_-]{1,128})\/?$/;
const CHANNEL_ID = /^\d{1,20}$/;

/** For the schema: a value that parseDiscordTarget accepts. */
export const DISCORD_VALUE_PATTERN = `^(?:\\d{1,20}|${WEBHOOK_URL.source.slice(1, -1)})$`;

export const DISCORD_VALUE_RULE =
  "Must be a Discord webhook URL (https://discord.com/api/webhooks/{id}/{token}) or a Discord channel id (digits)";

export function parseDiscordTarget(value: string): DiscordTarget | undefined {
  if (CHANNEL_ID.test(value)) return { kind: "channel", channelId: value };
  const match = WEBHOOK_URL.exec(value);
  if (match) return { kind: "webhook", webhookId: match[1]!, token: match[2]! };
  return undefined;
}
