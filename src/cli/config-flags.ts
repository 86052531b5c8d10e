// Command-line options that mirror the environment contract (README, Configuration): `--port 8080` is
// PORT=8080, and so on for every variable with a default. An option wins over the variable.
// Secrets (ADMIN_API_KEY, DISCORD_BOT_TOKEN) have no option: argv is visible to every user of
// the machine through ps, the environment is not.
import { ConfigError, DEFAULTS, loadConfig, type Config } from "../config";
import { UsageError } from "./args";

export type ConfigVariable = keyof typeof DEFAULTS;

export interface ConfigFlag {
  option: string;
  variable: ConfigVariable;
  defaultValue: string;
}

export const CONFIG_FLAGS: readonly ConfigFlag[] = (Object.keys(DEFAULTS) as ConfigVariable[]).map((variable) => ({
  option: variable.toLowerCase().replaceAll("_", "-"),
  variable,
  defaultValue: DEFAULTS[variable],
}));

/**
 * Loads the configuration from the environment overlaid with the options given. Only the
 * variables in `uses` are read from the environment (a command is not stopped by a bad value
 * it has no use for); every option given is checked, since it was typed for this command. A bad
 * option is a command-line mistake (UsageError, exit 2) named by the option; a bad variable
 * is a ConfigError (exit 1) named by the variable.
 */
export function loadCliConfig(
  options: ReadonlyMap<string, string | true>,
  env: Record<string, string | undefined>,
  uses?: ReadonlySet<string>,
): Config {
  const merged = { ...env };
  for (const flag of CONFIG_FLAGS) {
    const value = options.get(flag.option);
    if (typeof value !== "string") continue;
    try {
      loadConfig({ [flag.variable]: value }, new Set([flag.variable]));
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      // ConfigError messages start with the variable's name: the option replaces it.
      throw new UsageError(`--${flag.option}${e.message.slice(flag.variable.length)}`);
    }
    merged[flag.variable] = value;
  }
  if (!uses) return loadConfig(merged);
  return loadConfig(merged, new Set([...uses, ...CONFIG_FLAGS.filter((f) => options.has(f.option)).map((f) => f.variable)]));
}
