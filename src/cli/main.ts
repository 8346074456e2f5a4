import { parseArgs } from 'node:util'
import { ConfigError, loadConfig } from '../config.ts'
import { openDatabase } from '../db/client.ts'
import { DataDirInUseError } from '../db/data-dir-lock.ts'
import { openRuntime } from '../runtime.ts'
import { cliActor, ROLES, type Role } from '../services/actor.ts'
import { readCheckpointsFile, readPublicKeysFile, verifyFile } from './verify-file.ts'

const USAGE = `usage: npm run --silent cli -- <command>
  migrate                                      apply database migrations
  keys create --role <${ROLES.join('|')}> --name <name>   create an API key; the secret is the last line
  keys list                                    list keys (never secrets)
  keys revoke <id>                             revoke a key
  audit verify <file.ndjson> [--checkpoints <file.json> --public-key <file.pem>]
                                               verify an exported audit log offline, and against signed checkpoints`

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  const [group, action, ...rest] = argv
  if (group === 'audit' && action === 'verify') {
    const { values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      options: { checkpoints: { type: 'string' }, 'public-key': { type: 'string' } },
    })
    if (!positionals[0]) throw new UsageError('audit verify needs a file')
    if (Boolean(values.checkpoints) !== Boolean(values['public-key']))
      throw new UsageError('--checkpoints and --public-key go together: a checkpoint is worth its signature')
    const verdict = await verifyFile(
      positionals[0],
      values.checkpoints && values['public-key']
        ? {
            checkpoints: readCheckpointsFile(values.checkpoints),
            publicKeys: readPublicKeysFile(values['public-key']),
          }
        : undefined,
    )
    console.log(JSON.stringify(verdict))
    if (!verdict.ok)
      console.error(`chain broken at sequence ${verdict.firstBrokenSequence}: ${verdict.reason}`)
    return verdict.ok ? 0 : 1
  }
  const config = loadConfig()
  if (group === 'migrate') {
    const database = await openDatabase({
      databaseUrl: config.DATABASE_URL,
      migrationUrl: config.MIGRATION_DATABASE_URL,
      dataDir: config.DATA_DIR,
    })
    try {
      await database.migrate()
      console.log(`migrations applied (${database.driver})`)
    } finally {
      await database.close()
    }
    return 0
  }
  if (group !== 'keys') throw new UsageError(`unknown command ${group ?? ''}`)
  const runtime = await openRuntime(config)
  try {
    const { keys } = runtime.services
    if (action === 'create') {
      const { values } = parseArgs({
        args: rest,
        options: { role: { type: 'string' }, name: { type: 'string' } },
      })
      if (!values.role || !ROLES.includes(values.role as Role))
        throw new UsageError(`--role must be one of ${ROLES.join(', ')}`)
      if (!values.name?.trim()) throw new UsageError('--name is required')
      const { key, secret } = await keys.create(values.role as Role, values.name.trim(), cliActor())
      console.log(`created key ${key.id} (${key.role}, ${key.name}); the secret below is shown once:`)
      console.log(secret)
    } else if (action === 'list') {
      for (const k of await keys.list())
        console.log(
          [
            k.id,
            k.role,
            k.name,
            k.prefix,
            k.createdAt,
            k.lastUsedAt ?? '-',
            k.revokedAt ? `revoked ${k.revokedAt}` : 'active',
          ].join('\t'),
        )
    } else if (action === 'revoke') {
      if (!rest[0]) throw new UsageError('keys revoke needs a key id')
      const k = await keys.revoke(rest[0], cliActor())
      console.log(`revoked ${k.id} at ${k.revokedAt}`)
    } else throw new UsageError(`unknown keys command ${action ?? ''}`)
    return 0
  } finally {
    await runtime.close()
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    if (err instanceof UsageError) console.error(`${err.message}\n${USAGE}`)
    else if (err instanceof ConfigError) console.error(err.message)
    else console.error(err instanceof Error ? err.message : err)
    // Contract §10: a DATA_DIR held by another process is exit code 1, as for the server.
    process.exit(err instanceof DataDirInUseError ? 1 : 2)
  },
)
