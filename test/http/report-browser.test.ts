import { existsSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fillScreenedLines } from '../../scripts/fill-screened-lines.ts'
import { CHROMIUM, launchChromium } from '../helpers/chromium.ts'
import { createTestApp, type TestApp } from '../helpers/test-app.ts'

/**
 * The HTML trade report in a real browser (Chromium from the distribution, driven by playwright-core):
 * served with its own Content-Security-Policy, its charts must be drawn. Skipped where there is no
 * Chromium. REPORT_SCREENSHOT=docs/pops-trade-report.png also writes the README's screenshot.
 */

let t: TestApp
beforeAll(async () => {
  if (!existsSync(CHROMIUM)) return
  t = await createTestApp()
  await fillScreenedLines(t.runtime.services.database.db, 4_000, { year: 2025 })
}, 300_000)
afterAll(() => t?.close())

describe.skipIf(!existsSync(CHROMIUM))('the HTML trade report in Chromium', () => {
  it('renders its charts under its own CSP, no script and nothing blocked', async () => {
    const res = await t.app.inject({
      url: '/v1/reports/pops-trade?from=2025-01-01&to=2025-12-31&format=html',
      headers: await t.auth('auditor'),
    })
    expect(res.statusCode).toBe(200)
    const browser = await launchChromium()
    try {
      const page = await browser.newPage({ viewport: { width: 794, height: 1123 } }) // A4 at 96 dpi
      const problems: string[] = []
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(m.text())
      })
      page.on('pageerror', (e) => problems.push(e.message))
      await page.route('http://popscreen.test/report', (route) =>
        route.fulfill({
          status: 200,
          headers: {
            'content-type': String(res.headers['content-type']),
            'content-security-policy': String(res.headers['content-security-policy']),
          },
          body: res.body,
        }),
      )
      await page.goto('http://popscreen.test/report')
      const charts = await page.$$eval('svg.chart', (svgs) =>
        svgs.map((svg) => {
          const box = svg.getBoundingClientRect()
          const bars = [...svg.querySelectorAll('rect.bar')].map((r) => r.getBoundingClientRect())
          return {
            width: box.width,
            height: box.height,
            bars: bars.length,
            drawn: bars.filter((b) => b.width > 0 && b.height > 0).length,
          }
        }),
      )
      expect(charts.length).toBeGreaterThanOrEqual(4)
      for (const chart of charts) {
        expect(chart.width).toBeGreaterThan(300)
        expect(chart.height).toBeGreaterThan(50)
        expect(chart.drawn).toBeGreaterThan(0)
        expect(chart.drawn).toBe(chart.bars)
      }
      // The inline style was allowed by the CSP's hash: tables collapse their borders as it says.
      expect(
        await page.$eval(
          'table',
          (el) =>
            (
              globalThis as unknown as { getComputedStyle(e: unknown): { borderCollapse: string } }
            ).getComputedStyle(el).borderCollapse,
        ),
      ).toBe('collapse')
      expect(await page.$$eval('script', (s) => s.length)).toBe(0)
      expect(problems).toEqual([])
      if (process.env.REPORT_SCREENSHOT) {
        // The charts section: from its heading to the end of its last figure.
        const clip = await page.$$eval('h2, figure', (els) => {
          const boxes = els.map((e) => ({ tag: e.tagName, box: e.getBoundingClientRect() }))
          const start = boxes.filter((b) => b.tag === 'H2')[1]!.box
          const end = boxes.filter((b) => b.tag === 'FIGURE').at(-1)!.box
          return {
            x: 0,
            y: start.top + (globalThis as unknown as { scrollY: number }).scrollY - 8,
            width: 794,
            height: end.bottom - start.top + 16,
          }
        })
        await page.screenshot({ path: process.env.REPORT_SCREENSHOT, fullPage: true, clip })
      }
    } finally {
      await browser.close()
    }
  }, 120_000)
})
