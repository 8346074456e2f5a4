import { z } from 'zod'
import { POPS_TRADE_HTML_CSP, popsTradeCsv, popsTradeHtml } from '../../reports/pops-trade-render.ts'
import type { Services } from '../../services/index.ts'
import { todayInShanghai } from '../../services/screening-service.ts'
import { problemResponses } from '../schemas/common.ts'
import { PopsTradeReport } from '../schemas/report.ts'
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

export async function reportRoutes(app: App, { tradeReport }: Services) {
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
}
