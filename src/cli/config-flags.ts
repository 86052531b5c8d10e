// Command-line options that mirror the environment contract (README, Configuration): `--port 8080` is
// PORT=8080, and so on for every variable with a default. An option wins over the variable.
// Secrets (ADMIN_API_KEY, DISCORD_BOT_TOKEN) have no option: argv is visible to every user of
// the machine through ps, the environment is not.
import { ConfigError, DEFAULTS, loadConfig, type Config } from "../config";

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

/** Loads the configuration from the environment overlaid with the options given. */
export function loadCliConfig(options: ReadonlyMap<string, string | true>, env: Record<string, string | undefined>): Config {
  const merged = { ...env };
  const fromOption = new Map<string, string>();
  for (const flag of CONFIG_FLAGS) {
    const value = options.get(flag.option);
    if (typeof value !== "string") continue;
    merged[flag.variable] = value;
    fromOption.set(flag.variable, flag.option);
  }
  try {
    return loadConfig(merged);
  } catch (e) {
    // ConfigError messages start with the variable's name; say which option set it.
    const variable = e instanceof ConfigError ? /^[A-Z_]+/.exec(e.message)?.[0] : undefined;
    const option = variable && fromOption.get(variable);
    if (option) throw new ConfigError(`${(e as Error).message} (from --${option})`);
    throw e;
  }
}
