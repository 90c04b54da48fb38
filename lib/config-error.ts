/** A setting hubmesh cannot run with: its message is one line naming the variable and the way out. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}
