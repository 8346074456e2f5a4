import { describe, expect, it } from 'vitest'
import { decisionLogXlsx } from '../../src/reports/decision-log.ts'
import type { DecisionLogRow } from '../../src/services/decision-log.ts'

const ROWS = 200_000
const PAGE = 1_000

function row(k: number): DecisionLogRow {
  return {
    auditSequence: k,
    lineNo: 1,
    screeningId: `0190a5e4-0000-7000-8000-${String(k).padStart(12, '0')}`,
    declarationId: `D${k}`,
    direction: 'import',
    customsOffice: '7201',
    decidedAt: 1_735_689_600_000 + k * 1000,
    hsCode: '2909309016',
    casNumbers: ['1163-19-5'],
    decision: 'BLOCK',
    reasonCodes: ['CAS_LISTED'],
    groups: ['decabde'],
    quantity: '1000',
    unit: '035',
    declarationDecision: 'BLOCK',
    registryVersion: '2025.1',
    auditHash: `sha256:${'a'.repeat(64)}`,
    reviewStatus: null,
    reviewOutcome: null,
    reviewOfficer: null,
    reviewReasonCode: null,
    reviewedAt: null,
  }
}

async function* pages() {
  for (let p = 0; p < ROWS / PAGE; p++) yield Array.from({ length: PAGE }, (_, i) => row(p * PAGE + i))
}

describe('decision log as XLSX', () => {
  // exceljs's sheet stream hands its XML to the zip without waiting for the compression, so a writer that
  // only watched its own output held the whole sheet in buffers (~1 KB a row: ~200 MB here, 600 MiB for a
  // year of 1,000,000 lines). The writer now also waits for the zip to take what the sheet made.
  it('holds buffers for a few pages at most, however many rows the log has', async () => {
    const labels = { hsText: () => '其他醚', groupNames: () => ({ zh: '十溴二苯醚', en: 'decaBDE' }) }
    const out = decisionLogXlsx(pages(), labels, {
      filter: { from: '2025-01-01', to: '2025-12-31' },
      exportedAt: new Date('2026-11-30T00:00:00Z'),
    })
    const start = process.memoryUsage().arrayBuffers
    let peak = 0
    let bytes = 0
    for await (const chunk of out) {
      bytes += chunk.length
      peak = Math.max(peak, process.memoryUsage().arrayBuffers - start)
    }
    expect(bytes).toBeGreaterThan(2 * 2 ** 20)
    expect(peak).toBeLessThan(64 * 2 ** 20)
  }, 120_000)
})
