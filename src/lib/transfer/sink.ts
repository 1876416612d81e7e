import type {Writable} from 'node:stream'

/**
 * Writes chunks to a stream, waiting when its buffer is full so that memory stays flat.
 * A reader that goes away early (`kvcloud kv keys | head`) is not an error for us: writing
 * stops and `false` comes back, as Unix tools do on a closed pipe. Other write errors throw.
 */
export async function writeChunks(stream: Writable, chunks: AsyncIterable<string | Uint8Array>): Promise<boolean> {
  let failure: NodeJS.ErrnoException | undefined
  let wake: (() => void) | undefined
  const onError = (error: NodeJS.ErrnoException) => {
    failure = error
    wake?.()
  }
  const onDrain = () => wake?.()
  stream.on('error', onError)
  stream.on('drain', onDrain)
  stream.on('close', onDrain)
  try {
    for await (const chunk of chunks) {
      if (failure) break
      if (!stream.write(chunk) && !failure) {
        await new Promise<void>((resolve) => {
          wake = resolve
        })
        wake = undefined
      }
      if (failure) break
    }
  } finally {
    stream.off('error', onError)
    stream.off('drain', onDrain)
    stream.off('close', onDrain)
  }
  if (failure && failure.code !== 'EPIPE') throw failure
  return failure === undefined
}
