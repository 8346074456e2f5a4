import { Readable } from 'node:stream'
import { and, gt, gte, lt, type SQL, sql } from 'drizzle-orm'
import { screenDeclaration } from '../core/screen.ts'
import { prepareDeclaration } from '../core/screening-request.ts'
import type { RegistrySnapshot } from '../core/snapshot.ts'
import type { Outcome } from '../core/types.ts'
import { type Db, queryRows } from '../db/client.ts'
import { auditEvents, screenings } from '../db/schema.ts'
import { PAGE_BYTES } from './audit-log.ts'
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
      const conditions: SQL[] = []
      if (from) conditions.push(gte(screenings.createdAt, from))
      if (to) conditions.push(lt(screenings.createdAt, to))
      if (after) conditions.push(gt(screenings.id, after))
      // At most PAGE screenings and, like the audit pages, at most PAGE_BYTES of payload text (plus one
      // payload): 500 maximum-size payloads a page ran the process out of memory.
      const rows = await queryRows<{
        id: string
        declarationId: string
        asOf: string
        registryVersion: string
        payload: string
        running: string | number
        bytes: string | number
      }>(
        this.db,
        sql`select * from (select screenings.id, declaration_id as "declarationId", as_of::text as "asOf",
            screenings.registry_version as "registryVersion", payload::text as payload,
            sum(octet_length(payload::text)) over (order by screenings.id) as running,
            octet_length(payload::text) as bytes
          from ${screenings} join ${auditEvents} on ${ITS_AUDIT_EVENT}
          ${conditions.length > 0 ? sql`where ${and(...conditions)}` : sql``}
          order by screenings.id limit ${PAGE}) as page
        where running - bytes < ${PAGE_BYTES} order by id`,
      )
      for (const row of rows) {
        counts.checked++
        const item = compare(row, snapshot)
        if (item) yield item
      }
      const last = rows[rows.length - 1]
      if (!last || (rows.length < PAGE && Number(last.running) < PAGE_BYTES)) return
      after = last.id
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
    payload: string
  },
  snapshot: RegistrySnapshot,
): ImpactItem | null {
  const { request, response: old } = JSON.parse(row.payload) as ScreeningPayload
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
