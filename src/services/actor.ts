import type { AuditActor } from '../core/audit-chain.ts'

export const ROLES = ['screener', 'officer', 'auditor', 'admin'] as const
export type Role = (typeof ROLES)[number]

/** Who is calling: an API key's identity, or the operator at the CLI. */
export interface Principal extends AuditActor {
  role: Role | 'system'
}

export const SYSTEM_ACTOR: Principal = { keyId: null, name: 'system', role: 'system' }
export const cliActor = (): Principal => ({ keyId: null, name: 'cli', role: 'system' })
