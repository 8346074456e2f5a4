/** The top of /docs: a short guide for officers in Chinese, then what an integrator needs in English. */
export const API_DESCRIPTION = `popscreen 按中国禁止进出口的持久性有机污染物（POPs）名录筛查报关单，逐行给出 **ALLOW**（放行）、**REVIEW**（人工审核）或 **BLOCK**（禁止），并附中英文理由和法律依据。

### 使用指南

1. **获取密钥**：向系统管理员申请 API 密钥（关员为 \`officer\` 角色）。管理员用 \`npm run --silent cli -- keys create --role officer --name 姓名\` 或本页 “keys” 中的 \`POST /v1/keys\` 创建，密钥只显示一次。
2. **输入密钥**：点右侧 **Authorize**，在 *bearerAuth* 框中粘贴密钥（不加 “Bearer”），点 **Authorize** 后关闭。密钥保存在本浏览器标签页中，刷新页面后仍有效，关闭标签页即清除。
3. **筛查报关单**：展开 “screening” 下的 **POST /v1/screenings**，点 **Try it out**，在 **Examples** 中选一个示例（名称以结论开头：allow-…、review-…、block-…）或改成实际报关内容，点 **Execute**。结果中的 \`decision\` 为结论，\`lines[].reasons[].message.zh\` 为中文理由。
4. **查询物质**：“substances” 下的 **GET /v1/substances**，按名称（如 十溴二苯醚）、CAS 号或税号查询。
5. **处理审核队列**：“reviews” 下的 **GET /v1/reviews**，\`status\` 选 \`open\` 查看待审核案件；复制案件 \`id\`，用 **POST /v1/reviews/{id}/resolve** 给出 ALLOW 或 BLOCK、依据代码和核实说明。处理后该报关单的筛查记录显示最终处理（\`disposition\`）。

上方 **Filter by tag** 可按分组筛选（screening、substances、reviews …）。出错时返回的 \`detail\` 说明原因，\`errors[].path\` 指出出错的字段。

---

Every \`/v1\` operation needs \`Authorization: Bearer <API key>\`; each operation lists the roles allowed. Errors are RFC 9457 \`application/problem+json\` with a stable \`code\` and the \`requestId\` (also sent as \`X-Request-Id\`). \`/v1\` answers carry the per-key rate limit in \`X-RateLimit-Limit\`, \`X-RateLimit-Remaining\` and \`X-RateLimit-Reset\`.`
