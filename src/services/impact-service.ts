import { Readable } from 'node:stream'
import { and, asc, gt, gte, lt } from 'drizzle-orm'
import { screenDeclaration } from '../core/screen.ts'
import { prepareDeclaration } from '../core/screening-request.ts'
import type { RegistrySnapshot } from '../core/snapshot.ts'
import type { Outcome } from '../core/types.ts'
import type { Db } from '../db/client.ts'
import { auditEvents, screenings } from '../db/schema.ts'
import type { RegistryService } from './registry-service.ts'
import { ITS_AUDIT_EVENT, type ScreeningPayload } from './screening-service.ts'

export interface ImpactItem {
  screeningId: string
  declarationId: string
  asOf: string
  registryVersion: string
  decision: { old: Outcome; new: Outcome }
  lines: { lineNo: number; old: Outcome; new: Outcome }[]
}

const PAGE = 500

/** Which past screenings a registry version would decide differently, re-decided with the pure core. */
export class ImpactService {
  constructor(
    private readonly db: Db,
    private readonly registry: RegistryService,
  ) {}

  async *changes(version: string, from: Date | undefined, to: Date | undefined, counts: { checked: number }) {
    const snapshot = await this.registry.snapshotOf(version)
    let after: string | null = null
    for (;;) {
      const conditions = []
      if (from) conditions.push(gte(screenings.createdAt, from))
      if (to) conditions.push(lt(screenings.createdAt, to))
      if (after) conditions.push(gt(screenings.id, after))
      const rows = await this.db
        .select({
          id: screenings.id,
          declarationId: screenings.declarationId,
          asOf: screenings.asOf,
          registryVersion: screenings.registryVersion,
          payload: auditEvents.payload,
        })
        .from(screenings)
        .innerJoin(auditEvents, ITS_AUDIT_EVENT)
        .where(and(...conditions))
        .orderBy(asc(screenings.id))
        .limit(PAGE)
      for (const row of rows) {
        counts.checked++
        const item = compare(row, snapshot)
        if (item) yield item
      }
      if (rows.length < PAGE) return
      after = rows[rows.length - 1]!.id
    }
  }

  /** The whole answer as a JSON document written piece by piece, so memory does not follow the window. */
  stream(version: string, from: Date | undefined, to: Date | undefined): Readable {
    const counts = { checked: 0 }
    const self = this
    return Readable.from(
      (async function* () {
        yield `{"version":${JSON.stringify(version)},"items":[`
        let changed = 0
        for await (const item of self.changes(version, from, to, counts)) {
          yield `${changed > 0 ? ',' : ''}${JSON.stringify(item)}`
          changed++
        }
        yield `],"checked":${counts.checked},"changed":${changed}}`
      })(),
      { objectMode: false },
    )
  }
}

function compare(
  row: {
    id: string
    declarationId: string
    asOf: string
    registryVersion: string
    payload: unknown
  },
  snapshot: RegistrySnapshot,
): ImpactItem | null {
  const { request, response: old } = row.payload as ScreeningPayload
  const result = screenDeclaration(prepareDeclaration(request, row.asOf), snapshot)
  const lines = result.lines
    .map((line, i) => ({ lineNo: line.lineNo, old: old.lines[i]!.decision, new: line.decision }))
    .filter((l) => l.old !== l.new)
  if (lines.length === 0 && result.decision === old.decision) return null
  return {
    screeningId: row.id,
    declarationId: row.declarationId,
    asOf: row.asOf,
    registryVersion: row.registryVersion,
    decision: { old: old.decision, new: result.decision },
    lines,
  }
}
