import type {Limits} from '../backend.js'
import type {UserConfig} from './config.js'
import {InvalidInputError} from '../errors.js'
import {DEFAULT_LIMITS, formatBytes} from '../validation.js'

// The settings `kvcloud config get/set` expose, by their command-line names.

interface ConfigKeySpec {
  limit: keyof Limits
  description: string
  min: number
  max: number
}

// SQLite's default SQLITE_MAX_LENGTH (1,000,000,000 bytes) caps one key or value in a store file.
const SQLITE_MAX_LENGTH = 1_000_000_000

export const CONFIG_KEYS = {
  'max-key-bytes': {
    limit: 'maxKeyBytes',
    description: 'Longest key accepted, in bytes of UTF-8',
    min: 1,
    max: 65_536,
  },
  'max-value-bytes': {
    limit: 'maxValueBytes',
    description: 'Largest value accepted, in bytes',
    min: 1,
    max: SQLITE_MAX_LENGTH,
  },
} as const satisfies Record<string, ConfigKeySpec>

export type ConfigKey = keyof typeof CONFIG_KEYS
export const CONFIG_KEY_NAMES = Object.keys(CONFIG_KEYS) as ConfigKey[]

export interface ConfigEntry {
  key: ConfigKey
  value: number
  /** "config" when set in the config file, "default" otherwise. */
  source: 'config' | 'default'
  default: number
  description: string
}

export function readConfigEntry(config: UserConfig, key: ConfigKey): ConfigEntry {
  const spec = CONFIG_KEYS[key]
  const configured = config.settings.limits?.[spec.limit]
  return {
    key,
    value: configured ?? DEFAULT_LIMITS[spec.limit],
    source: configured === undefined ? 'default' : 'config',
    default: DEFAULT_LIMITS[spec.limit],
    description: spec.description,
  }
}

/** Parses a value for `key`: a whole number of bytes within the key's range. */
export function parseConfigValue(key: ConfigKey, text: string): number {
  const spec = CONFIG_KEYS[key]
  const value = /^\d+$/.test(text.trim()) ? Number(text.trim()) : Number.NaN
  if (!Number.isSafeInteger(value) || value < spec.min || value > spec.max) {
    throw new InvalidInputError(
      `Invalid value "${text}" for ${key}: it must be a whole number of bytes from ${spec.min} to ${spec.max.toLocaleString('en-US')}.`,
      [`The default is ${describeBytes(DEFAULT_LIMITS[spec.limit])}.`],
    )
  }
  return value
}

export function writeConfigValue(config: UserConfig, key: ConfigKey, value: number): ConfigEntry {
  const spec = CONFIG_KEYS[key]
  config.set('limits', {...config.settings.limits, [spec.limit]: value})
  return readConfigEntry(config, key)
}

/** "256 bytes", or "1048576 (1 MiB)" when a shorter unit says it better. */
export function describeBytes(bytes: number): string {
  const short = formatBytes(bytes)
  return short === `${bytes} bytes` ? short : `${bytes} (${short})`
}
