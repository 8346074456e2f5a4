import { readFileSync } from 'node:fs'
import { parse } from 'csv-parse/sync'
import { projectFile } from '../project-files.ts'

const HS2022_CSV = projectFile('registry', 'hs2022.csv')

/** WCO HS 2022 texts by code (2, 4 and 6 digits), so officers read "2909.30 Aromatic ethers…", not digits. */
export class Nomenclature {
  private constructor(private readonly texts: ReadonlyMap<string, string>) {}

  static load(path = HS2022_CSV): Nomenclature {
    const rows = parse(readFileSync(path), { columns: true, skip_empty_lines: true }) as {
      hscode: string
      description: string
    }[]
    return new Nomenclature(new Map(rows.map((r) => [r.hscode, r.description])))
  }

  /** The most specific HS 2022 text for a code of any length (national digits fall back to HS6). */
  describe(digits: string): { code: string; description: string } | null {
    for (const length of [6, 4, 2]) {
      if (digits.length < length) continue
      const code = digits.slice(0, length)
      const description = this.texts.get(code)
      if (description) return { code, description }
    }
    return null
  }

  /** Every six-digit subheading (tests use it to sweep the whole nomenclature). */
  subheadings(): string[] {
    return [...this.texts.keys()].filter((k) => k.length === 6 && k !== '999999')
  }
}
