import {isIP, isIPv6} from 'node:net'
import {InvalidInputError} from '../errors.js'

// The proxy settings of the environment, read as curl and undici read them: the lowercase name
// first, then the uppercase one; HTTP_PROXY for http:// servers, HTTPS_PROXY for https:// ones
// (HTTP_PROXY when it is unset); NO_PROXY lists hosts reached directly. undici's
// EnvHttpProxyAgent applies them; this module only checks and normalises them first, so that a
// mistyped proxy is a clear message rather than undici's "Invalid URL" stack.

export interface ProxyUse {
  /** The proxy's URL, as undici is given it. */
  url: URL
  /** The variable it came from, e.g. HTTPS_PROXY. */
  variable: string
}

export interface ProxySettings {
  /** The proxy for the server's protocol. */
  proxy: ProxyUse
  /** NO_PROXY, IPv6 addresses put in brackets as undici compares them ('' when unset). */
  noProxy: string
}

/**
 * The proxy the environment names for a server of this protocol; undefined when none is, so that
 * the client keeps its direct pool. Only that variable is checked: a SOCKS proxy in HTTPS_PROXY
 * for other tools does not stop kvcloud from reaching an http:// server.
 */
export function proxyFromEnv(env: NodeJS.ProcessEnv, protocol: string): ProxySettings | undefined {
  const proxy = (protocol === 'https:' ? readProxy(env, 'HTTPS_PROXY') : undefined) ?? readProxy(env, 'HTTP_PROXY')
  if (!proxy) return undefined
  return {proxy, noProxy: normaliseNoProxy(variableOf(env, 'NO_PROXY')?.value ?? '')}
}

/** A proxy URL as it may be shown: the password, if any, is masked. */
export function shownProxy(url: URL): string {
  const shown = new URL(url.href)
  if (shown.password) shown.password = '***'
  return shown.href.replace(/\/$/, '')
}

/**
 * Whether a failed connection was the one to the proxy: a host name it could not resolve, or an
 * address and port it could not connect to. (Only the proxy is connected to when it is used.)
 */
export function isProxyConnectFailure(error: {code?: string; hostname?: string; address?: string; port?: number; message?: string}, proxy: URL): boolean {
  const host = proxy.hostname.replace(/^\[|\]$/g, '')
  const port = Number(proxy.port || (proxy.protocol === 'https:' ? 443 : 80))
  if (error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN') return error.hostname === host
  if (error.code === 'UND_ERR_CONNECT_TIMEOUT') return (error.message ?? '').includes(`${host}:${port}`)
  if (error.address === undefined || Number(error.port) !== port) return false
  // A proxy named by host name connects to an address this cannot compare: the port must do.
  return isIP(host) === 0 || error.address === host
}

function variableOf(env: NodeJS.ProcessEnv, name: string): {variable: string; value: string} | undefined {
  for (const variable of [name.toLowerCase(), name]) {
    const value = env[variable]?.trim()
    if (value) return {variable, value}
  }
  return undefined
}

function readProxy(env: NodeJS.ProcessEnv, name: string): ProxyUse | undefined {
  const found = variableOf(env, name)
  if (!found) return undefined
  const {variable, value} = found
  // As curl and Go do, "proxy.example.com:3128" means http://proxy.example.com:3128.
  const text = /^[a-z][a-z\d+.-]*:\/\//i.test(value) ? value : `http://${value}`
  const hint = `Set ${variable} to the proxy's address, e.g. ${variable}=http://proxy.example.com:3128 (http://USER:PASSWORD@HOST:PORT when it asks for credentials), or unset it to connect directly.`
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new InvalidInputError(`${variable} is "${maskPassword(value)}", which is not a proxy URL.`, [hint])
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidInputError(`${variable} is "${shownProxy(url)}": kvcloud reaches a proxy over http:// or https:// only.`, [hint])
  }
  if (!url.hostname) throw new InvalidInputError(`${variable} is "${shownProxy(url)}", which names no proxy host.`, [hint])
  try {
    // undici decodes them when it builds the agent, and would throw a bare "URI malformed".
    decodeURIComponent(url.username)
    decodeURIComponent(url.password)
  } catch {
    throw new InvalidInputError(`${variable} is "${shownProxy(url)}", whose user name or password is not valid percent-encoding.`, [
      'Write a "%" in a user name or password as %25, and other reserved characters as %XX.',
      hint,
    ])
  }
  return {url, variable}
}

/** Hides the password of a value that may not even parse as a URL. */
function maskPassword(value: string): string {
  // Up to the last "@": a password may hold "/" or "@" that the URL parser could not place.
  return value.replace(/^((?:[a-z][\w+.-]*:\/\/)?[^:@/]*):.*@/i, '$1:***@')
}

function normaliseNoProxy(value: string): string {
  return value
    .split(/[,\s]+/)
    .filter((entry) => entry !== '')
    // undici compares a URL's host, in which an IPv6 address is bracketed ("[::1]"); a bare
    // "::1" would be read as host ":" and port 1.
    .map((entry) => (isIPv6(entry) ? `[${entry}]` : entry))
    .join(',')
}
