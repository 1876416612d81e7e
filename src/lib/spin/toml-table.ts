/** A TOML table as smol-toml parses it. */
export type TomlTable = Record<string, unknown>

/** Whether a parsed TOML value is a table (not an array, a date or a scalar). */
export function isTomlTable(value: unknown): value is TomlTable {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date)
}
