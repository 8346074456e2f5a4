import { describe, expect, it } from 'vitest'
import { lineFirsts } from '../../src/core/line-facts.ts'

describe('lineFirsts', () => {
  it('marks, in line number order, the first line of a screening and the first to meet each group', () => {
    // Given out of line number order, as a request may list them.
    const firsts = lineFirsts([
      { lineNo: 7, hsCode: '3824999990', groups: ['sccp'] },
      { lineNo: 2, hsCode: '3926909090', groups: [] },
      { lineNo: 3, hsCode: '2909300000', groups: ['decabde', 'sccp'] },
      { lineNo: 5, hsCode: '2909300000', groups: ['decabde'] },
      { lineNo: 9, hsCode: '3824999990', groups: ['decabde', 'sccp'] },
    ])
    expect(firsts).toEqual([
      // line 7: sccp was met by line 3, but not with 3824999990; the first with this HS code for any group
      { firstLine: false, firstGroups: [], firstHsGroups: ['sccp'], firstPop: false, firstPopHs: true },
      // line 2: the screening's first line, meeting no group
      { firstLine: true, firstGroups: [], firstHsGroups: [], firstPop: false, firstPopHs: false },
      // line 3: the first to meet any group, both of its groups, with its HS code too
      {
        firstLine: false,
        firstGroups: ['decabde', 'sccp'],
        firstHsGroups: ['decabde', 'sccp'],
        firstPop: true,
        firstPopHs: true,
      },
      // line 5: decabde with 2909300000 was met by line 3
      { firstLine: false, firstGroups: [], firstHsGroups: [], firstPop: false, firstPopHs: false },
      // line 9: sccp with 3824999990 was met by line 7, decabde with it by no line
      { firstLine: false, firstGroups: [], firstHsGroups: ['decabde'], firstPop: false, firstPopHs: false },
    ])
  })

  it('gives nothing for no lines', () => {
    expect(lineFirsts([])).toEqual([])
  })
})
