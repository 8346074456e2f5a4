import { z } from 'zod'
import {
  DECISION_LOG_COLUMNS,
  decisionLogCsv,
  decisionLogCsvHeader,
  decisionLogXlsx,
  type Labels,
  xlsxPageRows,
} from '../../reports/decision-log.ts'
import { POPS_TRADE_HTML_CSP, popsTradeCsv, popsTradeHtml } from '../../reports/pops-trade-render.ts'
import { decisionLogCsvCopy, decisionLogPages, groupNamesByVersion } from '../../services/decision-log.ts'
import type { Services } from '../../services/index.ts'
import { todayInShanghai } from '../../services/screening-service.ts'
import { problemResponses } from '../schemas/common.ts'
import { PopsTradeReport } from '../schemas/report.ts'
import { streamBody } from '../stream-response.ts'
import type { App } from '../types.ts'

/** A day in Asia/Shanghai within the years the contract allows (1900–2100). */
const Day = z.iso
  .date()
  .refine((d) => d >= '1900-01-01' && d <= '2100-12-31', 'a date in the years 1900–2100')

const Query = z
  .object({
    from: Day.optional().describe('first day (Asia/Shanghai), included; default 1 January of this year'),
    to: Day.optional().describe('last day (Asia/Shanghai), included; default today'),
    direction: z.enum(['import', 'export']).optional(),
    format: z.enum(['json', 'csv', 'html']).default('json'),
  })
  .refine((q) => !q.from || !q.to || q.from <= q.to, {
    path: ['to'],
    message: '`to` is before `from`',
  })

const DecisionLogQuery = z
  .object({
    from: Day.optional().describe('first day (Asia/Shanghai), included; default the first of this month'),
    to: Day.optional().describe('last day (Asia/Shanghai), included; default today'),
    direction: z.enum(['import', 'export']).optional(),
    decision: z.enum(['ALLOW', 'REVIEW', 'BLOCK']).optional().describe('the line’s decision'),
    substance: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'a registry group id such as `decabde`')
      .optional()
      .describe('lines that met this registry group'),
    customsOffice: z
      .string()
      .regex(/^[0-9]{4}$/, '4 digits (关区代码)')
      .optional(),
    format: z.enum(['csv', 'xlsx']).default('csv'),
  })
  .refine((q) => !q.from || !q.to || q.from <= q.to, { path: ['to'], message: '`to` is before `from`' })

const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'

export async function reportRoutes(app: App, { tradeReport, database, nomenclature }: Services) {
  app.get(
    '/v1/reports/pops-trade',
    {
      config: { roles: ['officer', 'auditor', 'admin'] },
      schema: {
        operationId: 'popsTradeReport',
        tags: ['reports'],
        summary: 'The POPs import/export report for a period (contract §8)',
        description:
          'Per substance group met, split by direction and by month, HS code, trade country and customs office: declarations, lines, kilograms (units `kg` and `035`; other units listed apart), declared value per currency, initial decision and final disposition after review. Each declaration counts once, by its latest screening in the period; a line meeting two groups counts in each and once in the totals. Days are in Asia/Shanghai. `csv`: one table, UTF-8 with BOM for Excel. `html`: a printable Chinese report (A4) with charts, no script.',
        querystring: Query,
        response: {
          200: {
            description: 'the report',
            content: {
              'application/json': { schema: PopsTradeReport },
              'text/csv': { schema: z.string() },
              'text/html': { schema: z.string() },
            },
          },
          ...problemResponses,
        },
      },
    },
    async (request, reply) => {
      const today = todayInShanghai()
      const { format, direction } = request.query
      const from = request.query.from ?? `${today.slice(0, 4)}-01-01`
      const to = request.query.to ?? (from > today ? `${from.slice(0, 4)}-12-31` : today)
      // A long read like the exports: a year's report keeps two backends busy for seconds, the first on
      // the pool screenings use, so reports at once are bounded by the exports' slots (503 beyond them).
      app.longReads.hold(reply)
      const report = await tradeReport.report({ from, to, direction })
      const name = `popscreen-pops-trade-${from}-${to}`
      if (format === 'csv') {
        reply.header('content-disposition', `attachment; filename="${name}.csv"`)
        return reply.type('text/csv; charset=utf-8').send(popsTradeCsv(report))
      }
      if (format === 'html')
        return reply
          .header('content-security-policy', POPS_TRADE_HTML_CSP)
          .type('text/html; charset=utf-8')
          .send(popsTradeHtml(report))
      return report
    },
  )

  app.get(
    '/v1/reports/decision-log',
    {
      config: { roles: ['officer', 'auditor', 'admin'] },
      schema: {
        operationId: 'decisionLog',
        tags: ['reports'],
        summary: 'One row per screened line, for auditors, as CSV or XLSX',
        description: `Lines decided in the period (days in Asia/Shanghai, both included), in chain order (newest last), streamed. Columns (bilingual headers): ${DECISION_LOG_COLUMNS.map((c) => c.header).join(' | ')}. The final disposition is the officer’s outcome for REVIEW lines of a resolved case, REVIEW while open, else the line’s decision. CSV: UTF-8 with BOM. XLSX: frozen, filterable header row, times as Excel dates, codes as text, a second sheet with the filters, registry versions, export time and chain range. No cell exceeds 32,767 characters; text starting with = + - @ is prefixed with '.`,
        querystring: DecisionLogQuery,
        response: {
          200: {
            description: 'the decision log',
            content: { 'text/csv': { schema: z.string() }, [XLSX_TYPE]: { schema: z.string() } },
          },
          ...problemResponses,
        },
      },
    },
    async (request, reply) => {
      // A year of lines takes minutes to download; the idle-socket timeout would cut it.
      request.raw.socket?.setTimeout?.(0)
      const today = todayInShanghai()
      const { format, ...rest } = request.query
      const from = rest.from ?? `${today.slice(0, 8)}01`
      const to = rest.to ?? [from, today].sort()[1]!
      const filter = { ...rest, from, to }
      // An export like the audit chain's: a slot of the long reads and their own connections, and cut like it
      // when the client reads too slowly (or not at all), or it would hold both for as long as it liked.
      app.longReads.hold(reply)
      const { minBytesPerSecond } = app.longReads
      const db = database.exportDb
      const names = await groupNamesByVersion(db)
      reply.header(
        'content-disposition',
        `attachment; filename="popscreen-decision-log-${from}-${to}.${format}"`,
      )
      if (format === 'csv' && database.copyOut) {
        const statements = await decisionLogCsvCopy(db, filter, {
          hsText: (code) => nomenclature.describe(code)?.description ?? null,
          groupNames: names,
        })
        const rows = database.copyOut(statements)
        const body = async function* () {
          yield decisionLogCsvHeader()
          yield* rows
        }
        return streamBody(request, reply, 'text/csv; charset=utf-8', body(), minBytesPerSecond)
      }
      const labels: Labels = {
        hsText: (code) => nomenclature.describe(code)?.description ?? null,
        groupNames: (version, id) => names.get(version)?.get(id),
      }
      if (format === 'xlsx')
        return streamBody(
          request,
          reply,
          XLSX_TYPE,
          decisionLogXlsx(decisionLogPages(db, filter, xlsxPageRows(database.driver)), labels, {
            filter,
            exportedAt: new Date(),
          }),
          minBytesPerSecond,
        )
      return streamBody(
        request,
        reply,
        'text/csv; charset=utf-8',
        decisionLogCsv(decisionLogPages(db, filter), labels),
        minBytesPerSecond,
      )
    },
  )
}
