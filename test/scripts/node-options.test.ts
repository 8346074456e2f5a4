import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { SERVER_ENV, SERVER_NODE_OPTIONS } from '../../scripts/server-process.ts'
import { projectFile } from '../../src/project-files.ts'

// The benches measure servers started by scripts/server-process.ts; what they measure must be what users
// run: `npm start` and the Docker image give Node the same options.
describe('the options Node runs the server with', () => {
  it('are the same for npm start, the Docker image and the benches', () => {
    const start = JSON.parse(readFileSync(projectFile('package.json'), 'utf8')).scripts.start as string
    const env = Object.entries(SERVER_ENV).map(([k, v]) => `${k}=${v}`)
    expect(start).toContain(`${env.join(' ')} node ${SERVER_NODE_OPTIONS.join(' ')} dist/src/server.js`)
    const dockerfile = readFileSync(projectFile('Dockerfile'), 'utf8')
    expect(dockerfile).toMatch(new RegExp(`^ENV NODE_OPTIONS=${SERVER_NODE_OPTIONS.join(' ')}$`, 'm'))
    for (const pair of env) expect(dockerfile).toMatch(new RegExp(`^ENV ${pair}$`, 'm'))
  })
})
