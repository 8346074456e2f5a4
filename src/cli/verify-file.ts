import { createReadStream } from 'node:fs'
import { createInterface } from 'node:readline'
import { type AuditEvent, ChainVerifier } from '../core/audit-chain.ts'

/** Verifies an NDJSON export line by line, without the database. */
export async function verifyFile(path: string) {
  const lines = createInterface({
    input: createReadStream(path, 'utf8'),
    crlfDelay: Number.POSITIVE_INFINITY,
  })
  let verifier: ChainVerifier | null = null
  let lineNo = 0
  let lastSequence = 0
  for await (const line of lines) {
    lineNo++
    if (line.trim() === '') continue
    let event: AuditEvent
    try {
      event = JSON.parse(line) as AuditEvent
    } catch {
      verifier ??= new ChainVerifier(null)
      verifier.failAt(lastSequence + 1, `line ${lineNo} is not valid JSON`)
      break
    }
    // An export that starts mid-chain can only check links from its first event on.
    verifier ??= new ChainVerifier(
      event.sequence > 1 ? { sequence: event.sequence - 1, hash: event.prevHash } : null,
    )
    lastSequence = event.sequence
    if (!verifier.push(event)) break
  }
  return (verifier ?? new ChainVerifier(null)).verdict()
}
