// Builds the frozen Config from (in order of precedence) explicit overrides such as CLI flags,
// the environment, and the schema's defaults. Parsed once at start; invalid values stop the
// process with a message that names the variable.

import { resolve } from 'node:path';
import { schema, type Config, type Setting, type SettingName } from './schema.js';

export type ConfigSource = 'override' | 'env' | 'default';

export interface LoadedConfig {
  config: Config;
  /** Where each value came from, for `lapis config print`. */
  sources: Record<SettingName, { source: ConfigSource; env?: string }>;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

function parse(name: string, setting: Setting, raw: string | number | boolean): string | number | boolean {
  if (setting.kind === 'bool') {
    if (typeof raw === 'boolean') return raw;
    const v = String(raw).toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(v)) return true;
    if (['false', '0', 'no', 'off'].includes(v)) return false;
    throw new ConfigError(`${name} must be true or false, got '${raw}'`);
  }
  if (setting.kind !== 'int') return String(raw);
  const n = typeof raw === 'number' ? raw : Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new ConfigError(`${name} must be a non-negative integer, got '${raw}'`);
  return n;
}

export function loadConfig(
  overrides: Partial<Record<SettingName, string | number | boolean | undefined>> = {},
  env: NodeJS.ProcessEnv = process.env,
): LoadedConfig {
  const values: Record<string, string | number | boolean | undefined> = {};
  const sources = {} as LoadedConfig['sources'];
  for (const [name, setting] of Object.entries(schema) as [SettingName, Setting][]) {
    const override = overrides[name];
    const envName = setting.env.find((e) => env[e] !== undefined && env[e] !== '');
    if (override !== undefined) {
      values[name] = parse(name, setting, override);
      sources[name] = { source: 'override' };
    } else if (envName) {
      values[name] = parse(envName, setting, env[envName]!);
      sources[name] = { source: 'env', env: envName };
    } else {
      values[name] = setting.default();
      sources[name] = { source: 'default' };
    }
  }
  if (typeof values.dataDir === 'string' && values.dataDir !== ':memory:') values.dataDir = resolve(values.dataDir);
  if (values.llamaThreads === 0) throw new ConfigError('llamaThreads must be at least 1');
  return { config: Object.freeze(values) as unknown as Config, sources };
}

/** The config as a table of lines, secrets redacted. */
export function renderConfig({ config, sources }: LoadedConfig): string {
  const rows = (Object.entries(schema) as [SettingName, Setting][]).map(([name, setting]) => {
    const value = config[name];
    const shown = value === undefined ? '(unset)' : setting.kind === 'secret' ? '(set, hidden)' : String(value);
    const from = sources[name].source === 'env' ? `env ${sources[name].env}` : sources[name].source;
    return [name, shown, from, setting.env.join(', '), setting.description];
  });
  const header = ['setting', 'value', 'from', 'env', 'description'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < cells.length - 1 ? c.padEnd(widths[i]!) : c)).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}
