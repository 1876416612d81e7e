/** The same bytes as a Buffer, without copying (better-sqlite3 and HTTP replies take Buffers). */
export function toBuffer(value: Uint8Array): Buffer {
  return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength)
}
