import type { ScreeningRequest } from '../src/core/screening-request.ts'

/** The declarations the benches send and store, so the HTTP and audit benches speak of the same goods. */
const SAMPLE_LINES = [
  { hsCode: '8471.30.00.00', description: 'laptop computers 笔记本电脑' },
  {
    hsCode: '3903.11',
    description: 'expandable polystyrene beads 可发性聚苯乙烯',
    casNumbers: ['9003-53-6'],
  },
  {
    hsCode: '3812.39.00',
    description: 'flame retardant masterbatch 阻燃母粒',
    components: [{ cas: '84852-53-9' }],
  },
  { hsCode: '2903.29', casNumbers: ['127-18-4'], description: 'tetrachloroethylene 四氯乙烯' },
  { hsCode: '6109.10.00.00', description: 'cotton T-shirts 棉制T恤' },
]

/** A declaration of `lines` lines cycling through the samples; its first line is ordinary goods (ALLOW). */
export function declaration(lines: number): ScreeningRequest {
  return {
    declaration: {
      id: `BENCH-${lines}`,
      direction: 'import',
      declarant: '南宁某进出口有限公司',
      tradeCountry: 'DE',
    },
    lines: Array.from({ length: lines }, (_, i) => ({
      lineNo: i + 1,
      ...SAMPLE_LINES[i % SAMPLE_LINES.length]!,
    })),
  }
}

/** The same goods as `declaration()` as a Single Window DecMessage: 10-digit CodeTS, CAS numbers in GModel. */
const SAMPLE_DEC_LINES = [
  {
    CodeTS: '8471300000',
    GName: '笔记本电脑',
    GModel: '0|0|便携式|无CAS|联想牌|ThinkPad E14',
    DeclGoodsEname: 'laptop computers',
  },
  {
    CodeTS: '3903110000',
    GName: '可发性聚苯乙烯',
    GModel: '0|0|初级形状|可发性|9003-53-6|EPS-301',
    DeclGoodsEname: 'expandable polystyrene beads',
  },
  {
    CodeTS: '3812390000',
    GName: '阻燃母粒',
    GModel: '0|0|塑料阻燃|84852-53-9|无品牌',
    DeclGoodsEname: 'flame retardant masterbatch',
  },
  {
    CodeTS: '2903290000',
    GName: '四氯乙烯',
    GModel: '0|0|干洗溶剂|127-18-4|',
    DeclGoodsEname: 'tetrachloroethylene',
  },
  {
    CodeTS: '6109100000',
    GName: '棉制T恤',
    GModel: '0|0|针织|男式|100%棉|无品牌',
    DeclGoodsEname: 'cotton T-shirts',
  },
]

// The head and line elements a customs system writes (most empty), as in test/fixtures/dec-messages/01-….
const HEAD_ELEMENTS =
  'Type AgentCode ApprNo BillNo ContrNo CutMode DistinatePort FeeCurr FeeMark FeeRate GrossWet IEPort InsurCurr InsurMark InsurRate LicenseNo ManualNo NetWt NoteS OwnerCode OwnerName PackNo TradeCode TradeMode TrafMode TrafName TransMode WrapType EntryType PDate TypistNo InputerName PartenerID TgdNo DataSource DeclTrnRel ChkSurety BillType AgentCodeScc OwnerCodeScc PromiseItmes TradeAreaCode MarkNo DespPortCode EntyPortCode GoodsPlace OverseasConsignorEname OverseasConsignorAddr TradeCiqCode OwnerCiqCode DeclCiqCode'.split(
    ' ',
  )
const LIST_ELEMENTS =
  'ClassMark ContrItem DeclPrice DutyMode Factor OriginCountry SecondQty SecondUnit UseTo WorkUsd ExgNo ExgVersion DestinationCountry OrigPlaceCode Purpose ProdValidDt ProdQgp GoodsAttr Stuff Uncode DangName DangPackType DangPackSpec EngManEntCnm NoDangFlag DestCode GoodsSpec GoodsModel GoodsBrand ProduceDate ProdBatchNo DistrictCode CiqName MnufctrRegNo MnufctrRegName'.split(
    ' ',
  )
const VALUES: Record<string, string> = {
  DistinatePort: 'CHN000',
  GrossWet: '21480',
  IEPort: '7201',
  NetWt: '20000',
  OwnerName: '南宁某进出口有限公司',
  PackNo: '80',
  TradeMode: '0110',
  TrafMode: '2',
  TransMode: '1',
  WrapType: '22',
  EntryType: 'M',
  PromiseItmes: '000',
  TradeAreaCode: 'DEU',
  GoodsPlace: '南宁综合保税区',
  DeclPrice: '1.85',
  DutyMode: '1',
  Factor: '1',
  OriginCountry: 'DEU',
  DestinationCountry: 'CHN',
  Purpose: '99',
  GoodsAttr: '19',
  NoDangFlag: '1',
  DestCode: '450100',
}

const element = (name: string, value = VALUES[name] ?? '') => `<${name}>${value}</${name}>`

/**
 * `declaration(lines)` as a DecMessage of the shape customs systems send: every head and line element
 * written, most of them empty. The XML row of bench:http sends it beside the JSON of the same goods.
 */
export function decMessage(lines: number): string {
  const head = [
    element('SeqNo', `BENCH${String(lines).padStart(13, '0')}`),
    element('EntryId'),
    element('IEFlag', 'I'),
    element('IEDate'),
    element('CustomMaster', '7201'),
    element('TradeCountry', 'DEU'),
    element('TradeName', '南宁某进出口有限公司'),
    element('TradeCoScc', '91450100MA5K000000'),
    ...HEAD_ELEMENTS.map((name) => element(name)),
  ]
  const list = Array.from({ length: lines }, (_, i) => {
    const sample = SAMPLE_DEC_LINES[i % SAMPLE_DEC_LINES.length]!
    return `<DecList>${[
      element('GNo', String(i + 1)),
      element('CodeTS', sample.CodeTS),
      element('CiqCode', '999'),
      element('GName', sample.GName),
      element('GModel', sample.GModel),
      element('DeclGoodsEname', sample.DeclGoodsEname),
      element('GQty', '1000'),
      element('GUnit', '035'),
      element('FirstQty', '1000'),
      element('FirstUnit', '035'),
      element('DeclTotal', '1850'),
      element('TradeCurr', 'USD'),
      ...LIST_ELEMENTS.map((name) => element(name)),
    ].join('')}</DecList>`
  })
  return `<?xml version="1.0" encoding="UTF-8"?>\n<DecMessage xmlns="http://www.chinaport.gov.cn/dec" version="4.8"><DecHead>${head.join('')}</DecHead><DecLists>${list.join('')}</DecLists><DecContainers/><DecLicenseDocus/><DecFreeTxt/><DecSign><OperType>G</OperType><ClientSeqNo>BENCH-${lines}</ClientSeqNo></DecSign></DecMessage>\n`
}
