import { CREATE_KEY_EXAMPLE, RESOLVE_REVIEW_EXAMPLES } from './examples/other-requests.ts'
import { SCREENING_REQUEST_EXAMPLES } from './examples/screening-requests.ts'

/**
 * What /docs says about each operation, for the officer reading it and the customs system generating a
 * client from it. Kept apart from the route files so that routes stay about behaviour; a route whose
 * operationId is missing here fails test/http/docs.test.ts.
 */
export interface OperationDoc {
  /** `中文 · English`, short: the line an officer scans in the operation list. */
  summary: string
  /** Markdown: when to use it, what the answer means, what to do next. The roles line is appended. */
  description: string
  /** Overrides the route's tags (the look-up operations live under `substances`). */
  tags?: string[]
  /** When the operation can answer 409, and why. */
  conflict?: string
  /** Named request-body examples: Swagger UI lists them by name. */
  requestExamples?: Record<string, { summary: string; description?: string; value: unknown }>
  /** What the 2xx answer is, in a line. */
  answer: string
}

const screeningExamples = Object.fromEntries(
  Object.entries(SCREENING_REQUEST_EXAMPLES).map(([name, { summary, description, value }]) => [
    name,
    { summary, description, value },
  ]),
)

export const OPERATION_DOCS: Record<string, OperationDoc> = {
  createScreening: {
    summary: '筛查一份报关单 · Screen one declaration',
    description: `按报关单逐行比对现行名录（CAS 号、成分、税号、品名），给出 **ALLOW**（放行）、**REVIEW**（人工审核）或 **BLOCK**（禁止），每条理由都有中英文说明和法律依据。REVIEW 的报关单会自动进入审核队列（\`GET /v1/reviews\`）。

在 “Try it out” 中从 **Examples** 下拉列表选一个示例（名称以它得到的结论开头），点 **Execute**。\`declaration.date\` 是结论适用的日期（默认上海时间今天），例如 2023 年豁免期内的日期会得到 REVIEW。

Matches every line against the active registry and answers ALLOW, REVIEW or BLOCK with bilingual reasons. The answer is sent only after its audit event is stored; if it cannot be stored the answer is 503 and no decision exists. Send \`Idempotency-Key\` to make retries safe: the same key and body replay the stored answer (\`Idempotency-Replayed: true\`).`,
    conflict: 'a request with the same `Idempotency-Key` is still being processed; retry after `Retry-After`',
    requestExamples: screeningExamples,
    answer: '结论及逐行理由 · the decision with its reasons per line',
  },
  listScreenings: {
    summary: '查询筛查记录 · List screenings',
    description: `按结论、报关单号和时间查找以往的筛查，最新的在前。\`from\`/\`to\` 是筛查时间（只写日期时指上海时间当天零点），\`asOfFrom\`/\`asOfTo\` 按业务日期（\`asOf\`，含两端）筛选。每条记录带审核案件 \`reviewId\`、最终处理 \`disposition\` 和最新的重新筛查 \`supersededBy\`。跟踪结果时用 \`updatedSince\` 轮询：筛查创建、审核处理完毕、被重新筛查时都会更新 \`updatedAt\`。结果多于 \`limit\` 时，把 \`nextCursor\` 作为 \`cursor\` 再查下一页。screener 角色只看到本机构（organisation）的筛查。

Past screenings, newest first, filtered by decision, declaration id, time (\`from\`/\`to\`: a date alone means the start of that day in Asia/Shanghai) and business day (\`asOfFrom\`/\`asOfTo\`, both included); keyset-paginated with \`cursor\`. Each item carries \`reviewId\`, \`disposition\` and \`supersededBy\`. To follow outcomes, poll with \`updatedSince\`: \`updatedAt\` moves when a screening is created, its review resolved or it is re-screened; start each poll from a little (say a minute) before the previous poll started, since a change is stamped just before it commits. Screeners see their organisation's screenings, whichever of its keys made them.`,
    answer: '一页筛查摘要 · one page of screening summaries',
  },
  getScreening: {
    summary: '查看一次筛查 · Read one screening',
    description: `按 \`screeningId\` 查看完整结论；经过人工审核的，\`disposition\` 给出最终处理（放行或禁止）、理由和审核人；被重新筛查过的，\`supersededBy\` 指向最新的重新筛查。screener 角色可查看本机构的所有筛查。

One screening with its lines and reasons; after a review, \`disposition\` holds the officer's final decision; once re-screened, \`supersededBy\` names the newest re-screen. Screeners read their organisation's screenings.`,
    answer: '筛查及其最终处理 · the screening and its final disposition',
  },
  rescreenScreening: {
    summary: '按现行名录重新筛查 · Screen a stored declaration again',
    description: `名录更新后，用原申报内容和原日期按现行名录重新筛查；新结果用 \`rescreenOf\` 指向原筛查，原筛查的 \`supersededBy\` 指向新结果，结论本身不变。新结果属于原筛查的机构，该机构的 screener 可以看到，也可以自己重新筛查。结论没有变化且原审核案件已处理完毕时，不再开新的审核案件。支持 \`Idempotency-Key\`，与 \`POST /v1/screenings\` 相同。

Screens the stored request again, with its own as-of date, on the active registry; the new screening links to the old one with \`rescreenOf\` and the old one answers \`supersededBy\`. The new screening belongs to the old one's organisation, whose screeners see it and may re-screen too. An unchanged decision whose earlier review case is resolved opens no new case: that disposition stands. \`Idempotency-Key\` works as on \`POST /v1/screenings\`: the same key for the same screening replays the stored answer (\`Idempotency-Replayed: true\`); for anything else it is 422 \`IDEMPOTENCY_KEY_REUSED\`.`,
    conflict:
      'a re-screen with the same `Idempotency-Key` is still being processed; retry after `Retry-After`',
    answer: '新的筛查结论 · the new screening',
  },
  listReviews: {
    summary: '审核队列 · The review queue',
    description: `待审核的报关单，最早的在前。用 \`status=open\` 查看未处理的案件；打开一件（\`GET /v1/reviews/{id}\`），核实后用 \`POST /v1/reviews/{id}/resolve\` 放行或禁止。

Review cases, oldest first: filter \`status=open\` for the work still to do.`,
    answer: '一页审核案件 · one page of review cases',
  },
  getReview: {
    summary: '查看审核案件 · Read one review case',
    description: `案件中列出需要审核的行和理由（如 \`EXEMPTION_MAY_APPLY\` 豁免用途待核实、\`LAB_SCALE_EXEMPTION\` 实验室用途、\`TRACE_REVIEW\` 痕量待确认）。完整结论见 \`GET /v1/screenings/{screeningId}\`。

One case with the REVIEW lines and their reasons.`,
    answer: '审核案件 · the review case',
  },
  resolveReview: {
    summary: '处理审核案件 · Resolve a review case',
    description: `给出最终结论：\`outcome\` 为 ALLOW（放行）或 BLOCK（禁止），\`reasonCode\` 选择依据（\`PERMIT_VERIFIED\` 已核实许可、\`TRACE_CONFIRMED\` 检测确认仅含痕量、\`EXEMPT_USE_ON_DATE\` 当日属豁免用途、\`LAB_REPORT_ABSENT\` 未提供检测报告、\`CONFIRMED_PRESENT\` 确认含有、\`OTHER\` 其他），\`note\` 写明核实情况（必填）。处理记入审计日志，之后 \`GET /v1/screenings/{id}\` 显示 \`disposition\`。一件案件只能处理一次；报关单中有 BLOCK 行时不能 ALLOW（409）。

Closes the case with a final ALLOW or BLOCK, recorded as a \`review.resolved\` audit event linked to the screening.`,
    conflict:
      'the case is already resolved (`REVIEW_ALREADY_RESOLVED`; a resolution is final), or ALLOW was asked for a screening with BLOCK lines, which stand (`BLOCK_LINES_STAND`)',
    requestExamples: RESOLVE_REVIEW_EXAMPLES,
    answer: '已处理的案件 · the resolved case',
  },
  searchSubstances: {
    summary: '查询名录物质 · Look up substances',
    description: `按中英文名称、别名或商品名（\`q\`，不区分全半角、大小写和空格）、CAS 号（\`cas\`，任意格式）或税号（\`hs\`，任意格式，返回适用于该税号的规则）查找现行名录中的物质组，给出管控措施、今日（上海时间）生效的措施和痕量限值。

Looks up substance groups of the active registry by name, CAS number or HS code.`,
    tags: ['substances'],
    answer: '匹配的物质组 · the matching substance groups',
  },
  getSubstance: {
    summary: '查看名录物质 · Read one substance group',
    description: `按物质组 id（如 \`decabde\`、\`sccp\`、\`hcbd\`、\`pcn\`、\`pcp\`）查看完整条目：名称、CAS 号、税号规则、管控措施及法律依据。

One substance group of the active registry by its id.`,
    tags: ['substances'],
    answer: '物质组 · the substance group',
  },
  listRegistryVersions: {
    summary: '名录版本 · Registry versions',
    description: `所有已导入的名录版本，最新的在前；\`active\` 为当前生效的版本。

Every imported registry version, newest first; \`active\` marks the one in force.`,
    answer: '名录版本 · the versions',
  },
  getRegistryVersion: {
    summary: '查看名录版本 · Read one registry version',
    description: `一个名录版本及其完整文档（JSON Schema：\`registry/registry-document.schema.json\`）。

One registry version with its full document.`,
    answer: '名录版本及文档 · the version with its document',
  },
  importRegistryVersion: {
    summary: '导入名录版本 · Import a registry version',
    description: `导入新的名录文档（最大 16 MiB），导入后不生效，需再调用激活。所有问题一次性以 422 返回，每条带 JSON 指针：CAS 校验位、税号位数、重复 id、日期先后、未知来源。

Imports a registry document, inactive until activated; every problem is reported at once in one 422.`,
    conflict: 'a version with this `version` already exists (`VERSION_EXISTS`)',
    answer: '导入的版本（未生效）· the imported, inactive version',
  },
  activateRegistryVersion: {
    summary: '激活名录版本 · Activate a registry version',
    description: `使该版本成为现行名录，无需重启；进行中的筛查按开始时的版本完成，其他实例数秒内跟进。激活前可用 \`…/diff\` 和 \`…/impact\` 查看变化。

Makes the version the active one without a restart.`,
    answer: '已激活的版本 · the activated version',
  },
  diffRegistryVersions: {
    summary: '比较名录版本 · What changed between two versions',
    description: `列出 \`version\` 相对于 \`against\`（默认现行版本）新增、删除和变更的物质组、标识、税号规则和措施。

Groups, identifiers, HS rules and measures added, removed or changed between two versions.`,
    answer: '两版之间的变化 · the changes',
  },
  registryVersionImpact: {
    summary: '新版本对以往筛查的影响 · Past screenings a version would decide differently',
    description: `用 \`version\` 按每次筛查自己的日期重新判定时间窗内的筛查，列出结论会改变的筛查（逐行新旧结论），不写入任何记录。结果以流的形式返回。

Re-decides every screening in the window with version \`version\` and the screening's own as-of date, and streams those whose decision would change. Nothing is written.`,
    answer: '结论会改变的筛查 · the screenings whose decision would change',
  },
  exportAuditEvents: {
    summary: '导出审计日志 · Export audit events',
    description: `以 NDJSON 或 CSV 流式导出审计事件。CSV 为带 BOM 的 UTF-8，Excel 可直接显示中文；以 = + - @ 开头的单元格前加 ' 防止公式注入。NDJSON 每行一个事件，与计算哈希时完全一致，可离线校验：\`npm run --silent cli -- audit verify file.ndjson\`。

Streams audit events as NDJSON (verifiable offline) or CSV (opens in Excel with Chinese text).`,
    answer: '审计事件 · the events, in sequence order',
  },
  verifyAuditChain: {
    summary: '校验审计哈希链 · Verify the audit hash chain',
    description: `重新计算时间范围内审计事件的哈希链，并与库中每个签名检查点核对（签名有效、该序号有事件、事件哈希与签名哈希一致）；\`ok: false\` 时 \`firstBrokenSequence\` 指出第一条被改动的事件。不带 \`from\` 时，链必须从序号 1 和创世哈希开始，开头被删除的事件会被发现；末尾事件被删除时，检查点仍覆盖到更大的序号，校验失败。

Recomputes the hash chain over a time range and names the first broken event. Without \`from\` the chain must start at sequence 1 from the genesis hash, so deleted first events are found; with \`from\`, the range links to the stored event before it. The chain is also held to every stored signed checkpoint of the range: its signature must verify under one of the service's signing keys, the chain must have an event at its sequence, and that event's hash must be the signed one. So a history rewritten with every later hash recomputed fails at the first checkpoint past the change, and a log whose last events were deleted fails at the event after its end (a checkpoint covers more). \`checkpointsChecked\` says how many checkpoints held.`,
    answer: '校验结论 · the verdict',
  },
  popsTradeReport: {
    summary: 'POPs 进出口报表 · The POPs import/export report',
    description: `按物质组统计一段时间内的报关单数、行数、千克数和申报金额，按进出口方向、初始结论和审核后的最终处理，按月份、税号、贸易国和关区分列；每份报关单按期内最后一次筛查计一次。\`format=csv\` 可用 Excel 打开，\`format=html\` 为可打印的中文报表（附图），用于向生态环境部报送年度 POPs 进出口数据。

Per substance group met in the period: declarations, lines, kilograms and declared value, by direction, decision and final disposition, month, HS code, trade country and customs office.`,
    answer: '报表 · the report',
  },
  decisionLog: {
    summary: '筛查决策日志 · Decision log',
    description: `每个被筛查的报关单行一行，供审计使用，CSV 或 XLSX（Excel）格式，可按时间、方向、结论、物质组和关区筛选。

One row per screened line, for auditors, as CSV or XLSX.`,
    answer: '决策日志 · the log',
  },
  getAuditPublicKey: {
    summary: '审计签名公钥 · The audit signing public key',
    description: `当前用于签署审计检查点的 Ed25519 公钥，用于离线核验筛查回执（\`audit.checkpoint\`）。

The Ed25519 public key that signs audit checkpoints; verifies a screening's receipt offline.`,
    answer: '公钥 · the public key',
  },
  listAuditPublicKeys: {
    summary: '全部审计签名公钥 · Every audit signing public key',
    description: `历次使用过的签名公钥，用于核验较早的检查点。

Every key that has signed checkpoints, to verify older ones.`,
    answer: '公钥列表 · the public keys',
  },
  listAuditCheckpoints: {
    summary: '审计检查点 · Signed audit checkpoints',
    description: `每批审计事件结束处的签名检查点（\`sequence\`、\`hash\`、\`at\`、\`signature\`），可与导出的 NDJSON 一起离线核验，发现被截断或改写的历史。

The signed checkpoint ending each committed batch of audit events; with an export, shows a truncated or rewritten history offline.`,
    answer: '一页检查点 · one page of checkpoints',
  },
  listKeys: {
    summary: 'API 密钥列表 · API keys',
    description: `所有 API 密钥（不含密钥本身），\`prefix\` 用于区分，\`organisation\` 是密钥所属机构。

Every API key, never its secret; \`prefix\` tells keys apart, \`organisation\` is whose key it is.`,
    answer: '密钥列表 · the keys',
  },
  createKey: {
    summary: '创建 API 密钥 · Create an API key',
    description: `为一个人或系统创建密钥：\`role\` 为 \`screener\`（报关系统）、\`officer\`（关员）、\`auditor\`（审计）或 \`admin\`。\`organisation\`（1–64 个字符，默认 \`default\`）是密钥所属机构：screener 看到并可重新筛查本机构所有密钥创建的筛查，\`Idempotency-Key\` 也在机构内有效。更换密钥时，在同一机构创建新密钥，再吊销旧密钥，历史记录和待审核案件都不会丢失。组织功能上线前创建的密钥各自属于 \`key-<密钥 id>\`。密钥 \`secret\` 只显示这一次，请立即交给使用者；库中只存哈希。

Creates a key; its \`secret\` is shown in this answer only. \`organisation\` (1–64 characters, \`default\` when absent) is whose key it is: a screener sees and re-screens the screenings of its organisation, whichever of its keys made them, and Idempotency-Keys are scoped to it. To rotate a key, create one in the same organisation, then revoke the old one: history and pending reviews stay followable. Keys made before organisations existed each have their own, \`key-<their id>\`.`,
    requestExamples: {
      'officer-at-pingxiang': {
        summary: '为凭祥海关关员创建密钥 · a key for an officer',
        value: CREATE_KEY_EXAMPLE,
      },
      'screener-for-declaration-system': {
        summary: '为报关系统创建密钥 · a key for a declaration system',
        value: { role: 'screener', name: '南宁海关 报关单证系统', organisation: '广西某报关行' },
      },
    },
    answer: '新密钥及其一次性显示的 secret · the key with its secret, shown once',
  },
  revokeKey: {
    summary: '吊销 API 密钥 · Revoke an API key',
    description: `立即吊销，之后使用该密钥的请求返回 401。

Revokes the key at once; requests with it answer 401 from then on.`,
    answer: '已吊销的密钥 · the revoked key',
  },
  listEvents: {
    summary: '事件流 · The event feed',
    description: `按提交顺序列出事件：\`screening.created\`（新筛查）、\`review.opened\`（进入人工审核）、\`review.resolved\`（审核完成，\`decision\` 为最终结论）、\`screening.rescreened\`（重新筛查，\`rescreenOf\` 指向原筛查）、\`registry.activated\`（名录新版本生效）。报关系统用它跟踪一份报关单直到最终结论，无需反复查询每次筛查。从 \`after\` 之后读取；\`nextCursor\` 永不为空，保存它，下次作为 \`after\` 继续（没有新事件时原样返回）。screener 只看到本组织的事件和名录事件。

Events in commit order, each written in the same transaction as the change it reports: a reader that continues from \`nextCursor\` never misses or repeats one, even while screenings and resolutions commit concurrently. \`nextCursor\` is never null: store it and pass it as \`after\` next time, also when \`items\` is empty. Screeners see their organisation's events and those every organisation sees (\`registry.activated\`). Clients must ignore members and event types they do not know. To be pushed the events instead, see \`POST /v1/webhooks\`.`,
    answer: '一页事件及继续读取的位置 · one page of events and where to continue',
  },
  createWebhook: {
    summary: '订阅 Webhook · Subscribe a URL to events',
    description: `把一个组织的事件（\`events\` 中列出的类型；列出 \`registry.activated\` 时也包括名录生效事件）逐个以 JSON POST 到 \`url\`（仅 http:// 或 https://，且须为公网地址：回环、内网、链路本地等地址返回 422 \`WEBHOOK_TARGET_FORBIDDEN\`，除非运维在 \`WEBHOOK_ALLOWED_NETWORKS\` 中列出该网段）。从订阅时起的事件才会发送。回复中的 \`secret\` 只显示这一次：接收方用它核验每个请求的 \`Popscreen-Signature: t=<unix 秒>,v1=<HMAC-SHA256(secret, "<t>.<原始请求体>") 的十六进制>\`。非 2xx 或超时会按指数退避（带随机抖动）一直重试；同一订阅按顺序投递，前一个成功后才发下一个，因此至少送达一次、可能重复（按事件 \`id\` 去重）。

POSTs each of an organisation's events of the listed types (\`registry.activated\` too, when listed) to \`url\` as JSON, signed with \`Popscreen-Signature\`; the \`secret\` is in this answer only. The URL must be at a public address: a host that is, or resolves to, a loopback, private (RFC 1918), link-local (169.254.0.0/16, cloud metadata), unique-local or other non-public address is refused with 422 \`WEBHOOK_TARGET_FORBIDDEN\` (\`errors\` names \`/url\` and the address) unless the operator lists its network in \`WEBHOOK_ALLOWED_NETWORKS\`; each delivery checks the address it connects to again, and records a refused one as a failed attempt. Delivery is at least once and in order per subscription: a non-2xx answer or a timeout is retried with exponential backoff and jitter, without end, and the next event waits. Deduplicate on the event's \`id\`. See README, "Following a declaration", for checking the signature.`,
    requestExamples: {
      'review-outcomes-for-nanning-customs': {
        summary: '把审核结论推送给报关系统 · review outcomes to a declaration system',
        value: {
          url: 'https://declare.nanning-customs.example.cn/popscreen/events',
          events: ['review.opened', 'review.resolved', 'screening.rescreened'],
          organisation: 'default',
        },
      },
    },
    answer: '订阅及其只显示一次的 secret · the subscription with its secret, shown once',
  },
  listWebhooks: {
    summary: 'Webhook 订阅列表 · Webhook subscriptions',
    description: `所有 Webhook 订阅（不含 secret）。

Every webhook subscription, never its secret.`,
    answer: '订阅列表 · the subscriptions',
  },
  getWebhook: {
    summary: '查看 Webhook 订阅 · Read one webhook subscription',
    description: `一个订阅（不含 secret）。投递情况见 \`GET /v1/webhooks/{id}/deliveries\`。

One subscription, never its secret; its deliveries are listed apart.`,
    answer: '订阅 · the subscription',
  },
  deleteWebhook: {
    summary: '删除 Webhook 订阅 · Delete a webhook subscription',
    description: `立即停止投递，并删除该订阅及其投递记录；删除记入审计日志。

Stops deliveries at once and removes the subscription and its deliveries; the deletion is audited.`,
    answer: '已删除的订阅 · the deleted subscription',
  },
  listWebhookDeliveries: {
    summary: 'Webhook 投递记录 · A subscription’s deliveries',
    description: `每个事件一条投递记录，最新的在前，列出每次尝试的时间、耗时、HTTP 状态或错误（如连接被拒、超时）。\`pending\` 的投递在 \`nextAttemptAt\` 重试，其后的事件等待它成功。

One delivery per event, newest first, with every attempt: when, how long, the receiver's status or the error. A \`pending\` delivery is tried again at \`nextAttemptAt\`; the subscription's later events wait for it.`,
    answer: '一页投递记录 · one page of deliveries',
  },
  live: {
    summary: '进程存活 · The process is running',
    description: 'Liveness probe: 200 while the process runs. No key needed.',
    answer: '进程在运行 · running',
  },
  ready: {
    summary: '服务就绪 · Ready to screen',
    description:
      'Readiness probe: 200 when the database answers and a registry version is active, else 503. No key needed.',
    answer: '可以筛查 · ready',
  },
}
