import { readFileSync } from 'node:fs'
import { parse } from 'csv-parse/sync'
import { projectFile } from '../project-files.ts'

const HS2022_CSV = projectFile('registry', 'hs2022.csv')

const HS_LENGTHS = [6, 4, 2] as const
/** The `hs` members of a line whose code the nomenclature does not know. */
export const UNDESCRIBED_HS_JSON = '"description":null,"subheading":null'

/** WCO HS 2022 texts by code (2, 4 and 6 digits), so officers read "2909.30 Aromatic ethers…", not digits. */
export class Nomenclature {
  /** By code, an answer's `hs` members after `code` as JSON text, escaped once (see core/answer-json.ts). */
  private readonly json: ReadonlyMap<string, string>

  private constructor(private readonly texts: ReadonlyMap<string, string>) {
    this.json = new Map(
      [...texts].map(([code, description]) => [
        code,
        `"description":${JSON.stringify(description)},"subheading":${JSON.stringify(code)}`,
      ]),
    )
  }

  static load(path = HS2022_CSV): Nomenclature {
    const rows = parse(readFileSync(path), { columns: true, skip_empty_lines: true }) as {
      hscode: string
      description: string
    }[]
    return new Nomenclature(new Map(rows.map((r) => [r.hscode, r.description])))
  }

  /** The most specific HS 2022 text for a code of any length (national digits fall back to HS6). */
  describe(digits: string): { code: string; description: string; json: string } | null {
    for (const length of HS_LENGTHS) {
      if (digits.length < length) continue
      const code = digits.slice(0, length)
      const description = this.texts.get(code)
      if (description) return { code, description, json: this.json.get(code)! }
    }
    return null
  }

  /** Every six-digit subheading (tests use it to sweep the whole nomenclature). */
  subheadings(): string[] {
    return [...this.texts.keys()].filter((k) => k.length === 6 && k !== '999999')
  }
}
