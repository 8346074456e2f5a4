import { mkdirSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SCREENING_REQUEST_EXAMPLES } from '../../src/http/docs/examples/screening-requests.ts'
import { launchChromium } from '../helpers/chromium.ts'
import { createTestApp, type TestApp } from '../helpers/test-app.ts'

/**
 * An officer's day in /docs, in Chromium: authorize, screen with a listed example, work a review case.
 * UPDATE_SCREENSHOTS=1 also writes the README's screenshots to docs/screenshots/.
 */
const SCREENSHOTS = process.env.UPDATE_SCREENSHOTS === '1' ? 'docs/screenshots' : null

let t: TestApp
let browser: Browser
let base: string
let officerKey: string

beforeAll(async () => {
  t = await createTestApp({ RATE_LIMIT_MAX: '1000' })
  await t.app.listen({ host: '127.0.0.1', port: 0 })
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`
  officerKey = await t.key('officer', '凭祥海关 李明')
  browser = await launchChromium()
  if (SCREENSHOTS) mkdirSync(SCREENSHOTS, { recursive: true })
})
afterAll(async () => {
  await browser?.close()
  await t?.close()
})

async function openDocs(page: Page, hash = '') {
  await page.goto(`${base}/docs/${hash}`)
  await page.locator('.information-container').waitFor()
}

async function authorize(page: Page, key: string) {
  await page.locator('button.authorize').first().click()
  const dialog = page.locator('.modal-ux')
  await dialog.locator('input').first().fill(key)
  await dialog.locator('.auth-btn-wrapper button.authorize').click()
  await dialog.locator('button.btn-done').click()
}

/** Expands an operation, presses "Try it out" and returns its block. */
async function tryOut(page: Page, tag: string, operationId: string) {
  const block = page.locator(`#operations-${tag}-${operationId}`)
  await block.locator('.opblock-summary').first().click()
  await block.locator('button.try-out__btn').click()
  return block
}

async function execute(block: ReturnType<Page['locator']>) {
  await block.locator('button.execute').click()
  const live = block.locator('.live-responses-table')
  await live.waitFor()
  return live
}

async function shot(page: Page, name: string) {
  if (SCREENSHOTS) await page.screenshot({ path: `${SCREENSHOTS}/${name}.png`, fullPage: false })
}

/** A screenshot of an answer's body, whole rather than in its scrolling box. */
async function shotBody(live: ReturnType<Page['locator']>, name: string) {
  if (!SCREENSHOTS) return
  const body = live.locator('.response-col_description .highlight-code').first()
  // Through the CSSOM, which the page's CSP allows (a style element it refuses).
  await body.locator('pre').evaluate((pre) => {
    ;(pre as unknown as { style: { maxHeight: string } }).style.maxHeight = 'none'
  })
  await body.screenshot({ path: `${SCREENSHOTS}/${name}.png` })
}

describe('/docs in Chromium', () => {
  it('shows the Chinese guide, keeps the key across a reload in sessionStorage only, and screens the decaBDE example to BLOCK', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN' })
    await openDocs(page)
    await expect(page.locator('.information-container').textContent()).resolves.toContain('使用指南')
    const tags = await page
      .locator('h3.opblock-tag')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-tag')))
    expect(tags).toEqual([
      'screening',
      'substances',
      'reviews',
      'events',
      'audit',
      'reports',
      'registry',
      'keys',
      'operations',
    ])
    expect(await page.locator('section.models').count()).toBe(0)
    await shot(page, 'docs-guide')

    await authorize(page, officerKey)
    await page.reload()
    await page.locator('.information-container').waitFor()
    const storage = await page.evaluate(() => {
      // The page's Web Storage (the test's tsconfig has no DOM types).
      type WebStorage = { getItem(key: string): string | null }
      const { sessionStorage, localStorage } = globalThis as unknown as Record<string, WebStorage>
      return { session: sessionStorage!.getItem('popscreen.authorized'), local: Object.keys(localStorage!) }
    })
    expect(storage.session).toContain(officerKey)
    expect(storage.local).toEqual([])

    const block = await tryOut(page, 'screening', 'createScreening')
    const example = 'block-decabde-import'
    expect(SCREENING_REQUEST_EXAMPLES[example]).toBeDefined()
    await block.locator('.opblock-section-request-body .examples-select select').selectOption(example)
    await block.locator('.opblock-section-request-body').scrollIntoViewIfNeeded()
    await shot(page, 'docs-screening-example')
    const live = await execute(block)
    const body = await live.locator('.response-col_description .microlight').first().textContent()
    expect(body).toContain('"decision": "BLOCK"')
    expect(body).toContain('自2023-06-06起禁止进口')
    await expect(block.getByText('Request duration').count()).resolves.toBeGreaterThan(0)
    await shotBody(live, 'docs-screening-block')
    await page.close()
  })

  it('works one review case: finds it in the queue, resolves it with a listed example, and the screening shows the disposition', async () => {
    const screened = await t.app.inject({
      method: 'POST',
      url: '/v1/screenings',
      headers: { authorization: `Bearer ${officerKey}` },
      payload: SCREENING_REQUEST_EXAMPLES['review-hcbd-reference-standard-for-lab']!.value,
    })
    expect(screened.json().decision).toBe('REVIEW')
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN' })
    await openDocs(page)
    await authorize(page, officerKey)

    const queue = await tryOut(page, 'reviews', 'listReviews')
    await queue.locator('tr[data-param-name="status"] select').selectOption('open')
    const listed = await execute(queue)
    const page1 = JSON.parse(
      (await listed.locator('.response-col_description .microlight').first().textContent()) ?? '',
    )
    const item = page1.items.find(
      (c: { screeningId: string }) => c.screeningId === screened.json().screeningId,
    )
    expect(item.status).toBe('open')
    await shotBody(listed, 'docs-review-queue')

    const resolve = await tryOut(page, 'reviews', 'resolveReview')
    await resolve.locator('tr[data-param-name="id"] input').fill(item.id)
    await resolve
      .locator('.opblock-section-request-body .examples-select select')
      .selectOption('allow-reference-standard-permit-verified')
    const resolved = await execute(resolve)
    const answer = JSON.parse(
      (await resolved.locator('.response-col_description .microlight').first().textContent()) ?? '',
    )
    expect(answer).toMatchObject({
      id: item.id,
      status: 'resolved',
      resolution: { outcome: 'ALLOW', reasonCode: 'PERMIT_VERIFIED' },
    })
    await shotBody(resolved, 'docs-review-resolved')
    await page.close()

    const stored = await t.app.inject({
      url: `/v1/screenings/${screened.json().screeningId}`,
      headers: { authorization: `Bearer ${officerKey}` },
    })
    expect(stored.json().disposition).toMatchObject({ outcome: 'ALLOW', reasonCode: 'PERMIT_VERIFIED' })
  })
})
