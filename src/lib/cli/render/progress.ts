/** A count of pairs as every transfer message writes it: "1 pair", "400,000 pairs". */
export function formatPairs(pairs: number): string {
  return `${pairs.toLocaleString('en-US')} ${pairs === 1 ? 'pair' : 'pairs'}`
}

/** The single line `kv import` redraws on a terminal's stderr. */
export function importProgressLine(pairs: number, bytesRead: number, totalBytes: number | undefined, width = 24): string {
  const count = formatPairs(pairs)
  if (!totalBytes) return `Importing… ${count}`
  const fraction = Math.min(1, Math.max(0, bytesRead / totalBytes))
  const filled = Math.round(fraction * width)
  return `Importing [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${Math.floor(fraction * 100)}% ${count}`
}

/** Redraws one status line on a terminal, at most every `intervalMs`. */
export class ProgressLine {
  private lastDraw = 0
  private drawn = false

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly intervalMs = 100,
  ) {}

  update(text: string, force = false): void {
    const now = Date.now()
    if (!force && now - this.lastDraw < this.intervalMs) return
    this.lastDraw = now
    this.drawn = true
    this.stream.write(`\r${text}\u001B[K`)
  }

  clear(): void {
    if (this.drawn) this.stream.write('\r\u001B[K')
    this.drawn = false
  }
}
