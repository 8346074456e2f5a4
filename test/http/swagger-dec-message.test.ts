import { existsSync } from 'node:fs'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CHROMIUM, launchChromium } from '../helpers/chromium.ts'
import { createTestApp, type TestApp } from '../helpers/test-app.ts'

// Chromium comes from the distribution's packages (README); without it this check cannot run.

describe.skipIf(!existsSync(CHROMIUM))('Swagger UI sends a DecMessage', () => {
  let t: TestApp
  let browser: Browser
  let base: string
  beforeAll(async () => {
    t = await createTestApp()
    base = await t.app.listen({ port: 0, host: '127.0.0.1' })
    browser = await launchChromium()
  }, 120_000)
  afterAll(async () => {
    await browser?.close()
    await t?.close()
  })

  it('the XML media type of createScreening: the message pasted, sent as application/xml, answered 200', async () => {
    const context = await browser.newContext({
      extraHTTPHeaders: (await t.auth('screener')) as Record<string, string>,
    })
    const page = await context.newPage()
    await page.goto(`${base}/docs#/screening/createScreening`)
    const operation = page.locator('#operations-screening-createScreening')
    await operation
      .locator('.opblock-section-request-body select.content-type')
      .selectOption('application/xml')
    await operation.getByRole('button', { name: 'Try it out' }).click()
    // Swagger UI generates its own sample for XML bodies rather than show a literal example; an officer
    // pastes the message, here the example the OpenAPI document carries.
    const doc = (await t.app.inject({ url: '/openapi.json' })).json()
    const example: string = doc.paths['/v1/screenings'].post.requestBody.content['application/xml'].example
    await operation.locator('.opblock-section-request-body textarea').fill(example)
    const answer = page.waitForResponse(
      (r) => r.url().endsWith('/v1/screenings') && r.request().method() === 'POST',
    )
    await operation.getByRole('button', { name: 'Execute' }).click()
    const response = await answer
    expect(response.request().headers()['content-type']).toBe('application/xml')
    expect(response.status()).toBe(200)
    const json = await response.json()
    expect(json.lines[0].extracted.components).toHaveLength(2)
    await context.close()
  }, 120_000)
})
