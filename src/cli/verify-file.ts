import type { KeyObject } from 'node:crypto'
import { createReadStream, readFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { type AuditEvent, type ChainVerdict, ChainVerifier } from '../core/audit-chain.ts'
import { type Checkpoint, checkpointSignatureValid, publicKeysOfPem } from '../core/checkpoint.ts'
import { DuplicateKeyError, parseStrictJson } from '../core/strict-json.ts'

export interface SignedCheckpoints {
  checkpoints: Checkpoint[]
  publicKeys: Map<string, KeyObject>
}

/**
 * Checkpoints from a file: a JSON array, the list answer of GET /v1/audit/checkpoints (`{items}`), or
 * one checkpoint per line.
 */
export function readCheckpointsFile(path: string): Checkpoint[] {
  const text = readFileSync(path, 'utf8').trim()
  if (text === '') return []
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return text.split('\n').flatMap((line) => (line.trim() ? [JSON.parse(line) as Checkpoint] : []))
  }
  if (Array.isArray(parsed)) return parsed as Checkpoint[]
  const { items } = parsed as { items?: unknown }
  if (Array.isArray(items)) return items as Checkpoint[]
  return [parsed as Checkpoint]
}

/**
 * Public keys from a file: PEM (one or more `PUBLIC KEY` blocks), or the JSON of GET /v1/audit/public-key
 * or GET /v1/audit/public-keys.
 */
export function readPublicKeysFile(path: string): Map<string, KeyObject> {
  const text = readFileSync(path, 'utf8')
  if (text.trimStart().startsWith('{')) {
    const parsed = JSON.parse(text) as { publicKeyPem?: string; items?: { publicKeyPem: string }[] }
    const pems = parsed.items?.map((k) => k.publicKeyPem) ?? [parsed.publicKeyPem ?? '']
    return publicKeysOfPem(pems.join('\n'))
  }
  return publicKeysOfPem(text)
}

/** Why a file that starts at `first` (past sequence 1) cannot be verified from its start. */
function startProblem(first: AuditEvent, anchor: Checkpoint | undefined, signed: boolean): string {
  const head = `the file starts at sequence ${first.sequence}, not at sequence 1 from the genesis hash`
  if (anchor)
    return `${head}, and its prevHash differs from the checkpoint signed at ${anchor.at} for sequence ${anchor.sequence}: the history before it was rewritten`
  return signed
    ? `${head}, and no checkpoint given is for sequence ${first.sequence - 1}, the event before it: its first lines may have been cut (a partial export verifies from the checkpoint before its first event: list the checkpoints without from=, or from earlier)`
    : `${head}: its first lines may have been cut (a partial export verifies only from a signed checkpoint of the event before it: give --checkpoints and --public-key)`
}

/** Verifies an NDJSON export line by line, without the database; with `signed`, against its checkpoints too. */
export async function verifyFile(path: string, signed?: SignedCheckpoints): Promise<ChainVerdict> {
  const bySequence = new Map<number, Checkpoint>()
  for (const c of signed?.checkpoints ?? []) bySequence.set(c.sequence, c)
  let verifier: ChainVerifier | null = null
  let lineNo = 0
  let lastSequence = 0
  if (signed) {
    // A checkpoint that does not verify proves nothing: refuse it before reading the export.
    for (const c of [...bySequence.values()].sort((a, b) => a.sequence - b.sequence)) {
      const key = signed.publicKeys.get(c.keyId)
      const problem = !key
        ? `checkpoint at sequence ${c.sequence} is signed by key ${c.keyId}, which is not among the public keys given`
        : !checkpointSignatureValid(c, key)
          ? `checkpoint at sequence ${c.sequence} has a signature that does not verify under key ${c.keyId}`
          : null
      if (problem) {
        verifier = new ChainVerifier(null)
        verifier.failAt(c.sequence, problem)
        return verifier.verdict()
      }
    }
  }
  const lines = createInterface({
    input: createReadStream(path, 'utf8'),
    crlfDelay: Number.POSITIVE_INFINITY,
  })
  for await (const line of lines) {
    lineNo++
    if (line.trim() === '') continue
    let event: AuditEvent
    try {
      event = parseStrictJson(line) as AuditEvent
    } catch (err) {
      verifier ??= new ChainVerifier(null)
      verifier.failAt(
        lastSequence + 1,
        err instanceof DuplicateKeyError
          ? `line ${lineNo}: ${err.message}; JSON readers disagree on which copy counts, so the line cannot verify`
          : `line ${lineNo} is not valid JSON`,
      )
      break
    }
    if (!verifier) {
      // The file's first prevHash is only what the file says: trusted from the genesis hash (sequence 1),
      // or from a signed checkpoint of the event before it. A file with its first lines cut has neither.
      const anchor = bySequence.get(event.sequence - 1)
      if (event.sequence > 1 && anchor?.hash !== event.prevHash) {
        verifier = new ChainVerifier(null)
        verifier.failAt(event.sequence, startProblem(event, anchor, Boolean(signed)))
        break
      }
      verifier = new ChainVerifier(
        event.sequence > 1 && anchor ? { sequence: anchor.sequence, hash: anchor.hash } : null,
      )
    }
    lastSequence = event.sequence
    if (!verifier.push(event)) break
    const checkpoint = bySequence.get(event.sequence)
    if (checkpoint && checkpoint.hash !== event.hash) {
      verifier.failAt(
        event.sequence,
        `the export's hash at sequence ${event.sequence} differs from the checkpoint signed at ${checkpoint.at}: the history was rewritten`,
      )
      break
    }
  }
  verifier ??= new ChainVerifier(null)
  if (verifier.verdict().ok) {
    // Checkpoints past the export's end sign events the export does not have.
    const beyond = [...bySequence.values()].filter((c) => c.sequence > lastSequence)
    const last = beyond.sort((a, b) => b.sequence - a.sequence)[0]
    if (last)
      verifier.failAt(
        lastSequence + 1,
        `the export ends at sequence ${lastSequence}, but a checkpoint signed at ${last.at} covers events up to sequence ${last.sequence}: the tail is missing`,
      )
  }
  return verifier.verdict()
}
