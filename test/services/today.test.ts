import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { todayInShanghai } from '../../src/services/screening-service.ts'

describe('today in Asia/Shanghai (the default as-of date)', () => {
  it('turns at 16:00 UTC, going forward and back', () => {
    expect(todayInShanghai(new Date('2026-11-28T15:59:59.999Z'))).toBe('2026-11-28')
    expect(todayInShanghai(new Date('2026-11-28T16:00:00.000Z'))).toBe('2026-11-29')
    expect(todayInShanghai(new Date('2026-11-28T15:59:59.999Z'))).toBe('2026-11-28')
    expect(todayInShanghai(new Date('2023-12-31T16:00:00.000Z'))).toBe('2024-01-01')
  })

  it('agrees with the time-zone database on any instant', () => {
    const tz = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' })
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(1992, 0, 1), max: Date.UTC(2100, 0, 1) }), (t) => {
        expect(todayInShanghai(new Date(t))).toBe(tz.format(new Date(t)))
      }),
      { numRuns: 2000 },
    )
  })
})
