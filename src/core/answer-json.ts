import { canonicalJson } from './canonical-json.ts'
import type { Extracted } from './declaration-elements.ts'
import type { SnapshotJson } from './snapshot.ts'
import type { Advisory, LineResult, Matched, Reason } from './types.ts'

/**
 * The canonical JSON (RFC 8785) of a screening's lines, written member by member in canonical key order from
 * fragments the registry snapshot escaped once (substances, legal bases) and the HS texts the nomenclature
 * escaped once, so a line costs a few concatenations. A generic canonicaliser sorted the keys of six objects
 * per line and escaped the same long texts again on every line; it was the largest single cost of a
 * multi-line screening. A property test holds the result equal to `canonicalJson` of the same lines.
 */
export interface AnswerLine extends LineResult {
  hs: { code: string; subheading: string | null; description: string | null }
  /** DecMessage screenings only. */
  extracted?: Extracted | undefined
}

const json = JSON.stringify

function matchedJson(m: Matched): string {
  return `{"field":${json(m.field)},"kind":${json(m.kind)},"value":${json(m.value)}}`
}

/** The members a reason or advisory of `substanceId` ends with, prepared by the snapshot. */
function groupTail(item: Reason | Advisory, texts: SnapshotJson): string {
  return (
    texts.groupTail.get(item.substanceId!) ??
    `"substance":${canonicalJson(item.substance)},"substanceId":${json(item.substanceId)}`
  )
}

function reasonJson(r: Reason, texts: SnapshotJson): string {
  return (
    `{"code":${json(r.code)},"legalBasis":${texts.legalBasis.get(r.legalBasis) ?? json(r.legalBasis)},` +
    `"matched":${matchedJson(r.matched)},"message":{"en":${json(r.message.en)},"zh":${json(r.message.zh)}},` +
    `"outcome":${json(r.outcome)},${groupTail(r, texts)}}`
  )
}

function advisoryJson(a: Advisory, texts: SnapshotJson): string {
  const head =
    `{"code":${json(a.code)},"matched":${matchedJson(a.matched)},` +
    `"message":{"en":${json(a.message.en)},"zh":${json(a.message.zh)}}`
  // UNREADABLE_CAS names a token of the declaration, not a registry group; STRICTER_TODAY's facts follow
  // (`today` sorts after `substanceId`).
  const group = a.substanceId === undefined ? '' : `,${groupTail(a, texts)}`
  return `${head}${group}${a.today ? `,"today":${canonicalJson(a.today)}` : ''}}`
}

function listJson<T>(
  items: readonly T[],
  write: (item: T, texts: SnapshotJson) => string,
  texts: SnapshotJson,
) {
  let out = '['
  for (let i = 0; i < items.length; i++) out += (i > 0 ? ',' : '') + write(items[i]!, texts)
  return `${out}]`
}

/**
 * `canonicalJson(lines)`, assembled from prepared fragments; `hsTails[i]` is the members that follow
 * `"hs":{"code":…,` in line i: `"description":…,"subheading":…`, as the nomenclature prepared them.
 */
export function answerLinesJson(
  lines: readonly AnswerLine[],
  texts: SnapshotJson,
  hsTails: readonly string[],
): string {
  let out = '['
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    out +=
      `${i > 0 ? ',' : ''}{"advisories":${listJson(line.advisories, advisoryJson, texts)},` +
      `"decision":${json(line.decision)},${line.extracted ? `"extracted":${canonicalJson(line.extracted)},` : ''}` +
      `"hs":{"code":${json(line.hs.code)},${hsTails[i]}},` +
      `"lineNo":${json(line.lineNo)},"reasons":${listJson(line.reasons, reasonJson, texts)}}`
  }
  return `${out}]`
}
