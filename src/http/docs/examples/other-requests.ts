/** Request bodies and query strings shown in /docs besides the screening examples. */

export const RESOLVE_REVIEW_EXAMPLES: Record<
  string,
  { summary: string; value: { outcome: 'ALLOW' | 'BLOCK'; reasonCode: string; note: string } }
> = {
  'allow-reference-standard-permit-verified': {
    summary: 'ALLOW · 标准品，已核实实验室资质和数量 · reference standard, laboratory and quantity verified',
    value: {
      outcome: 'ALLOW',
      reasonCode: 'PERMIT_VERIFIED',
      note: '广西壮族自治区分析测试研究中心采购 1 mL 标准溶液，已核实检测资质证明和用途说明。',
    },
  },
  'block-exempt-use-not-shown': {
    summary: 'BLOCK · 未能证明豁免用途 · exempt use not shown',
    value: {
      outcome: 'BLOCK',
      reasonCode: 'OTHER',
      note: '申报人未能提供纺织品阻燃用途的证明材料，按禁止进口处理。',
    },
  },
  'allow-trace-confirmed-by-lab-report': {
    summary: 'ALLOW · 检测报告确认仅含痕量 · lab report confirms a trace only',
    value: {
      outcome: 'ALLOW',
      reasonCode: 'TRACE_CONFIRMED',
      note: 'CMA 检测报告 GXJC-2026-11873：多氯萘未检出（检出限 0.5 mg/kg）。',
    },
  },
}

export const CREATE_KEY_EXAMPLE = { role: 'officer', name: '凭祥海关 查验科 李明' }

/** Query strings of list and export routes, with dates an officer would use. */
export const SCREENING_QUERY_EXAMPLES = {
  recent: { decision: 'BLOCK', from: '2026-11-01', to: '2026-12-01', limit: '20' },
}

/**
 * Parameter values Swagger UI fills in when an officer presses "Try it out": only those that are the
 * right first try (a pre-filled date range, cursor or Idempotency-Key would silently narrow or break the
 * next request), per operation and parameter name.
 */
export const PARAMETER_EXAMPLES: Record<string, Record<string, unknown>> = {
  listScreenings: { limit: 20 },
  listReviews: { status: 'open', limit: 20 },
  searchSubstances: { q: '十溴二苯醚' },
  getSubstance: { id: 'decabde' },
  getRegistryVersion: { version: '2025.1' },
  diffRegistryVersions: { against: '2025.1' },
  exportAuditEvents: { format: 'csv' },
  popsTradeReport: { format: 'html' },
  decisionLog: { format: 'xlsx' },
}

/** Example values shown in a parameter's description instead, where filling them in would mislead. */
export const PARAMETER_HINTS: Record<string, Record<string, string>> = {
  listScreenings: {
    decision: 'BLOCK',
    declarationId: '720120261000420077',
    from: '2026-11-01',
    to: '2026-12-01T00:00:00+08:00',
    cursor: 'the `nextCursor` of the previous page',
  },
  getScreening: { id: '019ad3e2-6f1c-7c3e-9a55-3f0b7d2e8a41 (`screeningId` of a screening)' },
  rescreenScreening: { id: '019ad3e2-6f1c-7c3e-9a55-3f0b7d2e8a41 (`screeningId` of a screening)' },
  listReviews: { from: '2026-11-01', to: '2026-12-01', cursor: 'the `nextCursor` of the previous page' },
  getReview: { id: '019ad3e2-7a20-7b11-8c2d-5e6f7a8b9c0d (`id` of a case in the queue)' },
  resolveReview: { id: '019ad3e2-7a20-7b11-8c2d-5e6f7a8b9c0d (`id` of a case in the queue)' },
  searchSubstances: { cas: '1163-19-5, 1163195', hs: '2909.30.00, 290930' },
  activateRegistryVersion: { version: '2026.1' },
  diffRegistryVersions: { version: '2026.1' },
  registryVersionImpact: { version: '2026.1', from: '2026-11-01', to: '2026-12-01' },
  exportAuditEvents: {
    from: '2026-11-01',
    to: '2026-12-01T00:00:00+08:00',
    action: 'screening.created',
    decision: 'BLOCK',
  },
  verifyAuditChain: { from: '2026-11-01', to: '2026-12-01' },
  popsTradeReport: { from: '2026-01-01', to: '2027-01-01', direction: 'import' },
  decisionLog: { from: '2026-11-01', to: '2026-12-01', decision: 'BLOCK', substance: 'decabde' },
  revokeKey: { id: '019ad3e2-8b31-7d42-9e53-6f7a8b9c0d1e (`id` from GET /v1/keys)' },
  createScreening: { 'idempotency-key': '720120261000420077-1 (one per declaration and attempt series)' },
}
