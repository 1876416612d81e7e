/** The same bytes as a Buffer, without copying (better-sqlite3 and HTTP replies take Buffers). */
export function toBuffer(value: Uint8Array): Buffer {
  return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength)
}

const NEWLINE = Buffer.from('\n')

/**
 * What `kv get` writes: the value byte for byte, so that pipes and redirects get exactly what
 * was stored; on a terminal, a newline after it when it has none, so the prompt starts on a
 * line of its own.
 */
export function valueForStdout(value: Uint8Array, stdoutIsTerminal: boolean): Buffer {
  const bytes = toBuffer(value)
  return stdoutIsTerminal && bytes.at(-1) !== 0x0a ? Buffer.concat([bytes, NEWLINE]) : bytes
}
