/** Fails when src/db/schema.ts has changes that no committed migration carries. */
import { execFileSync } from 'node:child_process'
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const scratch = mkdtempSync(join(tmpdir(), 'popscreen-migrations-'))
try {
  cpSync('migrations', scratch, { recursive: true })
  const before = readdirSync(scratch).length
  execFileSync(
    'npx',
    ['drizzle-kit', 'generate', '--dialect=postgresql', '--schema=./src/db/schema.ts', `--out=${scratch}`],
    {
      stdio: 'pipe',
    },
  )
  const after = readdirSync(scratch).length
  if (after !== before) {
    console.error(
      'src/db/schema.ts differs from the committed migrations: run `npm run db:generate` and commit',
    )
    process.exit(1)
  }
  console.log('schema and migrations agree')
} finally {
  rmSync(scratch, { recursive: true, force: true })
}
