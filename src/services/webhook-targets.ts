import dns from 'node:dns'
import { isIP, type LookupFunction } from 'node:net'
import ipaddr from 'ipaddr.js'

/**
 * Where webhooks may be sent (issue 22's server-side request forgery follow-up). An admin names a URL and
 * popscreen POSTs to it from inside the network it runs in: without a check, a URL could reach the
 * server's loopback services, the private network behind it, or a cloud's metadata service
 * (169.254.169.254). So only public unicast addresses are targets, unless the operator lists a network in
 * `WEBHOOK_ALLOWED_NETWORKS` (a customs system's receiver on an internal network, say). The check runs at
 * registration (a literal address, or every address the host name resolves to) and again on each
 * delivery, on the address actually connected to: DNS may answer differently later (rebinding).
 */

export type Network = [ipaddr.IPv4 | ipaddr.IPv6, number]

/** How a host name resolves; the default asks the system resolver (getaddrinfo), as a connection would. */
export type Resolver = (hostname: string) => Promise<{ address: string; family: number }[]>

const systemResolver: Resolver = (hostname) => dns.promises.lookup(hostname, { all: true, verbatim: true })

/** Global unicast IPv6 (2000::/3): ipaddr.js calls every address outside its special ranges `unicast`. */
const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3')
/** NAT64's well-known prefix: an IPv4 address in the last 32 bits, judged as that address. */
const NAT64 = ipaddr.parseCIDR('64:ff9b::/96')

const RANGE_WORDS: Record<string, string> = {
  loopback: 'a loopback address',
  private: 'a private (RFC 1918) address',
  linkLocal: 'a link-local address, where cloud metadata services live',
  uniqueLocal: 'a unique-local IPv6 address',
  unspecified: 'the unspecified address, which means this host',
  multicast: 'a multicast address',
  broadcast: 'the broadcast address',
  carrierGradeNat: 'a shared address of carrier-grade NAT',
  reserved: 'a reserved address',
}

/**
 * `WEBHOOK_ALLOWED_NETWORKS`: CIDRs or single addresses, separated by commas or spaces; throws naming an
 * entry that is neither.
 */
export function parseNetworks(text: string): Network[] {
  return text
    .split(/[\s,]+/)
    .filter((entry) => entry !== '')
    .map((entry): Network => {
      if (ipaddr.isValidCIDR(entry)) return ipaddr.parseCIDR(entry)
      if (ipaddr.isValid(entry)) {
        const ip = ipaddr.process(entry)
        return [ip, ip.kind() === 'ipv4' ? 32 : 128]
      }
      throw new Error(`"${entry}" is not a CIDR (10.20.0.0/16, fd00::/8) or an IP address`)
    })
}

/** The address as judged: IPv4-mapped and NAT64 addresses as the IPv4 address they carry. */
function judged(address: string): ipaddr.IPv4 | ipaddr.IPv6 {
  const ip = ipaddr.process(address)
  if (ip.kind() === 'ipv6' && ip.match(NAT64)) {
    const [hi = 0, lo = 0] = (ip as ipaddr.IPv6).parts.slice(6)
    return new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff])
  }
  return ip
}

/**
 * Why `address` may not be a webhook target ("a loopback address", …), or null when it may: a public
 * unicast address, or one inside an allowed network.
 */
export function refusalOf(address: string, allowed: readonly Network[]): string | null {
  if (!ipaddr.isValid(address)) return 'not an IP address'
  const ip = judged(address)
  if (allowed.some(([network, bits]) => network.kind() === ip.kind() && ip.match(network, bits))) return null
  const range = ip.range()
  if (range === 'unicast' && (ip.kind() === 'ipv4' || ip.match(GLOBAL_UNICAST_V6))) return null
  return (
    RANGE_WORDS[range] ??
    (range === 'unicast' ? 'a non-public IPv6 address, outside 2000::/3' : `a non-public address, ${range}`)
  )
}

/** A host in a URL as an address or a name (URL keeps an IPv6 literal's brackets). */
export function hostOf(url: string): string {
  const { hostname } = new URL(url)
  return hostname.startsWith('[') ? hostname.slice(1, -1) : hostname
}

/** A delivery refused before any connection: the address is not a target. */
export class TargetRefused extends Error {
  override name = 'TargetRefused'
  readonly code = 'ETARGETREFUSED'
}

const ALLOW_HINT = 'not in WEBHOOK_ALLOWED_NETWORKS'

/** The policy and the resolver, shared by registration (WebhookService) and delivery (WebhookWorker). */
export class WebhookTargets {
  /** Host names resolve through this; tests replace it to play DNS (rebinding included). */
  resolver: Resolver = systemResolver

  constructor(
    readonly allowed: readonly Network[],
    /** The longest wait for the resolver at registration; a name that does not resolve in time is let in. */
    private readonly resolveTimeoutMs = 5_000,
  ) {}

  /** Why a literal address may not be connected to, as a sentence; null when it may. */
  refuseAddress(address: string, host = address): string | null {
    const why = refusalOf(address, this.allowed)
    if (why === null) return null
    return host === address
      ? `${address} is ${why} (${ALLOW_HINT})`
      : `${host} resolves to ${address}, ${why} (${ALLOW_HINT})`
  }

  /**
   * At registration: why `url` may not be subscribed, or null. A literal address is judged as it is; a name
   * by every address it resolves to. A name that does not resolve now (no record yet, no DNS where the
   * server runs, or no answer within the timeout) is let in: each delivery resolves and checks it again.
   */
  async refuseUrl(url: string): Promise<string | null> {
    const host = hostOf(url)
    if (isIP(host)) return this.refuseAddress(host)
    let timer: NodeJS.Timeout | undefined
    try {
      const addresses = await Promise.race([
        this.resolver(host),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('timeout')), this.resolveTimeoutMs)
        }),
      ])
      for (const { address } of addresses) {
        const why = this.refuseAddress(address, host)
        if (why) return why
      }
      return null
    } catch {
      return null
    } finally {
      clearTimeout(timer)
    }
  }

  /**
   * The `lookup` of a delivery's connection: resolves with the resolver and fails the connection, before it
   * is made, when any address the name resolves to is not a target. (Node calls it for names only: a
   * literal address in the URL is checked by the caller with `refuseAddress`.)
   */
  readonly lookup: LookupFunction = (hostname, options, callback) => {
    this.resolver(hostname).then(
      (resolved) => {
        const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : options.family
        const addresses =
          family === 4 || family === 6 ? resolved.filter((a) => a.family === family) : resolved
        const first = addresses[0]
        if (!first) {
          const err: NodeJS.ErrnoException = new Error(`${hostname} has no address`)
          err.code = 'ENOTFOUND'
          callback(err, '', 0)
          return
        }
        for (const { address } of addresses) {
          const why = this.refuseAddress(address, hostname)
          if (why) {
            callback(new TargetRefused(`target not allowed: ${why}`), '', 0)
            return
          }
        }
        if (options.all) callback(null, addresses)
        else callback(null, first.address, first.family)
      },
      (err: NodeJS.ErrnoException) => callback(err, '', 0),
    )
  }
}
