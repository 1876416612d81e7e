import {isUtf8} from 'node:buffer'
/** The same bytes as a Buffer, without copying (better-sqlite3 and HTTP replies take Buffers). */
export function toBuffer(value: Uint8Array): Buffer {
  return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength)
}

/** The bytes of the UTF-8 character this byte starts (1 for one no character starts with, which isUtf8 refuses). */
export function utf8Length(lead: number): number {
  return lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1
}

const NEWLINE = Buffer.from('\n')

/**
 * What `kv get` writes: the value byte for byte, so that pipes and redirects get exactly what
 * was stored; on a terminal, a newline after it when it has none, so the prompt starts on a
 * line of its own.
 */
export function valueForStdout(value: Uint8Array, stdoutIsTerminal: boolean): Buffer {
  const bytes = toBuffer(value)
  if (!stdoutIsTerminal) return bytes
  // A Spin counter would print as raw bytes: show the number it holds.
  if (looksLikeCounter(bytes)) return Buffer.from(`${decodeCounter(bytes)}\n`)
  return bytes.at(-1) !== 0x0a ? Buffer.concat([bytes, NEWLINE]) : bytes
}

/**
 * Spin's atomic counters (spin crates/key-value-spin, `increment`): a whole number stored as an
 * 8-byte little-endian i64, the only value its increment accepts.
 */
export const COUNTER_BYTES = 8

export function encodeCounter(value: bigint): Buffer {
  const bytes = Buffer.alloc(COUNTER_BYTES)
  bytes.writeBigInt64LE(value)
  return bytes
}

export function decodeCounter(bytes: Uint8Array): bigint {
  return toBuffer(bytes).readBigInt64LE()
}

/** Eight bytes that are not printable text: what Spin's increment leaves. */
export function looksLikeCounter(bytes: Uint8Array): boolean {
  if (bytes.byteLength !== COUNTER_BYTES) return false
  const buffer = toBuffer(bytes)
  // eslint-disable-next-line no-control-regex
  return !isUtf8(buffer) || /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(buffer.toString('utf8'))
}
