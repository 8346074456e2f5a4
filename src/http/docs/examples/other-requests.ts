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
      reasonCode: 'LAB_REPORT_ABSENT',
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

/** An example value per query or path parameter name, per operation; used for "Try it out". */
export const PARAMETER_EXAMPLES: Record<string, Record<string, unknown>> = {
  listScreenings: {
    decision: 'BLOCK',
    declarationId: '720120261000420077',
    from: '2026-11-01',
    to: '2026-12-01T00:00:00+08:00',
    cursor: '019ad3e2-6f1c-7c3e-9a55-3f0b7d2e8a41',
    limit: 20,
  },
  getScreening: { id: '019ad3e2-6f1c-7c3e-9a55-3f0b7d2e8a41' },
  rescreenScreening: { id: '019ad3e2-6f1c-7c3e-9a55-3f0b7d2e8a41' },
  listReviews: {
    status: 'open',
    from: '2026-11-01',
    to: '2026-12-01',
    cursor: '019ad3e2-7a20-7b11-8c2d-5e6f7a8b9c0d',
    limit: 20,
  },
  getReview: { id: '019ad3e2-7a20-7b11-8c2d-5e6f7a8b9c0d' },
  resolveReview: { id: '019ad3e2-7a20-7b11-8c2d-5e6f7a8b9c0d' },
  searchSubstances: { q: '十溴二苯醚', cas: '1163-19-5', hs: '2909.30.00' },
  getSubstance: { id: 'decabde' },
  getRegistryVersion: { version: '2024.1' },
  activateRegistryVersion: { version: '2026.1' },
  diffRegistryVersions: { version: '2026.1', against: '2024.1' },
  registryVersionImpact: { version: '2026.1', from: '2026-11-01', to: '2026-12-01' },
  exportAuditEvents: {
    from: '2026-11-01',
    to: '2026-12-01',
    action: 'screening.created',
    decision: 'BLOCK',
    format: 'csv',
  },
  verifyAuditChain: { from: '2026-11-01', to: '2026-12-01' },
  revokeKey: { id: '019ad3e2-8b31-7d42-9e53-6f7a8b9c0d1e' },
  createScreening: { 'idempotency-key': '720120261000420077-1' },
}
