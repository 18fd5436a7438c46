export { schema, type Config, type SettingName } from './schema.js';
export { loadConfig, renderConfig, ConfigError, type LoadedConfig } from './load.js';
